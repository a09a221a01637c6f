"""The topic page /themen/<slug>/: introduction, notices, events, organisations, offers and actions."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    EventFactory,
    NoticeFactory,
    OfferFactory,
    OrganizationFactory,
    TopicFactory,
)


def test_topic_page_bundles_introduction_notices_events_and_directory(client, organization, topic):
    topic.introduction = "Alles zu **Kunststoffen** <script>alert(1)</script>"
    topic.synonyms = "Plastik\nPolymer"
    topic.save()
    NoticeFactory(organization=organization, title="Hinweis zum Thema", topics=[topic])
    NoticeFactory(organization=organization, title="Hinweis ohne Thema")
    NoticeFactory(organization=organization, title="Entwurf zum Thema", topics=[topic], published=False)
    EventFactory(organizers=[organization], topics=[topic], title="Kunststofftag")
    EventFactory(organizers=[organization], title="Anderer Termin")
    EventFactory(
        organizers=[organization],
        topics=[topic],
        title="Vergangener Termin",
        start=timezone.now() - dt.timedelta(days=3),
        end=timezone.now() - dt.timedelta(days=2),
    )
    EventFactory(
        organizers=[OrganizationFactory(published=False)], topics=[topic], title="Versteckter Termin"
    )

    response = client.get(topic.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<p>Alles zu <strong>Kunststoffen</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "Plastik, Polymer" in html
    assert [notice.title for notice in response.context["notices"]] == ["Hinweis zum Thema"]
    assert [event.title for event in response.context["events"]] == ["Kunststofftag"]
    assert [org.slug for org in response.context["organizations"]] == [organization.slug]
    assert [offer.title for offer in response.context["offers"]] == ["Kunststoffberatung"]
    for hidden in ("Hinweis ohne Thema", "Entwurf zum Thema", "Anderer Termin", "Vergangener", "Versteckter"):
        assert hidden not in html


def test_topic_page_links_the_inquiry_form_with_the_topic_and_the_digest(client, topic):
    response = client.get(topic.get_absolute_url())

    html = response.content.decode()
    inquiry = f"{reverse('inquiries:create')}?thema={topic.slug}"
    assert f'href="{inquiry}"' in html
    assert f'href="{reverse("digest:subscribe")}?topic={topic.slug}"' in html
    # The inquiry form takes the topic up.
    form = client.get(inquiry)
    assert form.context["topic"] == topic
    assert f'name="thema" value="{topic.slug}"' in form.content.decode()


def test_topic_page_without_content_says_so(client, db):
    topic = TopicFactory(slug="leer", name="Leeres Thema")

    response = client.get(topic.get_absolute_url())

    assert response.status_code == 200
    assert response.context["introduction"] == ""
    assert (response.context["notices"], response.context["events"]) == ([], [])


def test_topic_page_query_count_is_fixed(client, organization, topic, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            other = OrganizationFactory(region=organization.region, topics=[topic])
            OfferFactory(organization=other, topics=[topic, TopicFactory()])
            NoticeFactory(organization=other, topics=[topic, TopicFactory()])
            EventFactory(organizers=[other], topics=[topic, TopicFactory()])

    def get():
        return client.get(topic.get_absolute_url())

    add(2)
    get()  # warms the calendar facts that events.queries caches (every event write drops them)
    # topic, notices, their topics, events, their organisers, topics and duplicates, organisations, offers
    with django_assert_num_queries(9):
        assert get().status_code == 200
    add(5)
    get()
    with django_assert_num_queries(9):
        assert get().status_code == 200
