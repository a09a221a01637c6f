"""Working-day deadlines and the reminders and alerts of `crosscluster process-inquiry-deadlines`.

The test settings run in Pacific/Auckland, so a deadline computed in the process's local time instead of
Europe/Berlin lands on the wrong day here. The clock is stopped and moved with time-machine.
"""

import io
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from crosscluster.core.models import AuditLogEntry, OutgoingMail, PeriodicLock
from crosscluster.core.working_days import is_working_day
from crosscluster.inquiries import services
from crosscluster.inquiries.deadlines import add_working_days, response_deadlines
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory, MembershipFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = zoneinfo.ZoneInfo("UTC")
OFFICE = "office@example.org"


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


# add_working_days ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        pytest.param(berlin(2026, 3, 2, 10), 2, berlin(2026, 3, 4, 10), id="monday-to-wednesday"),
        pytest.param(berlin(2026, 3, 5, 15), 2, berlin(2026, 3, 9, 15), id="thursday-over-the-weekend"),
        pytest.param(berlin(2026, 3, 6, 15), 2, berlin(2026, 3, 10, 15), id="friday-to-tuesday"),
        pytest.param(berlin(2026, 3, 6, 15), 0, berlin(2026, 3, 6, 15), id="zero-days"),
        # On a weekend the clock starts at the beginning of Monday: two working days end with Tuesday.
        pytest.param(berlin(2026, 3, 7, 10), 2, berlin(2026, 3, 11, 0), id="saturday-arrival"),
        pytest.param(berlin(2026, 3, 8, 23, 59), 1, berlin(2026, 3, 10, 0), id="sunday-night-arrival"),
        # Thüringen: Reformationstag (31 Oct) and Weltkindertag (20 Sep) are public holidays.
        pytest.param(berlin(2025, 10, 30, 10), 1, berlin(2025, 11, 3, 10), id="reformationstag"),
        pytest.param(berlin(2024, 9, 19, 12), 1, berlin(2024, 9, 23, 12), id="weltkindertag"),
        pytest.param(berlin(2026, 4, 2, 12), 1, berlin(2026, 4, 7, 12), id="easter"),
        pytest.param(berlin(2025, 12, 31, 10), 1, berlin(2026, 1, 2, 10), id="new-year"),
        pytest.param(berlin(2025, 10, 31, 9), 1, berlin(2025, 11, 4, 0), id="arrival-on-a-holiday"),
        pytest.param(berlin(2026, 12, 24, 10), 1, berlin(2026, 12, 28, 10), id="christmas-eve"),
        pytest.param(berlin(2027, 12, 31, 23, 30), 1, berlin(2028, 1, 3, 23, 30), id="new-years-eve-night"),
        pytest.param(berlin(2028, 2, 28, 10), 2, berlin(2028, 3, 1, 10), id="leap-day"),
        # Arriving in the night the clocks change (a Sunday): the clock starts with the next working day,
        # which in 2027 is Tuesday, since the clocks go forward on Easter Sunday.
        pytest.param(berlin(2027, 3, 28, 1, 30), 1, berlin(2027, 3, 31, 0), id="spring-forward-easter-night"),
        pytest.param(
            datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=BERLIN),
            1,
            berlin(2027, 11, 2, 0),
            id="fall-back-night",
        ),
    ],
)
def test_add_working_days_in_thueringen(start, days, due):
    result = add_working_days(start, days, "DE-TH")

    assert result == due
    assert result.tzinfo == UTC


def test_add_working_days_uses_the_regions_holiday_calendar():
    """Reformationstag is a holiday in Thüringen and Sachsen but not in Bavaria; Weltkindertag in Thüringen
    but not in Sachsen."""
    assert add_working_days(berlin(2025, 10, 30, 10), 1, "DE-BY") == berlin(2025, 10, 31, 10)
    assert add_working_days(berlin(2025, 10, 30, 10), 1, "DE-SN") == berlin(2025, 11, 3, 10)
    assert add_working_days(berlin(2024, 9, 19, 12), 1, "DE-SN") == berlin(2024, 9, 20, 12)
    assert not is_working_day(berlin(2024, 9, 20).date(), "DE-TH")
    assert is_working_day(berlin(2024, 9, 20).date(), "DE-SN")


@pytest.mark.parametrize(
    ("start", "due_utc"),
    [
        # Summer time ends on Sunday 25 Oct 2026: 15:00 stays 15:00 on the wall clock, one hour later in UTC.
        pytest.param(berlin(2026, 10, 23, 15), datetime(2026, 10, 27, 14, tzinfo=UTC), id="autumn"),
        # Summer time starts on Sunday 29 Mar 2026.
        pytest.param(berlin(2026, 3, 27, 15), datetime(2026, 3, 31, 13, tzinfo=UTC), id="spring"),
    ],
)
def test_add_working_days_keeps_the_wall_clock_over_a_dst_change(start, due_utc):
    assert start.astimezone(UTC).hour in (13, 14)

    due = add_working_days(start, 2, "DE-TH")

    assert due == due_utc
    assert due.astimezone(BERLIN).hour == 15


