"""DSGVO: personal data of long-closed inquiries are erased, withdrawing erases at once, statistics stay,
and the admin shows personal data only to superusers."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry, OutgoingMail, PeriodicLock
from crosscluster.inquiries import services
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory, UserFactory

PERSONAL = ("text", "company_name", "contact_name", "email", "phone", "location")


def create(region, **fields) -> tuple[Inquiry, str]:
    values = {
        "region": region,
        "text": "Wir suchen Beratung zum Recycling.",
        "company_name": "Muster GmbH",
        "contact_name": "Max Mustermann",
        "email": "max@muster.example",
        "phone": "0361 123",
        "location": "Jena",
        "company_size": "10-49",
        "consent": True,
    }
    return services.create_inquiry(**(values | fields))


def erase_command(*args) -> str:
    output = io.StringIO()
    call_command("erase-expired-inquiries", *args, stdout=output)
    return output.getvalue()


@pytest.fixture
def closed_long_ago(region, organization, manager, coordinator, topic):
    """Resolved with notes and mails, closed 400 days ago."""
    inquiry, token = create(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Bitte kümmern: Max kennt uns")
    services.resolve_inquiry(inquiry, actor=manager, note="Rückruf bei Herrn Mustermann erledigt")
    Inquiry.objects.filter(pk=inquiry.pk).update(closed_at=timezone.now() - timedelta(days=400))
    inquiry.refresh_from_db()
    return inquiry, token


def test_erase_expired_erases_personal_data_and_keeps_statistics(
    client, closed_long_ago, organization, topic
):
    inquiry, token = closed_long_ago
    before = Inquiry.objects.get(pk=inquiry.pk)

    assert erase_command() == "erase-expired-inquiries: 1 inquiry(ies) erased (retention 365 days)\n"

    inquiry.refresh_from_db()
    assert [getattr(inquiry, name) for name in PERSONAL] == [""] * len(PERSONAL)
    assert inquiry.suggestions == []
    assert inquiry.erased_at is not None
    # What the statistics need stays.
    assert inquiry.state == Inquiry.State.RESOLVED
    assert inquiry.organization == organization
    assert inquiry.first_organization == organization and inquiry.resolved_by == organization
    assert list(inquiry.topics.all()) == [topic]
    assert inquiry.company_size == "10-49"
    assert (inquiry.created_at, inquiry.assigned_at, inquiry.closed_at) == (
        before.created_at,
        before.assigned_at,
        before.closed_at,
    )
    # Notes leave the history, the mails about it leave the outbox, the status link dies.
    entries = AuditLogEntry.objects.filter(object_type="inquiries.inquiry", object_id=str(inquiry.pk))
    assert not [entry for entry in entries if "note" in entry.data]
    assert entries.filter(action="inquiry.erased", data={"reason": "retention"}).exists()
    assert not OutgoingMail.objects.filter(topic=f"inquiries.inquiry:{inquiry.pk}").exists()
    assert "Mustermann" not in str(list(entries.values_list("data", flat=True)))
    assert client.get(f"/anfrage/status/{token}/").status_code == 404


def test_erase_expired_leaves_recent_and_open_inquiries(closed_long_ago, region, organization, manager):
    recent, _token = create(region, organization=organization, email="recent@muster.example")
    services.resolve_inquiry(recent, actor=manager)
    Inquiry.objects.filter(pk=recent.pk).update(closed_at=timezone.now() - timedelta(days=364))
    still_open, _token = create(region, email="open@muster.example")
    Inquiry.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=800))

    erase_command()

    for kept in (recent, still_open):
        kept.refresh_from_db()
        assert kept.erased_at is None and kept.company_name == "Muster GmbH"
    assert OutgoingMail.objects.filter(to="recent@muster.example").exists()


def test_erase_expired_follows_the_retention_setting(closed_long_ago, settings):
    inquiry, _token = closed_long_ago
    settings.INQUIRY_RETENTION_DAYS = 500
    assert erase_command() == "erase-expired-inquiries: 0 inquiry(ies) erased (retention 500 days)\n"
    settings.INQUIRY_RETENTION_DAYS = 399
    erase_command()
    inquiry.refresh_from_db()
    assert inquiry.erased_at is not None


def test_erase_expired_dry_run_only_counts(closed_long_ago):
    inquiry, _token = closed_long_ago
    assert (
        erase_command("--dry-run")
        == "erase-expired-inquiries: 1 inquiry(ies) closed over 365 days ago to erase\n"
    )
    inquiry.refresh_from_db()
    assert inquiry.erased_at is None and inquiry.company_name == "Muster GmbH"


def test_erase_expired_skips_while_another_run_holds_the_lock(closed_long_ago):
    inquiry, _token = closed_long_ago
    PeriodicLock.objects.create(
        name="erase-expired-inquiries", locked_until=timezone.now() + timedelta(minutes=5)
    )
    assert erase_command() == "erase-expired-inquiries: another run is active; skipped\n"
    inquiry.refresh_from_db()
    assert inquiry.erased_at is None


def test_erase_expired_twice_erases_once(closed_long_ago):
    inquiry, _token = closed_long_ago
    erase_command()
    assert erase_command() == "erase-expired-inquiries: 0 inquiry(ies) erased (retention 365 days)\n"
    assert AuditLogEntry.objects.filter(action="inquiry.erased", object_id=str(inquiry.pk)).count() == 1


def test_withdraw_from_the_status_link_erases_notes_and_mails_at_once(
    client, region, organization, coordinator
):
    inquiry, token = create(region)
    services.assign_inquiry(inquiry, organization, actor=coordinator, note="Notiz über Herrn Mustermann")

    client.post(f"/anfrage/status/{token}/zurueckziehen/", {"confirm": "yes"})

    inquiry.refresh_from_db()
    assert inquiry.erased_at is not None and inquiry.state == Inquiry.State.WITHDRAWN
    assert [getattr(inquiry, name) for name in PERSONAL] == [""] * len(PERSONAL)
    assert not AuditLogEntry.objects.filter(object_id=str(inquiry.pk), data__has_key="note").exists()
    assert not OutgoingMail.objects.filter(to="max@muster.example").exists()


def test_privacy_page_tells_what_is_stored_for_how_long_and_which_version(client, db, settings):
    settings.INQUIRY_RETENTION_DAYS = 180
    settings.INQUIRY_CONSENT_VERSION = "2027-02"
    html = client.get("/en/datenschutz/").content.decode()
    assert 'id="privacy-inquiries"' in html
    assert "Inquiries (version 2027-02)" in html
    assert "180 days after your inquiry is closed" in html
    assert "withdraw" in html


# The admin


@pytest.fixture
def staff_viewer(db):
    """Staff who may look at inquiries in the admin, but is no superuser."""
    user = UserFactory(email="staff@example.org", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_inquiry"))
    return user


def test_admin_shows_personal_data_to_superusers_only(client, admin_user, staff_viewer, region):
    inquiry, _token = create(region)
    url = f"/admin/inquiries/inquiry/{inquiry.pk}/change/"

    client.force_login(admin_user)
    assert "Muster GmbH" in client.get(url).content.decode()
    client.force_login(staff_viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert "Muster GmbH" not in response.content.decode()
    assert "max@muster.example" not in response.content.decode()


def test_admin_cannot_add_change_or_delete_inquiries(client, admin_user, region):
    inquiry, _token = create(region)
    client.force_login(admin_user)
    assert client.get("/admin/inquiries/inquiry/add/").status_code == 403
    client.post(f"/admin/inquiries/inquiry/{inquiry.pk}/change/", {"company_name": "Geändert"})
    assert client.post(f"/admin/inquiries/inquiry/{inquiry.pk}/delete/", {"post": "yes"}).status_code == 403
    inquiry.refresh_from_db()
    assert inquiry.company_name == "Muster GmbH"


def test_admin_lists_and_filters_by_state_region_and_organisation(client, admin_user, region, organization):
    InquiryFactory(region=region, organization=organization, state=Inquiry.State.ASSIGNED)
    other = InquiryFactory(region=region)
    client.force_login(admin_user)
    response = client.get(
        f"/admin/inquiries/inquiry/?state=assigned&organization__id__exact={organization.pk}"
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    found = client.get(f"/admin/inquiries/inquiry/?q={other.reference}")
    assert list(found.context["cl"].result_list) == [other]
    assert client.get("/admin/inquiries/inquiry/?q=Muster").context["cl"].result_count == 0


def test_admin_erases_personal_data_on_request(client, admin_user, region):
    inquiry, _token = create(region)
    client.force_login(admin_user)
    client.post(
        "/admin/inquiries/inquiry/", {"action": "erase_personal_data", "_selected_action": [inquiry.pk]}
    )
    inquiry.refresh_from_db()
    assert inquiry.erased_at is not None and inquiry.company_name == ""
    assert AuditLogEntry.objects.get(action="inquiry.erased").actor == admin_user
