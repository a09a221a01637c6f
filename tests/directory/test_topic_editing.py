"""The coordination office words topic introductions and keeps their synonyms in the manager area."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Topic
from crosscluster.directory.services import update_topic
from crosscluster.routing import services as routing
from tests.factories import TopicFactory

PAGES = ["manage:topics", "manage:topic-edit"]


@pytest.fixture
def topic(db):
    return TopicFactory(slug="energie", name="Energie", synonyms="Strom")


def page_url(name, topic):
    return reverse(name, kwargs={"slug": topic.slug}) if name.endswith("edit") else reverse(name)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(
    ("role", "status"), [("manager", 403), ("outsider", 403), ("coordinator", 200), ("admin_user", 200)]
)
def test_topic_pages_are_the_coordination_office_s(client, request, topic, name, role, status):
    client.force_login(request.getfixturevalue(role))

    assert client.get(page_url(name, topic)).status_code == status


@pytest.mark.parametrize("name", PAGES)
def test_topic_pages_send_anonymous_visitors_to_the_login(client, topic, name):
    response = client.get(page_url(name, topic))

    assert response.status_code == 302
    assert "/konto/anmelden/" in response["Location"]


def test_manager_cannot_post_a_topic_change(client, manager, topic):
    client.force_login(manager)

    response = client.post(page_url("manage:topic-edit", topic), {"introduction_de": "x", "synonyms": ""})

    assert response.status_code == 403
    topic.refresh_from_db()
    assert (topic.introduction, topic.synonyms) == ("", "Strom")


def test_coordinator_edits_a_topic_audited_and_the_routing_index_follows(client, coordinator, topic):
    client.force_login(coordinator)
    version = routing.index_version()

    response = client.post(
        page_url("manage:topic-edit", topic),
        {"introduction_de": "Alles zu **Energie** im Betrieb.", "synonyms": "Strom\nPhotovoltaik"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("manage:topics")
    topic.refresh_from_db()
    assert topic.synonym_list() == ["Strom", "Photovoltaik"]
    assert topic.introduction == "Alles zu **Energie** im Betrieb."
    entry = AuditLogEntry.objects.get(action="directory.topic.updated")
    assert entry.actor == coordinator
    assert entry.data["changes"]["synonyms"] == ["Strom", "Strom\nPhotovoltaik"]
    assert routing.index_version() > version
    listing = client.get(reverse("manage:topics")).content.decode()
    assert "Strom, Photovoltaik" in listing


def test_update_topic_refuses_a_manager_and_records_nothing_unchanged(manager, coordinator, topic):
    with pytest.raises(PermissionDenied, match="Koordinierungsstelle"):
        update_topic(topic, actor=manager, synonyms="Gas")

    update_topic(topic, actor=coordinator, synonyms="Strom")

    assert Topic.objects.get(pk=topic.pk).synonyms == "Strom"
    assert not AuditLogEntry.objects.filter(action="directory.topic.updated").exists()
