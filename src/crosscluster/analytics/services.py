"""Changes to the page-view figures other than counting (analytics.counting): the retention rule."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from crosscluster.core.services import log_action
from crosscluster.core.types import Actor

from .counting import today
from .models import PageViewCount


def retention_cutoff(now: date | None = None) -> date:
    """The first day that is kept: PAGE_VIEW_RETENTION_DAYS days back from today (display time zone)."""
    return (now or today()) - timedelta(days=settings.PAGE_VIEW_RETENTION_DAYS - 1)


def delete_expired_page_views(*, actor: Actor = None, now: date | None = None) -> int:
    """Delete the daily counts older than the retention period; returns how many rows went.

    Counts are not personal data, so the limit is about keeping the table small and the figures relevant
    (two years cover a year-on-year comparison). The audit entry records the cut-off and the number.
    """
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        deleted, _per_model = PageViewCount.objects.filter(day__lt=cutoff).delete()
        if deleted:
            log_action(
                "analytics.page_views.expired",
                actor=actor,
                data={"before": cutoff.isoformat(), "rows": deleted},
            )
    return deleted
