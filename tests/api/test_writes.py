"""Writes with a token: the answer, the change in the database and the audit row, then the error paths."""

import json

import pytest

from crosscluster.core.models import AuditLogEntry
from crosscluster.directory.models import Contact, Offer, Organization, Topic, Video
from tests.factories import ContactFactory, TopicFactory

from .conftest import bearer
from .test_permissions import directory_state


def send(client, method: str, url: str, user, body=None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs |= {
            "data": body if isinstance(body, str) else json.dumps(body),
            "content_type": "application/json",
        }
    return getattr(client, method)(url, **kwargs)


def invalid(path: str, *errors: tuple[str, str, str], detail: str = "The request is not valid.") -> dict:
    return {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": detail,
        "instance": path,
        "errors": [
            {"location": "body", "field": field, "detail": message, "code": code}
            for field, message, code in errors
        ],
    }


@pytest.fixture
def wasserstoff(db):
    return TopicFactory(slug="wasserstoff", name="Wasserstoff", position=0)


# --- Organisations --------------------------------------------------------------------------------------


def test_update_organization_changes_profile_and_topics(api_client, manager, organization, wasserstoff):
    Topic.objects.filter(slug="kunststoffe").update(position=5)
    body = {
        "name": "PolymerNetz",
        "kind": "cluster",
        "city": "Rudolstadt",
        "website": "https://polymer.example.org",
        "summary": "Kunststoff aus Thüringen.",
        "description": "Wir bündeln Wasserstoff-Kompetenz.",
        "topics": ["kunststoffe", "wasserstoff"],
    }

    response = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, body)

    assert response.status_code == 200
    payload = response.json()
    offer = organization.offers.get()
    assert payload == {
        "slug": "polymer-netz",
        "name": "PolymerNetz",
        "name_en": None,
        "kind": "cluster",
        "region": "thueringen",
        "city": "Rudolstadt",
        "website": "https://polymer.example.org",
        "summary": "Kunststoff aus Thüringen.",
        "summary_en": None,
        "logo_url": None,
        "topics": ["wasserstoff", "kunststoffe"],
        "description": "Wir bündeln Wasserstoff-Kompetenz.",
        "description_en": None,
        "published": True,
        "offers": [
            {
                "id": offer.pk,
                "organization": "polymer-netz",
                "title": "Kunststoffberatung",
                "title_en": None,
                "description": "Beratung für kleine und mittlere Unternehmen.",
                "description_en": None,
                "kind": "advice",
                "topics": ["kunststoffe"],
                "position": offer.position,
            }
        ],
        "contacts": [],
        "videos": [],
    }
    organization.refresh_from_db()
    assert (organization.name, organization.kind, organization.city) == (
        "PolymerNetz",
        "cluster",
        "Rudolstadt",
    )
    assert set(organization.topics.values_list("slug", flat=True)) == {"kunststoffe", "wasserstoff"}
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.organization) == (
        "directory.organization.updated",
        manager,
        organization,
    )
    assert entry.data["changes"]["city"] == ["Erfurt", "Rudolstadt"]
    assert entry.data["changes"]["topics"] == ["kunststoffe", "wasserstoff"]
    # The search text follows the change, so the new words are found.
    found = api_client.get("/api/v1/organizations?q=Wasserstoff").json()["items"]
    assert [item["slug"] for item in found] == ["polymer-netz"]


def test_update_organization_changes_only_the_fields_sent(api_client, manager, organization):
    response = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, {"city": "Jena"})

    assert response.status_code == 200
    organization.refresh_from_db()
    assert (organization.city, organization.name) == ("Jena", "PolymerNetz Thüringen")
    assert list(organization.topics.values_list("slug", flat=True)) == ["kunststoffe"]


def test_update_organization_without_changes_writes_no_audit_row(api_client, manager, organization):
    response = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, {})

    assert response.status_code == 200
    assert not AuditLogEntry.objects.exists()


