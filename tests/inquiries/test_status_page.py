"""The company's private status page: where the inquiry stands, its history without notes or staff names,
and withdrawing it, which erases the data at once."""

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.inquiries import services
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory, MembershipFactory, OrganizationFactory, UserFactory


def create(region, **fields) -> tuple[Inquiry, str]:
    values = {
        "region": region,
        "text": "Wir suchen Beratung zum Recycling.\nZweite Zeile.",
        "company_name": "Muster GmbH",
        "contact_name": "Max Mustermann",
        "email": "max@muster.example",
        "consent": True,
    }
    return services.create_inquiry(**(values | fields))


def status_path(token: str, prefix: str = "") -> str:
    return f"{prefix}/anfrage/status/{token}/"


@pytest.fixture
def forwarded(region, organization, other_organization, manager, coordinator):
    """Assigned by the coordination office with a note, accepted, then forwarded with a note."""
    inquiry, token = create(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Geheime Notiz der Koordination")
    services.accept_inquiry(inquiry, actor=manager)
    services.forward_inquiry(inquiry, other_organization, actor=manager, note="Interne Begründung XYZ")
    return inquiry, token


def test_status_shows_state_organisation_history_and_text(client, forwarded):
    inquiry, token = forwarded
    response = client.get(status_path(token))
    html = response.content.decode()

    assert response.status_code == 200
    assert f"Ihre Anfrage {inquiry.reference}" in html
    assert "Anderes Netzwerk" in html  # with whom it is now
    assert "Zugewiesen" in html  # the state in words
    assert "Von der Firma gestellt" in html
    assert "Weitergeleitet von PolymerNetz Thüringen an Anderes Netzwerk" in html
    assert "Angenommen von PolymerNetz Thüringen" in html
    assert "Wir suchen Beratung zum Recycling." in html
    assert response.context["steps"][0].action == "inquiry.submitted"
    assert [step.action for step in response.context["steps"]] == [
        "inquiry.submitted",
        "inquiry.assigned",
        "inquiry.accepted",
        "inquiry.forwarded",
    ]


def test_status_never_shows_notes_or_staff_names(client, forwarded, manager, coordinator):
    _inquiry, token = forwarded
    manager.first_name, manager.last_name = "Hannelore", "Internus"
    manager.save()
    html = client.get(status_path(token)).content.decode()
    assert "Geheime Notiz" not in html
    assert "Interne Begründung" not in html
    assert "Hannelore" not in html and "Internus" not in html
    assert manager.email not in html and coordinator.email not in html


def test_status_is_private_noindex_and_sends_no_referrer(client, region):
    _inquiry, token = create(region)
    response = client.get(status_path(token))
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_status_renders_in_the_language_of_the_inquiry(client, region):
    inquiry, token = create(region, language="en")
    for prefix in ("/en", ""):
        response = client.get(status_path(token, prefix))
        html = response.content.decode()
        assert '<html lang="en">' in html
        assert f"Your inquiry {inquiry.reference}" in html
        assert "The coordination office reads your inquiry" in html
        assert response["Content-Language"] == "en"


def test_status_link_in_the_mail_is_in_the_inquiry_language(region):
    _inquiry, token = create(region, language="en")
    mail = OutgoingMail.objects.get(to="max@muster.example")
    assert f"/en/anfrage/status/{token}/" in mail.body_text


@pytest.mark.parametrize("token", ["gibt-es-nicht", "x" * 32])
def test_status_unknown_token_is_a_404_in_the_site_design(client, db, token):
    response = client.get(status_path(token))
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-header"' in html
    assert "Diese Anfrage gibt es nicht (mehr)" in html


def test_status_of_an_inquiry_without_organisation_names_the_coordination_office(client, region):
    _inquiry, token = create(region)
    html = client.get(status_path(token)).content.decode()
    assert "Die Koordinierungsstelle liest Ihre Anfrage" in html


def test_status_shows_organisations_that_are_also_involved(client, region, organization, other_organization):
    manager = UserFactory()
    MembershipFactory(user=manager, organization=organization)
    inquiry, token = create(region, organization=organization)
    services.involve_organization(inquiry, other_organization, actor=manager, note="nur intern")
    html = client.get(status_path(token)).content.decode()
    assert "Ebenfalls beteiligt" in html and "Anderes Netzwerk" in html
    assert "nur intern" not in html


# Withdrawing


def test_withdraw_asks_for_confirmation_first(client, region, organization):
    inquiry, token = create(region, organization=organization)
    for response in (
        client.get(f"{status_path(token)}zurueckziehen/"),
        client.post(f"{status_path(token)}zurueckziehen/"),
    ):
        assert response.status_code == 200
        assert 'name="confirm" value="yes"' in response.content.decode()
    inquiry.refresh_from_db()
    assert inquiry.state == Inquiry.State.ASSIGNED and inquiry.erased_at is None


def test_withdraw_erases_at_once_and_the_link_is_dead(client, region, organization, manager):
    inquiry, token = create(region, organization=organization)
    response = client.post(f"{status_path(token)}zurueckziehen/", {"confirm": "yes"})

    inquiry.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("inquiries:withdrawn")
    assert inquiry.state == Inquiry.State.WITHDRAWN
    assert inquiry.erased_at is not None
    assert (inquiry.text, inquiry.company_name, inquiry.contact_name, inquiry.email) == ("", "", "", "")
    assert inquiry.organization == organization  # statistics stay
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == ["manager@example.org"]
    assert "Muster GmbH" not in OutgoingMail.objects.get().body_text  # the withdrawal notice names no one
    assert AuditLogEntry.objects.filter(action="inquiry.erased", data={"reason": "withdrawn"}).exists()

    page = client.get(response["Location"])
    assert "Ihre Daten wurden gelöscht" in page.content.decode()
    gone = client.get(status_path(token))
    assert gone.status_code == 404
    assert "Diese Anfrage gibt es nicht (mehr)" in gone.content.decode()


def test_withdraw_in_english_lands_on_the_english_page(client, region):
    _inquiry, token = create(region, language="en")
    response = client.post(f"{status_path(token, '/en')}zurueckziehen/", {"confirm": "yes"})
    assert response["Location"] == "/en/anfrage/zurueckgezogen/"
    assert "Your data have been erased" in client.get(response["Location"]).content.decode()


def test_withdraw_a_closed_inquiry_only_erases(client, region, organization, manager):
    inquiry, token = create(region, organization=organization)
    services.resolve_inquiry(inquiry, actor=manager)
    html = client.get(status_path(token)).content.decode()
    assert "Meine Daten löschen" in html

    client.post(f"{status_path(token)}zurueckziehen/", {"confirm": "yes"})
    inquiry.refresh_from_db()
    assert inquiry.state == Inquiry.State.RESOLVED and inquiry.erased_at is not None


def test_withdraw_with_an_unknown_token_is_a_404(client, db):
    response = client.post("/anfrage/status/unbekannt/zurueckziehen/", {"confirm": "yes"})
    assert response.status_code == 404


def test_withdraw_needs_the_csrf_token(db, region):
    from django.test import Client

    _inquiry, token = create(region)
    response = Client(enforce_csrf_checks=True).post(
        f"{status_path(token)}zurueckziehen/", {"confirm": "yes"}
    )
    assert response.status_code == 403
    assert Inquiry.objects.get().erased_at is None


def test_status_of_an_inquiry_from_the_factory(client, db):
    from crosscluster.inquiries.models import hash_status_token

    inquiry = InquiryFactory(
        status_token_hash=hash_status_token("bekannt"), organization=OrganizationFactory(name="Fabriknetz")
    )
    html = client.get(status_path("bekannt")).content.decode()
    assert inquiry.reference in html
