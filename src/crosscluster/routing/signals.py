"""Keep the routing index current whatever changes the directory (services, admin, imports, the API).

Every change to an organisation, offer or topic (and to their topic lists) bumps the index version in the
same transaction, so each process rebuilds on its next query, and queues the embedding of the new texts for
after the commit: one task per transaction, however many rows it touched. Evidence rows are deleted with
their organisation (cascade) and picked up by the same version bump.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from crosscluster.core.signals import Drift, check_derived
from crosscluster.directory.models import Offer, Organization, Topic

from .services import bump_index_version, check_embeddings, enqueue_embeddings

_pending = threading.local()
ALL = -1  # a topic renamed: every organisation may use its name


def _changed(organization_id: int | None) -> None:
    bump_index_version()
    ids: set[int] = getattr(_pending, "ids", None) or set()
    _pending.ids = ids
    ids.add(ALL if organization_id is None else organization_id)
    transaction.on_commit(_flush)


def _flush() -> None:
    """After commit: one task for everything this thread changed (later callbacks find nothing to do)."""
    ids: set[int] = getattr(_pending, "ids", None) or set()
    if not ids:
        return
    _pending.ids = set()
    enqueue_embeddings(organization_ids=None if ALL in ids else ids)


@receiver(post_save, sender=Organization, dispatch_uid="routing.organization_saved")
@receiver(post_delete, sender=Organization, dispatch_uid="routing.organization_deleted")
def organization_changed(sender: type, instance: Organization, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _changed(instance.pk)


@receiver(post_save, sender=Offer, dispatch_uid="routing.offer_saved")
@receiver(post_delete, sender=Offer, dispatch_uid="routing.offer_deleted")
def offer_changed(sender: type, instance: Offer, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _changed(instance.organization_id)


@receiver(post_save, sender=Topic, dispatch_uid="routing.topic_saved")
@receiver(post_delete, sender=Topic, dispatch_uid="routing.topic_deleted")
def topic_changed(sender: type, instance: Topic, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _changed(None)


@receiver(m2m_changed, sender=Organization.topics.through, dispatch_uid="routing.organization_topics")
@receiver(m2m_changed, sender=Offer.topics.through, dispatch_uid="routing.offer_topics")
def topics_changed(sender: type, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # topic.organizations.add(...): many organisations
        _changed(None)
    else:
        _changed(instance.pk if isinstance(instance, Organization) else instance.organization_id)


@receiver(check_derived, dispatch_uid="routing.check_embeddings")
def check_stored_embeddings(sender: Any, dry_run: bool = False, **kwargs: Any) -> Drift:
    return check_embeddings(repair=not dry_run)
