"""The API gives German texts under their plain names and English ones as `_en`, whatever Accept-Language."""

import pytest
from django.test import Client

from crosscluster.directory.models import Offer
from tests.factories import EventFactory, NoticeFactory

from .test_writes import send

pytestmark = pytest.mark.django_db


def test_organisation_has_german_and_english_texts_in_any_language(organization, topic):
    organization.summary_en = "A network for companies."
    organization.save()
    topic.name_en = "Plastics and polymers"
    topic.save()

    english = Client(headers={"Accept-Language": "en"}).get("/api/v1/organizations/polymer-netz").json()
    german = Client(headers={"Accept-Language": "de"}).get("/api/v1/organizations/polymer-netz").json()

    assert english == german
    assert (english["name"], english["name_en"]) == ("PolymerNetz Thüringen", None)
    assert (english["summary"], english["summary_en"]) == (
        "Ein Netzwerk für Unternehmen in Thüringen.",
        "A network for companies.",
    )
    assert (english["offers"][0]["title"], english["offers"][0]["title_en"]) == ("Kunststoffberatung", None)
    topic_json = Client().get("/api/v1/topics/kunststoffe").json()
    assert topic_json == {
        "slug": "kunststoffe",
        "name": "Kunststoffe und Polymere",
        "name_en": "Plastics and polymers",
    }


def test_writes_take_english_texts_beside_german(api_client, manager, organization):
    response = send(
        api_client,
        "patch",
        "/api/v1/organizations/polymer-netz",
        manager,
        {"name_en": "PolymerNet Thuringia", "summary": "Kunststoff."},
    )

    assert response.status_code == 200
    organization.refresh_from_db()
    assert (organization.name_de, organization.name_en) == ("PolymerNetz Thüringen", "PolymerNet Thuringia")
    assert (organization.summary_de, organization.summary_en) == ("Kunststoff.", None)

    created = send(
        api_client,
        "post",
        "/api/v1/organizations/polymer-netz/offers",
        manager,
        {"title": "Prüflabor", "title_en": "Test lab", "kind": "advice"},
    ).json()
    assert (created["title"], created["title_en"], created["description_en"]) == (
        "Prüflabor",
        "Test lab",
        None,
    )
    assert Offer.objects.get(pk=created["id"]).title_de == "Prüflabor"


def test_events_and_notices_give_english_beside_german(api_client, organization):
    event = EventFactory(organizers=[organization], title="Tagung", title_en="Conference")
    EventFactory(organizers=[organization], title="Stammtisch")
    notice = NoticeFactory(organization=organization, title="Hinweis", title_en="Notice", body_en="**News**")

    events = {item["title"]: item for item in api_client.get("/api/v1/events").json()["items"]}
    assert (events["Tagung"]["title_en"], events["Stammtisch"]["title_en"]) == ("Conference", None)
    assert events["Tagung"]["description_en"] is None
    item = api_client.get(f"/api/v1/notices/{notice.slug}").json()
    assert (item["title"], item["title_en"], item["body_en"]) == ("Hinweis", "Notice", "**News**")
    assert event.pk == events["Tagung"]["id"]
