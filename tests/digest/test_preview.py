"""The coordination office's preview of the next digest: who may see it, what it shows, the dashboard link."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crosscluster.digest import services
from crosscluster.digest.models import Delivery, DigestIssue
from tests.digest.conftest import SubscriberFactory
from tests.factories import EventFactory, NoticeFactory, TopicFactory

PAGES = [
    ("manage:digest", {}),
    ("manage:digest-mail", {"topic": "digitalisierung"}),
]


def login(client, user):
    if user is not None:
        client.force_login(user)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "query"), PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("outsider", 403), ("manager", 403), ("coordinator", 200), ("admin_user", 200)],
)
def test_preview_permission_matrix(client, request, content, name, query, role, expected):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    login(client, user)

    response = client.get(reverse(name), query)

    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/konto/")


@pytest.mark.django_db
def test_preview_shows_each_topic_with_its_subscribers_notices_and_events(
    client, coordinator, content, digitalisation, energy
):
    SubscriberFactory(topics=[digitalisation])
    SubscriberFactory(topics=[digitalisation, energy])
    SubscriberFactory(topics=[energy], confirmed_at=None)
    client.force_login(coordinator)

    html = client.get(reverse("manage:digest")).content.decode()

    assert "2 bestätigte Abonnenten" in html
    assert "1 wartet auf Bestätigung" in html
    digital = html.split('id="topic-digitalisierung"')[1].split("</section>")[0]
    assert "2 Abonnenten" in digital
    assert "Förderprogramm Digitalbonus geöffnet" in digital
    assert "Workshop KI im Mittelstand" in digital
    assert "Energiepreisbremse" not in digital
    energy_section = html.split('id="topic-energie"')[1].split("</section>")[0]
    assert "1 Abonnent" in energy_section  # the unconfirmed one does not count
    assert "Energieeffizienz-Sprechtag" in energy_section


@pytest.mark.django_db
def test_preview_query_count_does_not_grow_with_topics_and_content(
    client, coordinator, content, network, django_assert_num_queries
):
    client.force_login(coordinator)
    client.get(reverse("manage:digest"))  # the session and the user
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("manage:digest"))
    for _ in range(4):
        topic = TopicFactory()
        NoticeFactory(organization=network, topics=[topic])
        EventFactory(organizers=[network], topics=[topic])
        SubscriberFactory(topics=[topic])
    cache.clear()
    with django_assert_num_queries(len(first)):
        html = client.get(reverse("manage:digest")).content.decode()
    assert html.count('class="digest-topic"') == 6


@pytest.mark.django_db
def test_preview_mail_renders_the_html_and_the_plain_text_of_one_topic(client, coordinator, content):
    client.force_login(coordinator)

    html = client.get(reverse("manage:digest-mail"), {"topic": "digitalisierung"})
    text = client.get(
        reverse("manage:digest-mail"), {"topic": "digitalisierung", "format": "text", "language": "en"}
    )

    assert "default-src 'none'" in html["Content-Security-Policy"]
    assert "Workshop KI im Mittelstand" in html.content.decode()
    assert "Energieeffizienz" not in html.content.decode()
    assert text["Content-Type"].startswith("text/plain")
    assert "Coming events" in text.content.decode()
    assert client.get(reverse("manage:digest-mail"), {"topic": "gibt-es-nicht"}).status_code == 404


@pytest.mark.django_db
def test_preview_sends_nothing(client, coordinator, content, digitalisation):
    SubscriberFactory(topics=[digitalisation])
    client.force_login(coordinator)

    client.get(reverse("manage:digest"))

    assert services.plan_digest(force=True).sent == 1
    assert not DigestIssue.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "shown"), [("manager", False), ("coordinator", True)])
def test_dashboard_links_the_preview_for_the_coordination_office_only(client, request, role, shown):
    client.force_login(request.getfixturevalue(role))

    html = client.get(reverse("manage:dashboard")).content.decode()

    assert (reverse("manage:digest") in html) is shown
