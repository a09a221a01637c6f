"""`crosscluster run-periodic` runs every periodic job once, each under its own lock; `scheduler` loops it."""

import importlib
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crosscluster.core.mail import queue_mail
from crosscluster.core.models import OutgoingMail, PeriodicLock
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory

run_periodic = importlib.import_module("crosscluster.core.management.commands.run-periodic")
scheduler = importlib.import_module("crosscluster.core.management.commands.scheduler")
deadlines_command = importlib.import_module(
    "crosscluster.inquiries.management.commands.process-inquiry-deadlines"
)


@pytest.fixture
def work(region, organization, manager, settings):
    """One thing for each job: an unsent mail, an overdue inquiry, an inquiry closed past the retention."""
    now = timezone.now()
    queue_mail("someone@example.org", "inquiries/mail/reminder", {"inquiry": InquiryFactory(region=region)})
    due = InquiryFactory(
        region=region,
        organization=organization,
        state=Inquiry.State.ASSIGNED,
        due_at=now - timedelta(hours=1),
        escalate_at=now + timedelta(days=1),
    )
    expired = InquiryFactory(
        region=region,
        organization=organization,
        state=Inquiry.State.RESOLVED,
        closed_at=now - timedelta(days=settings.INQUIRY_RETENTION_DAYS + 1),
    )
    return {"due": due, "expired": expired}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("run-periodic", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_run_periodic_runs_every_job_once(work, manager):
    output = run()

    assert [line.partition(":")[0] for line in output.splitlines()] == run_periodic.JOBS
    assert output.splitlines()[:2] == [
        "send-mail: 1 sent, 0 failed (kept for a retry)",
        "process-inquiry-deadlines: 1 reminder(s) and 0 alert(s) sent",
    ]
    assert [message.to for message in mail.outbox] == [["someone@example.org"]]
    work["due"].refresh_from_db()
    work["expired"].refresh_from_db()
    assert work["due"].reminded_at is not None
    assert work["expired"].erased_at is not None
    # The reminder is queued in the outbox; the next round delivers it.
    assert (
        OutgoingMail.objects.filter(sent_at__isnull=True).values_list("to", flat=True).get() == manager.email
    )
    assert set(PeriodicLock.objects.values_list("name", "locked_until")) == {
        ("requeue-stale-tasks", None),
        ("send-mail", None),
        ("process-inquiry-deadlines", None),
        ("erase-expired-inquiries", None),
        ("import-feeds", None),
        ("extend-event-series", None),
        ("send-digest", None),
        ("process-cooperation-deadlines", None),
        ("erase-expired-cooperation", None),
        ("erase-unconfirmed-subscriptions", None),
        ("delete-expired-page-views", None),
        ("delete-expired-throttle-slots", None),
        ("check-derived", None),
    }


def test_run_periodic_dry_run_changes_nothing(work):
    before = (list(Inquiry.objects.order_by("pk").values()), list(OutgoingMail.objects.values()))

    output = run("--dry-run")

    assert [line.partition(":")[0] for line in output.splitlines()] == run_periodic.JOBS
    assert output.splitlines()[:2] == [
        "send-mail: 1 mail(s) waiting",
        "process-inquiry-deadlines: 1 reminder(s) and 0 alert(s) due",
    ]
    assert (list(Inquiry.objects.order_by("pk").values()), list(OutgoingMail.objects.values())) == before
    assert mail.outbox == []
    assert not PeriodicLock.objects.exists()


def test_run_periodic_skips_a_job_that_is_running_elsewhere(work):
    PeriodicLock.objects.create(name="send-mail", locked_until=timezone.now() + timedelta(minutes=10))

    output = run()

    assert output.splitlines()[0] == "send-mail: another run is active; skipped"
    assert mail.outbox == []
    work["due"].refresh_from_db()
    assert work["due"].reminded_at is not None  # the other jobs ran


def test_run_periodic_a_failing_job_does_not_stop_the_others(work, monkeypatch):
    def broken(now=None):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(deadlines_command, "process_deadlines", broken)
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 job\\(s\\) failed: process-inquiry-deadlines"):
        call_command("run-periodic", stdout=out, stderr=out)

    assert "send-mail: 1 sent" in out.getvalue()
    work["expired"].refresh_from_db()
    assert work["expired"].erased_at is not None
    assert "run-periodic: process-inquiry-deadlines failed" in out.getvalue()
    # The failed run releases its lock, so the next round tries again.
    assert PeriodicLock.objects.get(name="process-inquiry-deadlines").locked_until is None


def test_run_periodic_leaves_out_jobs_of_apps_that_are_not_installed(db, monkeypatch):
    monkeypatch.setattr(run_periodic, "JOBS", ["send-mail", "import-something-later"])

    assert run().splitlines() == ["send-mail: 0 sent, 0 failed (kept for a retry)"]


# scheduler ---------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, monkeypatch, fail_first: bool = False) -> None:
        self.calls: list[str] = []
        self.sleeps: list[float] = []
        self.fail_first = fail_first
        self.connection_checks = 0
        monkeypatch.setattr(scheduler, "call_command", self.call_command)
        monkeypatch.setattr(scheduler.time, "sleep", self.sleeps.append)
        # Closing the test's own connection would break the test; count the checks instead.
        monkeypatch.setattr(scheduler, "close_old_connections", self.close_old_connections)

    def close_old_connections(self) -> None:
        self.connection_checks += 1

    def call_command(self, name: str, **options: object) -> None:
        self.calls.append(name)
        if self.fail_first and len(self.calls) == 1:
            raise CommandError("run-periodic: 1 job(s) failed")


def test_scheduler_runs_run_periodic_every_interval(db, monkeypatch):
    recorder = Recorder(monkeypatch)

    call_command("scheduler", "--interval", "30", "--rounds", "3", stdout=io.StringIO())

    assert recorder.calls == ["run-periodic"] * 3
    assert recorder.connection_checks == 6  # before and after every round: a long-lived process
    assert len(recorder.sleeps) == 2
    assert all(0 < seconds <= 30 for seconds in recorder.sleeps)


def test_scheduler_defaults_to_a_minute(db, monkeypatch):
    recorder = Recorder(monkeypatch)

    call_command("scheduler", "--rounds", "2", stdout=io.StringIO())

    assert 59 < recorder.sleeps[0] <= 60


def test_scheduler_keeps_going_after_a_failed_round(db, monkeypatch):
    recorder = Recorder(monkeypatch, fail_first=True)

    call_command("scheduler", "--interval", "1", "--rounds", "2", stdout=io.StringIO())

    assert recorder.calls == ["run-periodic", "run-periodic"]


def test_scheduler_stops_on_ctrl_c(db, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    Recorder(monkeypatch)
    monkeypatch.setattr(scheduler.time, "sleep", interrupt)
    out = io.StringIO()

    call_command("scheduler", stdout=out)

    assert out.getvalue() == "scheduler: stopped\n"


def test_scheduler_refuses_a_non_positive_interval(db):
    with pytest.raises(CommandError, match="--interval"):
        call_command("scheduler", "--interval", "0")


def test_scheduler_really_runs_the_jobs(work, monkeypatch):
    # Inside the test's transaction closing "old" connections would close the test's own (on PostgreSQL);
    # Django's test client disables it for requests the same way.
    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)
    out = io.StringIO()

    call_command("scheduler", "--interval", "1", "--rounds", "1", stdout=out)

    assert "process-inquiry-deadlines: 1 reminder(s)" in out.getvalue()
