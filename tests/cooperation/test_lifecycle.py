"""A cooperation profile's life: submitted without an account, confirmed by mail, reviewed (approve, ask for
changes, reject), changed, renewed, expired and withdrawn; every step audited, mails through the outbox."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crosscluster.cooperation import services
from crosscluster.cooperation.access import profile_for_token
from crosscluster.cooperation.models import CooperationProfile, ProfileMatch, today
from crosscluster.core.models import AuditLogEntry, OutgoingMail
from tests.cooperation.conftest import PROFILE_VALUES
from tests.factories import CooperationProfileFactory

State = CooperationProfile.State


def submit(topic, **fields):
    return services.submit_profile(topics=[topic], consent=True, **(PROFILE_VALUES | fields))


def actions(profile) -> list[str]:
    return list(
        AuditLogEntry.objects.filter(object_type="cooperation.cooperationprofile", object_id=str(profile.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_submit_profile_waits_for_confirmation_and_mails_the_owner_link(db, topic, network):
    profile, token = submit(topic)

    assert profile.state == State.UNCONFIRMED
    assert profile.email == "klara@kunde.example"
    assert profile.show_identity is False
    assert profile.expires_at == today() + dt.timedelta(days=365)
    mail = OutgoingMail.objects.get()
    assert mail.to == "klara@kunde.example"
    assert f"/kooperationen/profil/{token}/" in mail.body_text
    assert profile_for_token(token) == profile
    assert actions(profile) == ["cooperation.profile.created"]


def test_submit_profile_without_consent_is_refused(db, topic):
    with pytest.raises(services.CooperationError):
        services.submit_profile(topics=[topic], consent=False, **PROFILE_VALUES)
    assert not CooperationProfile.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_confirm_profile_assigns_the_network_sharing_its_topics_and_mails_its_reviewers(
    db, topic, network, other_network, reviewer, other_reviewer
):
    profile, _token = submit(topic)
    OutgoingMail.objects.all().delete()

    services.confirm_profile(profile)
    services.confirm_profile(profile)  # a second click changes nothing

    profile.refresh_from_db()
    assert profile.state == State.SUBMITTED
    assert profile.reviewing_organization == network
    assert [mail.to for mail in OutgoingMail.objects.all()] == ["pruefer@example.org"]
    assert actions(profile) == ["cooperation.profile.created", "cooperation.profile.confirmed"]


def test_confirm_profile_without_shared_topics_goes_to_the_office(db, region, coordinator, network):
    profile, _token = services.submit_profile(consent=True, **PROFILE_VALUES)
    OutgoingMail.objects.all().delete()

    services.confirm_profile(profile)

    assert profile.reviewing_organization is None
    assert [mail.to for mail in OutgoingMail.objects.all()] == ["koordination@example.org"]


def test_approve_profile_publishes_mails_and_recomputes_matches_after_commit(
    db, topic, network, reviewer, stand_in_matcher, django_capture_on_commit_callbacks
):
    offer = CooperationProfileFactory(kind=CooperationProfile.Kind.TECHNOLOGY_OFFER, topics=[topic])
    profile, _token = submit(topic)
    services.confirm_profile(profile)
    OutgoingMail.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        services.approve_profile(profile, actor=reviewer)

    profile.refresh_from_db()
    assert profile.state == State.PUBLISHED
    assert profile.published_at is not None
    assert profile.is_public
    assert [mail.to for mail in OutgoingMail.objects.all()] == ["klara@kunde.example"]
    stored = {(row.profile_id, row.counterpart_id): row for row in ProfileMatch.objects.all()}
    assert set(stored) == {(profile.pk, offer.pk), (offer.pk, profile.pk)}
    assert stored[(profile.pk, offer.pk)].reasons == [
        "technology-request ↔ technology-offer",
        "gleiche Begriffe: Kunststoff",
    ]
    entry = AuditLogEntry.objects.get(action="cooperation.profile.approved")
    assert entry.actor == reviewer
    assert entry.organization == network


def test_reviewer_of_another_network_cannot_approve_unless_office(
    db, topic, network, other_reviewer, coordinator
):
    profile, _token = submit(topic)
    services.confirm_profile(profile)

    with pytest.raises(PermissionDenied):
        services.approve_profile(profile, actor=other_reviewer)
    profile.refresh_from_db()
    assert profile.state == State.SUBMITTED

    services.approve_profile(profile, actor=coordinator)
    assert profile.state == State.PUBLISHED


def test_request_changes_then_owner_edit_submits_again(db, topic, network, reviewer):
    profile, _token = submit(topic)
    services.confirm_profile(profile)
    with pytest.raises(services.CooperationError):
        services.request_changes(profile, actor=reviewer, reason="  ")

    services.request_changes(profile, actor=reviewer, reason="Bitte keine Firmennamen im Text.")
    assert profile.state == State.CHANGES_REQUESTED
    mail = OutgoingMail.objects.filter(to="klara@kunde.example").latest("id")
    assert "Bitte keine Firmennamen im Text." in mail.body_text

    services.update_profile(profile, text="Neuer Text ohne Namen, mit genug Inhalt für die Prüfung.")
    profile.refresh_from_db()
    assert profile.state == State.SUBMITTED
    assert profile.text.startswith("Neuer Text")
    assert actions(profile)[-2:] == ["cooperation.profile.changes_requested", "cooperation.profile.updated"]


def test_reject_profile_needs_a_reason_and_closes_it(db, topic, network, reviewer):
    profile, _token = submit(topic)
    services.confirm_profile(profile)
    with pytest.raises(services.CooperationError):
        services.reject_profile(profile, actor=reviewer, reason="")

    services.reject_profile(profile, actor=reviewer, reason="Werbung, kein Kooperationswunsch.")

    assert profile.state == State.REJECTED
    assert profile.closed_at is not None
    entry = AuditLogEntry.objects.get(action="cooperation.profile.rejected")
    assert entry.data == {"reason": "Werbung, kein Kooperationswunsch."}


def test_manager_enters_profile_on_behalf_goes_to_review_at_once(db, topic, network, reviewer):
    profile, token = services.submit_profile(
        actor=reviewer, topics=[topic], reviewing_organization=network, **PROFILE_VALUES
    )

    assert profile.state == State.SUBMITTED
    assert profile.created_by == reviewer
    assert profile.reviewing_organization == network
    owner_mail = OutgoingMail.objects.get(to="klara@kunde.example")
    assert f"/kooperationen/profil/{token}/" in owner_mail.body_text
    assert actions(profile) == ["cooperation.profile.entered"]


def test_manager_cannot_assign_a_profile_to_a_network_they_do_not_manage(db, topic, other_network, reviewer):
    with pytest.raises(PermissionDenied):
        services.submit_profile(
            actor=reviewer, topics=[topic], reviewing_organization=other_network, **PROFILE_VALUES
        )
    assert not CooperationProfile.objects.exists()


def test_withdraw_profile_erases_personal_data_and_kills_the_token(db, topic, network, reviewer):
    profile, token = submit(topic)
    services.confirm_profile(profile)
    services.request_changes(profile, actor=reviewer, reason="Geheime Begründung")

    services.withdraw_profile(profile)

    profile.refresh_from_db()
    assert profile.state == State.WITHDRAWN
    assert profile.erased_at is not None
    assert (profile.title, profile.text, profile.email, profile.company_name, profile.contact_name) == (
        "",
    ) * 5
    assert profile_for_token(token) is None
    assert not OutgoingMail.objects.filter(topic=f"cooperation.cooperationprofile:{profile.pk}").exists()
    reasons = AuditLogEntry.objects.filter(action="cooperation.profile.changes_requested").values_list(
        "data", flat=True
    )
    assert list(reasons) == [{}]
    assert list(profile.topics.all()) == [topic]  # kept for the statistics


def test_process_deadlines_reminds_before_expiry_then_expires_and_renewal_link_works(db, time_machine):
    time_machine.move_to(dt.datetime(2030, 3, 1, 9, tzinfo=dt.UTC))
    profile = CooperationProfileFactory(expires_at=dt.date(2030, 3, 15))

    counts = services.process_deadlines()
    assert counts == {"expired": 0, "expiry_reminders": 1, "answer_reminders": 0}
    reminder = OutgoingMail.objects.get()
    link = re.search(r"http\S+/kooperationen/verlaengern/(\S+)/", reminder.body_text)
    assert link
    assert services.process_deadlines()["expiry_reminders"] == 0  # once

    time_machine.move_to(dt.datetime(2030, 3, 16, 9, tzinfo=dt.UTC))
    assert services.process_deadlines()["expired"] == 1
    profile.refresh_from_db()
    assert profile.state == State.EXPIRED
    assert not profile.is_public

    renewed = services.profile_for_renewal_link(link.group(1))
    assert renewed == profile
    services.renew_profile(renewed)
    profile.refresh_from_db()
    assert profile.state == State.PUBLISHED
    assert profile.expires_at == dt.date(2031, 3, 16)


def test_erase_expired_erases_closed_profiles_after_retention_and_unconfirmed_after_a_week(
    db, topic, time_machine, settings
):
    settings.COOPERATION_RETENTION_DAYS = 30
    time_machine.move_to(dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC))
    closed = CooperationProfileFactory(state=State.REJECTED, closed_at=timezone.now())
    unconfirmed, _token = submit(topic)
    public = CooperationProfileFactory()

    time_machine.move_to(dt.datetime(2030, 1, 9, 9, tzinfo=dt.UTC))
    assert services.erase_expired() == (1, 0)
    unconfirmed.refresh_from_db()
    assert unconfirmed.erased_at is not None

    time_machine.move_to(dt.datetime(2030, 2, 1, 9, tzinfo=dt.UTC))
    assert services.erase_expired() == (1, 0)
    closed.refresh_from_db()
    public.refresh_from_db()
    assert closed.erased_at is not None and closed.email == ""
    assert public.erased_at is None
