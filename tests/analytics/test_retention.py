"""The retention rule: daily counts older than PAGE_VIEW_RETENTION_DAYS go, run by run-periodic."""

import io
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command

from crosscluster.analytics import services
from crosscluster.analytics.models import PageViewCount
from crosscluster.core.models import AuditLogEntry

TODAY = date(2026, 11, 26)
FIRST_KEPT = TODAY - timedelta(days=729)


@pytest.fixture
def rows(organization, time_machine, settings):
    """Three daily counts: the day before the period, its first day and today; the clock stands on today."""
    settings.PAGE_VIEW_RETENTION_DAYS = 730
    # 00:30 in Berlin is still the day before in UTC: the period is counted in the display time zone.
    time_machine.move_to(
        datetime.combine(TODAY, time(0, 30), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")), tick=False
    )
    return {
        day: PageViewCount.objects.create(kind="organization", object_id=organization.pk, day=day, count=3)
        for day in (FIRST_KEPT - timedelta(days=1), FIRST_KEPT, TODAY)
    }


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("delete-expired-page-views", *args, stdout=out)
    return out.getvalue()


def test_retention_deletes_only_days_before_the_period(rows):
    assert services.delete_expired_page_views() == 1

    assert sorted(PageViewCount.objects.values_list("day", flat=True)) == sorted(rows)[1:]
    entry = AuditLogEntry.objects.get(action="analytics.page_views.expired")
    assert entry.data == {"before": FIRST_KEPT.isoformat(), "rows": 1}


def test_retention_nothing_to_delete_writes_no_audit_entry(rows):
    services.delete_expired_page_views()
    assert services.delete_expired_page_views() == 0
    assert AuditLogEntry.objects.filter(action="analytics.page_views.expired").count() == 1


def test_retention_command_dry_run_changes_nothing(rows):
    assert run("--dry-run") == f"delete-expired-page-views: 1 daily count(s) before {FIRST_KEPT} to delete\n"
    assert PageViewCount.objects.count() == 3


def test_retention_command_deletes(rows):
    assert run() == (
        f"delete-expired-page-views: 1 daily count(s) before {FIRST_KEPT} deleted (retention 730 days)\n"
    )
    assert PageViewCount.objects.count() == 2


def test_retention_is_a_periodic_job(rows):
    out = io.StringIO()
    call_command("run-periodic", stdout=out, stderr=out)

    assert "delete-expired-page-views: 1 daily count(s)" in out.getvalue()
    assert PageViewCount.objects.count() == 2