def test_update_organization_publication_is_for_the_coordination_office(
    api_client, manager, coordinator, organization
):
    refused = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, {"published": False})

    assert refused.status_code == 403
    assert refused.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "Only the coordination office publishes or unpublishes organisations.",
        "instance": "/api/v1/organizations/polymer-netz",
    }
    assert Organization.objects.get(pk=organization.pk).published is True

    accepted = send(
        api_client, "patch", "/api/v1/organizations/polymer-netz", coordinator, {"published": False}
    )

    assert accepted.status_code == 200
    assert accepted.json()["published"] is False
    assert api_client.get("/api/v1/organizations/polymer-netz").status_code == 404


def test_update_organization_reaches_an_unpublished_organization_of_its_manager(
    api_client, manager, organization
):
    Organization.objects.filter(pk=organization.pk).update(published=False)

    response = send(
        api_client, "patch", "/api/v1/organizations/polymer-netz", manager, {"summary": "Bald online."}
    )

    assert response.status_code == 200
    assert response.json()["summary"] == "Bald online."
    assert api_client.get("/api/v1/organizations/polymer-netz").status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": ""}, [("name", "String should have at least 1 character", "string_too_short")]),
        ({"name": None}, [("name", "Input should be a valid string", "string_type")]),
        (
            {"summary": "x" * 601},
            [("summary", "String should have at most 600 characters", "string_too_long")],
        ),
        (
            {"kind": "verein"},
            [
                (
                    "kind",
                    "Input should be 'network', 'cluster', 'center', 'agency', 'chamber', 'research', "
                    "'supporter' or 'coordination'",
                    "literal_error",
                )
            ],
        ),
        (
            {"slug": "neu", "logo": "x.png"},
            [
                ("slug", "Extra inputs are not permitted", "extra_forbidden"),
                ("logo", "Extra inputs are not permitted", "extra_forbidden"),
            ],
        ),
        (
            {"topics": ["kunststoffe", "gibts-nicht"]},
            [("topics.1", "There is no topic “gibts-nicht”.", "unknown_topic")],
        ),
        ({"topics": "kunststoffe"}, [("topics", "Input should be a valid list", "list_type")]),
    ],
)
def test_update_organization_refuses_invalid_input(api_client, manager, organization, body, errors):
    before = directory_state()

    response = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, body)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == invalid("/api/v1/organizations/polymer-netz", *errors)
    assert directory_state() == before


def test_update_organization_refuses_what_the_model_refuses(api_client, manager, organization):
    before = directory_state()

    response = send(
        api_client, "patch", "/api/v1/organizations/polymer-netz", manager, {"website": "javascript:alert(1)"}
    )

    assert response.status_code == 422
    assert response.json() == invalid(
        "/api/v1/organizations/polymer-netz",
        ("website", "Enter a valid URL.", "invalid"),
        detail="Enter a valid URL.",
    )
    assert directory_state() == before


def test_update_organization_refuses_a_body_that_is_not_json(api_client, manager, organization):
    response = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, "{not json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Cannot parse request body",
        "instance": "/api/v1/organizations/polymer-netz",
    }


def test_update_organization_returns_markup_as_plain_data(api_client, manager, organization):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'

    response = send(api_client, "patch", "/api/v1/organizations/polymer-netz", manager, {"summary": script})

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["summary"] == script
    assert api_client.get("/api/v1/organizations/polymer-netz").json()["summary"] == script


def test_update_organization_unknown_slug_is_404(api_client, manager):
    response = send(api_client, "patch", "/api/v1/organizations/gibts-nicht", manager, {"city": "Jena"})

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no organisation “gibts-nicht”."


# --- Offers ---------------------------------------------------------------------------------------------