def test_add_working_days_counts_in_berlin_not_in_the_servers_time_zone(settings):
    """Friday 22:00 in Berlin is already Saturday 10:00 in Auckland (the test settings' TIME_ZONE)."""
    assert settings.TIME_ZONE == "Pacific/Auckland"
    friday_night = datetime(2026, 3, 6, 21, tzinfo=UTC)
    assert friday_night.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).weekday() == 5

    assert add_working_days(friday_night, 1, "DE-TH") == berlin(2026, 3, 9, 22)


def test_response_deadlines_are_twice_apart(settings):
    settings.INQUIRY_RESPONSE_WORKING_DAYS = 3

    due, escalate = response_deadlines(berlin(2026, 3, 2, 10), "DE-TH")

    assert (due, escalate) == (berlin(2026, 3, 5, 10), berlin(2026, 3, 10, 10))


# process-inquiry-deadlines ------------------------------------------------------------------------------


class Clock:
    """The process clock, stopped at a moment and moved by the test (time-machine)."""

    def __init__(self, traveller, start: datetime) -> None:
        self.traveller = traveller
        self.set(start)

    def set(self, moment: datetime) -> None:
        self.now = moment
        self.traveller.move_to(moment, tick=False)


@pytest.fixture
def clock(time_machine):
    """Monday 2 March 2026, 10:00 in Berlin: the first response is due Wednesday 10:00, the alert Friday."""
    return Clock(time_machine, berlin(2026, 3, 2, 10))


@pytest.fixture(autouse=True)
def _office_mailbox(settings):
    settings.COORDINATION_EMAIL = OFFICE
    settings.INQUIRY_RESPONSE_WORKING_DAYS = 2


@pytest.fixture
def assigned(clock, region, organization, manager, coordinator):
    inquiry, _token = services.create_inquiry(
        region=region,
        text="Frage",
        company_name="Muster GmbH",
        contact_name="Max",
        email="max@example.com",
        consent=True,
    )
    services.assign_inquiry(inquiry, organization, actor=coordinator)
    OutgoingMail.objects.all().delete()
    return inquiry


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("process-inquiry-deadlines", *args, stdout=out)
    return out.getvalue()


def recipients() -> list[str]:
    return sorted(OutgoingMail.objects.values_list("to", flat=True))


def actions(inquiry: Inquiry) -> list[str]:
    entries = AuditLogEntry.objects.filter(object_type="inquiries.inquiry", object_id=str(inquiry.pk))
    return [entry.action for entry in entries.order_by("id")]


def test_deadlines_are_set_on_assignment(assigned):
    assert (assigned.due_at, assigned.escalate_at) == (berlin(2026, 3, 4, 10), berlin(2026, 3, 6, 10))


def test_deadlines_nothing_before_the_first_response_is_due(clock, assigned):
    clock.set(berlin(2026, 3, 4, 9, 59))

    assert run() == "process-inquiry-deadlines: 0 reminder(s) and 0 alert(s) sent\n"
    assert recipients() == []


def test_deadlines_remind_the_organisation_once(clock, assigned, manager):
    clock.set(berlin(2026, 3, 4, 10))

    assert run() == "process-inquiry-deadlines: 1 reminder(s) and 0 alert(s) sent\n"
    assigned.refresh_from_db()
    assert assigned.reminded_at == berlin(2026, 3, 4, 10)
    assert recipients() == [manager.email]
    assert OutgoingMail.objects.get().topic == f"inquiries.inquiry:{assigned.pk}"
    assert actions(assigned)[-1] == "inquiry.reminder_sent"

    clock.set(berlin(2026, 3, 5, 10))
    assert run() == "process-inquiry-deadlines: 0 reminder(s) and 0 alert(s) sent\n"
    assert recipients() == [manager.email]


def test_deadlines_alert_the_coordination_office_at_twice_the_time_once(
    clock, assigned, manager, coordinator
):
    clock.set(berlin(2026, 3, 4, 12))
    run()
    OutgoingMail.objects.all().delete()

    clock.set(berlin(2026, 3, 6, 10))
    assert run() == "process-inquiry-deadlines: 0 reminder(s) and 1 alert(s) sent\n"
    assigned.refresh_from_db()
    assert assigned.escalated_at == berlin(2026, 3, 6, 10)
    assert recipients() == sorted([coordinator.email, OFFICE])
    assert actions(assigned)[-2:] == ["inquiry.reminder_sent", "inquiry.escalated"]

    clock.set(berlin(2026, 3, 9, 10))
    assert run() == "process-inquiry-deadlines: 0 reminder(s) and 0 alert(s) sent\n"


