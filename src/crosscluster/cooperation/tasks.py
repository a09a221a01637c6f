"""Background work of the Kooperationsbörse: the proposals are computed here, never inside a request."""

import logging

from django.db import transaction
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def refresh_matches() -> int:
    """Idempotent: match the whole public pool again and replace the stored proposals (see `matches`)."""
    from .matches import store_matches

    return store_matches()


@task()
def refresh_helpers(profile_id: int) -> bool:
    """Idempotent: the organisations that can help with this profile and the coming events that fit."""
    from .matches import store_helpers

    return store_helpers(profile_id)


def enqueue_helpers(profile_id: int) -> None:
    try:
        refresh_helpers.enqueue(profile_id)
    except Exception:
        logger.exception("cooperation: could not enqueue the helpers task")


def enqueue_refresh() -> None:
    """Ask the worker to recompute; a queue that is down never fails the change that asked."""
    try:
        refresh_matches.enqueue()
    except Exception:
        logger.exception("cooperation: could not enqueue the matching task")


def enqueue_refresh_on_commit() -> None:
    transaction.on_commit(enqueue_refresh)