def test_create_offer_adds_it_at_the_end(api_client, manager, organization, wasserstoff):
    body = {
        "title": "Wasserstoff-Sprechstunde",
        "description": "Erste Fragen zu Elektrolyseuren.",
        "kind": "advice",
        "topics": ["wasserstoff"],
    }
    last_position = max(organization.offers.values_list("position", flat=True))

    response = send(api_client, "post", "/api/v1/organizations/polymer-netz/offers", manager, body)

    assert response.status_code == 201
    offer = Offer.objects.get(title="Wasserstoff-Sprechstunde")
    assert response.json() == {
        "id": offer.pk,
        "organization": "polymer-netz",
        "title": "Wasserstoff-Sprechstunde",
        "title_en": None,
        "description": "Erste Fragen zu Elektrolyseuren.",
        "description_en": None,
        "kind": "advice",
        "topics": ["wasserstoff"],
        "position": last_position + 1,
    }
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("directory.offer.created", manager, str(offer.pk))
    found = api_client.get("/api/v1/offers?q=Elektrolyseur").json()["items"]
    assert [item["id"] for item in found] == [offer.pk]


def test_create_offer_requires_a_title(api_client, manager, organization):
    response = send(
        api_client, "post", "/api/v1/organizations/polymer-netz/offers", manager, {"kind": "event"}
    )

    assert response.status_code == 422
    assert response.json() == invalid(
        "/api/v1/organizations/polymer-netz/offers", ("title", "Field required", "missing")
    )
    assert organization.offers.count() == 1