def test_deadlines_missed_runs_send_reminder_and_alert_together(clock, assigned, manager, coordinator):
    clock.set(berlin(2026, 3, 9, 8))

    assert run() == "process-inquiry-deadlines: 1 reminder(s) and 1 alert(s) sent\n"
    assert recipients() == sorted([manager.email, coordinator.email, OFFICE])


def test_deadlines_weekend_does_not_count(clock, region, organization, manager):
    """Chosen on Thursday 10:00: due Monday 10:00, not on Saturday."""
    clock.set(berlin(2026, 3, 5, 10))
    inquiry, _token = services.create_inquiry(
        region=region,
        text="Frage",
        company_name="Muster GmbH",
        contact_name="Max",
        email="max@example.com",
        consent=True,
        organization=organization,
    )
    OutgoingMail.objects.all().delete()

    clock.set(berlin(2026, 3, 9, 9, 59))
    assert run() == "process-inquiry-deadlines: 0 reminder(s) and 0 alert(s) sent\n"
    clock.set(berlin(2026, 3, 9, 10))
    assert run() == "process-inquiry-deadlines: 1 reminder(s) and 0 alert(s) sent\n"
    assert recipients() == [manager.email]
    inquiry.refresh_from_db()
    assert inquiry.escalate_at == berlin(2026, 3, 11, 10)


def test_deadlines_an_accepted_inquiry_is_not_reminded(clock, assigned, manager):
    services.accept_inquiry(assigned, actor=manager)
    OutgoingMail.objects.all().delete()
    clock.set(berlin(2026, 3, 20, 10))

    assert run() == "process-inquiry-deadlines: 0 reminder(s) and 0 alert(s) sent\n"
    assert recipients() == []


def test_deadlines_start_again_for_the_next_organisation(
    clock, assigned, other_organization, manager, coordinator
):
    other_manager = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=other_manager, organization=other_organization)
    clock.set(berlin(2026, 3, 4, 11))
    run()
    services.forward_inquiry(assigned, other_organization, actor=manager, note="Passt besser")
    OutgoingMail.objects.all().delete()

    assigned.refresh_from_db()
    assert (assigned.due_at, assigned.reminded_at) == (berlin(2026, 3, 6, 11), None)
    clock.set(berlin(2026, 3, 6, 11))
    assert run() == "process-inquiry-deadlines: 1 reminder(s) and 0 alert(s) sent\n"
    assert recipients() == [other_manager.email]


def test_deadlines_organisation_without_managers_is_reminded_through_the_coordination_office(
    clock, region, other_organization, coordinator
):
    inquiry = InquiryFactory(
        region=region,
        organization=other_organization,
        state=Inquiry.State.ASSIGNED,
        due_at=berlin(2026, 3, 2, 9),
        escalate_at=berlin(2026, 3, 4, 9),
    )

    run()

    inquiry.refresh_from_db()
    assert inquiry.reminded_at is not None
    assert recipients() == sorted([coordinator.email, OFFICE])


def test_deadlines_dry_run_counts_and_changes_nothing(clock, assigned):
    clock.set(berlin(2026, 3, 6, 10))
    before = list(Inquiry.objects.values())

    assert run("--dry-run") == "process-inquiry-deadlines: 1 reminder(s) and 1 alert(s) due\n"
    assert list(Inquiry.objects.values()) == before
    assert recipients() == []
    assert not PeriodicLock.objects.exists()


def test_deadlines_skip_while_another_run_holds_the_lock(clock, assigned):
    clock.set(berlin(2026, 3, 6, 10))
    PeriodicLock.objects.create(
        name="process-inquiry-deadlines", locked_until=clock.now + timedelta(minutes=5)
    )

    assert run() == "process-inquiry-deadlines: another run is active; skipped\n"
    assert recipients() == []

    clock.set(clock.now + timedelta(minutes=6))  # the other run crashed: its lock expires
    assert run() == "process-inquiry-deadlines: 1 reminder(s) and 1 alert(s) sent\n"
    lock = PeriodicLock.objects.get(name="process-inquiry-deadlines")
    assert (lock.locked_until, lock.last_run_at) == (None, clock.now)


def test_process_deadlines_service_takes_now(region, organization, manager):
    """`process_deadlines(now)` for callers with their own clock (the command uses the current time)."""
    inquiry = InquiryFactory(
        region=region,
        organization=organization,
        state=Inquiry.State.ASSIGNED,
        due_at=berlin(2026, 3, 4, 10),
        escalate_at=berlin(2026, 3, 6, 10),
    )

    assert services.process_deadlines(berlin(2026, 3, 4, 9)) == (0, 0)
    assert services.process_deadlines(berlin(2026, 3, 6, 10)) == (1, 1)
    inquiry.refresh_from_db()
    assert (inquiry.reminded_at, inquiry.escalated_at) == (berlin(2026, 3, 6, 10), berlin(2026, 3, 6, 10))
