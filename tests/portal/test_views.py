"""The pages the portal composes: the home page and a topic's page across the networks."""

import pytest
from django.urls import reverse

from tests.factories import (
    EventFactory,
    NoticeFactory,
    OfferFactory,
    OrganizationFactory,
    RegionFactory,
)
from tests.markup import texts

XSS = "<script>alert(1)</script>"


@pytest.mark.django_db
def test_home_shows_promise_search_topics_and_members_of_the_default_region(client, organization, topic):
    elsewhere = OrganizationFactory(region=RegionFactory(slug="sachsen", name="Sachsen"), name="Fernes Netz")
    response = client.get("/en/")
    html = texts(response)
    assert response.status_code == 200
    assert "Ask us — we find who fits" in html
    assert f'action="{reverse("search:results")}"' in html  # one search over everything (search app)
    assert 'name="q"' in html
    assert f'href="{topic.get_absolute_url()}"' in html
    assert organization.name in html
    assert elsewhere.name not in html


@pytest.mark.django_db
def test_home_shows_everyone_when_the_default_region_does_not_exist(client, settings, organization):
    settings.DEFAULT_REGION = "gibt-es-nicht"
    elsewhere = OrganizationFactory(region=RegionFactory(slug="sachsen", name="Sachsen"), name="Fernes Netz")
    html = texts(client.get("/"))
    assert organization.name in html
    assert elsewhere.name in html


@pytest.mark.django_db
def test_home_hides_unpublished_members(client, organization):
    hidden = OrganizationFactory(region=organization.region, name="Verstecktes Netz", published=False)
    html = texts(client.get("/"))
    assert organization.name in html
    assert hidden.name not in html


@pytest.mark.django_db
def test_home_sets_no_cookies_for_visitors(client, organization):
    response = client.get("/")
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.django_db
def test_topic_page_shows_published_organisations_and_their_offers(client, organization, topic):
    hidden = OrganizationFactory(
        region=organization.region, name="Verstecktes Netz", published=False, topics=[topic]
    )
    OfferFactory(organization=hidden, title="Verstecktes Angebot", topics=[topic])
    other = OrganizationFactory(region=organization.region, name="Anderes Netz")
    OfferFactory(organization=other, title="Angebot zum Thema", topics=[topic])
    response = client.get(topic.get_absolute_url())
    html = texts(response)
    assert response.status_code == 200
    assert f"<h1>{topic.name}</h1>" in html
    assert [org.slug for org in response.context["organizations"]] == [organization.slug]
    assert [offer.title for offer in response.context["offers"]] == [
        "Angebot zum Thema",
        "Kunststoffberatung",
    ]
    assert "Verstecktes" not in html
    assert f'href="{other.get_absolute_url()}"' in html


@pytest.mark.django_db
def test_topic_page_of_an_unknown_slug_is_404(client, settings):
    settings.DEBUG = False
    response = client.get("/themen/gibt-es-nicht/")
    assert response.status_code == 404
    assert "core/404.html" in [template.name for template in response.templates]


@pytest.mark.django_db
def test_home_shows_the_netzwerktimer_and_current_notices(client, organization):
    event = EventFactory(organizers=[organization], title="Netzwerktreffen Kunststoffe")
    notice = NoticeFactory(organization=organization, title="Neue Förderrunde")
    html = client.get("/").content.decode()
    assert "Netzwerktimer: die nächsten Wochen" in html
    assert f'<a href="{event.get_absolute_url()}">Netzwerktreffen Kunststoffe</a>' in html
    assert f'<a href="{notice.get_absolute_url()}">Neue Förderrunde</a>' in html
