"""Running periodic jobs without overlap, whether from cron, a systemd timer or `crosscluster scheduler`."""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import PeriodicLock

logger = logging.getLogger(__name__)


def run_locked(name: str, job: Callable[[], object], *, max_runtime: timedelta = timedelta(minutes=30)):
    """Run `job` unless another run of `name` holds the lock; returns the job's result or None if skipped.

    The lock is a row with an expiry, so a crashed run blocks the job for `max_runtime` at most.
    """
    now = timezone.now()
    with transaction.atomic():
        lock, _created = PeriodicLock.objects.select_for_update().get_or_create(name=name)
        if lock.locked_until and lock.locked_until > now:
            logger.info("periodic job %s is running elsewhere; skipped", name)
            return None
        lock.locked_until = now + max_runtime
        lock.save(update_fields=["locked_until"])
    try:
        return job()
    finally:
        PeriodicLock.objects.filter(name=name).update(locked_until=None, last_run_at=timezone.now())