def test_create_offer_without_body_is_400(api_client, manager, organization):
    response = api_client.post(
        "/api/v1/organizations/polymer-netz/offers", headers=bearer(manager) | {"Accept-Language": "en"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Cannot parse request body"
    assert organization.offers.count() == 1


def test_update_offer_changes_the_fields_sent(api_client, manager, organization, wasserstoff):
    offer = organization.offers.get()

    response = send(
        api_client,
        "patch",
        f"/api/v1/offers/{offer.pk}",
        manager,
        {"kind": "training", "topics": ["wasserstoff"]},
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": offer.pk,
        "organization": "polymer-netz",
        "title": "Kunststoffberatung",
        "title_en": None,
        "description": "Beratung für kleine und mittlere Unternehmen.",
        "description_en": None,
        "kind": "training",
        "topics": ["wasserstoff"],
        "position": offer.position,
    }
    entry = AuditLogEntry.objects.get()
    assert entry.data == {"changes": {"kind": ["advice", "training"], "topics": ["wasserstoff"]}}


def test_delete_offer_removes_it(api_client, manager, organization):
    offer = organization.offers.get()

    response = send(api_client, "delete", f"/api/v1/offers/{offer.pk}", manager)

    assert response.status_code == 204
    assert response.content == b""
    assert not response.has_header("Content-Type")
    assert not Offer.objects.filter(pk=offer.pk).exists()
    assert AuditLogEntry.objects.get().action == "directory.offer.deleted"
    assert api_client.get(f"/api/v1/offers/{offer.pk}").status_code == 404


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_offer_writes_to_an_unknown_offer_are_404(api_client, manager, method):
    response = send(
        api_client, method, "/api/v1/offers/999999", manager, {"title": "x"} if method == "patch" else None
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no offer 999999."


# --- Contacts -------------------------------------------------------------------------------------------


def test_create_contact_returns_it(api_client, manager, organization, contact):
    body = {"name": "Max Neu", "role": "Technik", "email": "max@example.org", "phone": "+49 3641 1"}

    response = send(api_client, "post", "/api/v1/organizations/polymer-netz/contacts", manager, body)

    assert response.status_code == 201
    created = Contact.objects.get(name="Max Neu")
    assert response.json() == {
        "id": created.pk,
        "name": "Max Neu",
        "role": "Technik",
        "email": "max@example.org",
        "phone": "+49 3641 1",
        "photo_url": None,
        "position": 1,
    }
    assert created.organization == organization
    assert AuditLogEntry.objects.get().actor == manager


def test_create_contact_refuses_a_photo_and_a_bad_address(api_client, manager, organization):
    refused_photo = send(
        api_client,
        "post",
        "/api/v1/organizations/polymer-netz/contacts",
        manager,
        {"name": "X", "photo": "x.jpg"},
    )
    refused_email = send(
        api_client,
        "post",
        "/api/v1/organizations/polymer-netz/contacts",
        manager,
        {"name": "X", "email": "kein"},
    )

    assert refused_photo.json()["errors"] == [
        {
            "location": "body",
            "field": "photo",
            "detail": "Extra inputs are not permitted",
            "code": "extra_forbidden",
        }
    ]
    assert refused_email.status_code == 422
    assert refused_email.json()["errors"] == [
        {"location": "body", "field": "email", "detail": "Enter a valid email address.", "code": "invalid"}
    ]
    assert not Contact.objects.exists()


def test_update_contact_changes_the_fields_sent(api_client, manager, contact):
    response = send(
        api_client,
        "patch",
        f"/api/v1/organizations/polymer-netz/contacts/{contact.pk}",
        manager,
        {"role": "Leitung"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": contact.pk,
        "name": "Erika Muster",
        "role": "Leitung",
        "email": "erika@example.org",
        "phone": "+49 361 123456",
        "photo_url": None,
        "position": 0,
    }
    assert AuditLogEntry.objects.get().data == {"changes": {"role": ["Netzwerkmanagerin", "Leitung"]}}


def test_delete_contact_removes_it(api_client, manager, contact):
    response = send(
        api_client, "delete", f"/api/v1/organizations/polymer-netz/contacts/{contact.pk}", manager
    )

    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_contact_of_another_organization_is_404_under_this_slug(
    api_client, coordinator, organization, other_organization
):
    foreign = ContactFactory(organization=other_organization)

    response = send(
        api_client,
        "patch",
        f"/api/v1/organizations/polymer-netz/contacts/{foreign.pk}",
        coordinator,
        {"role": "x"},
    )

    assert response.status_code == 404
    assert response.json()["detail"] == f"The organisation has no contact {foreign.pk}."
    assert Contact.objects.get(pk=foreign.pk).role == "Netzwerkmanagerin"


# --- Videos ---------------------------------------------------------------------------------------------


def test_create_video_links_an_external_video(api_client, manager, organization):
    body = {"title": "Imagefilm", "url": "https://video.example.org/image", "captions_language": "en"}

    response = send(api_client, "post", "/api/v1/organizations/polymer-netz/videos", manager, body)

    assert response.status_code == 201
    video = Video.objects.get()
    assert response.json() == {
        "id": video.pk,
        "title": "Imagefilm",
        "external_url": "https://video.example.org/image",
        "file_url": None,
        "poster_url": None,
        "captions_url": None,
        "captions_language": "en",
        "position": 0,
    }
    assert AuditLogEntry.objects.get().action == "directory.video.created"


def test_create_video_refuses_files_and_missing_url(api_client, manager, organization):
    response = send(
        api_client,
        "post",
        "/api/v1/organizations/polymer-netz/videos",
        manager,
        {"title": "X", "file": "film.mp4"},
    )

    assert response.json() == invalid(
        "/api/v1/organizations/polymer-netz/videos",
        ("url", "Field required", "missing"),
        ("file", "Extra inputs are not permitted", "extra_forbidden"),
    )
    assert not Video.objects.exists()


def test_update_video_refuses_a_link_on_an_uploaded_video(api_client, manager, uploaded_video):
    before = directory_state()

    response = send(
        api_client,
        "patch",
        f"/api/v1/organizations/polymer-netz/videos/{uploaded_video.pk}",
        manager,
        {"url": "https://video.example.org/x"},
    )

    message = "Upload a video file or give an external URL, not both."
    assert response.json() == invalid(
        f"/api/v1/organizations/polymer-netz/videos/{uploaded_video.pk}",
        ("", message, "invalid"),
        detail=message,
    )
    assert directory_state() == before


def test_update_video_changes_the_fields_sent(api_client, manager, video):
    response = send(
        api_client, "patch", f"/api/v1/organizations/polymer-netz/videos/{video.pk}", manager, {"position": 3}
    )

    assert response.status_code == 200
    assert response.json()["position"] == 3
    assert response.json()["title"] == "Das Netzwerk in 90 Sekunden"


def test_delete_video_removes_it(api_client, manager, video):
    response = send(api_client, "delete", f"/api/v1/organizations/polymer-netz/videos/{video.pk}", manager)

    assert response.status_code == 204
    assert not Video.objects.exists()
