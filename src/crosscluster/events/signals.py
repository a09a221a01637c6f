"""What the calendar derives from events, organisations and topics, kept current by the domain signals.

Two derived things depend on events, their organiser lists, organisations and topics: the `Event.listed`
flag (owned by events.listing) and the cached filter facts (events.queries). Both are recomputed here and
only here, on the domain signals of core.signals that the services and their bulk paths send:

- `events_changed(ids)`: the flag of those events and their groups; the filter facts;
- `organizations_changed(ids)`: the flag of the organisations' events (their publication may have changed);
  after a deletion (`deleted=True`) every flag is checked, since the organisation's links are gone;
- `topics_changed`: the filter facts (they list the topics).

Deletions are the one thing no service sees whole: deleting an organisation or a feed deletes events by
cascade, and a deleted canonical event sets its duplicates free. So a deletion of events announces
`events_changed` for the group of each deleted event, and a deletion of an organisation
`organizations_changed(deleted=True)`, from the model signals below.
"""

from typing import Any

from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from crosscluster.core.signals import (
    Drift,
    announce,
    check_derived,
    events_changed,
    organizations_changed,
    topics_changed,
)
from crosscluster.directory.models import Organization

from .listing import check_listed, events_of_organizations, refresh_all_listed, refresh_listed
from .models import Event
from .queries import invalidate_filter_choices


@receiver(events_changed, dispatch_uid="events.listed.events_changed")
def _events_changed(sender: Any, ids: list[int], **kwargs: Any) -> None:
    refresh_listed(ids)
    invalidate_filter_choices()


@receiver(organizations_changed, dispatch_uid="events.listed.organizations_changed")
def _organizations_changed(sender: Any, ids: list[int], deleted: bool = False, **kwargs: Any) -> None:
    if deleted:
        refresh_all_listed()
    else:
        refresh_listed(events_of_organizations(ids))
    invalidate_filter_choices()


@receiver(topics_changed, dispatch_uid="events.filters.topics_changed")
def _topics_changed(sender: Any, **kwargs: Any) -> None:
    invalidate_filter_choices()


@receiver(pre_delete, sender=Event, dispatch_uid="events.listed.pre_delete")
def _remember_group(instance: Event, **kwargs: Any) -> None:
    """A deleted event's canonical event may lose its only published organiser; its duplicates (set free by
    the deletion) may become listed themselves."""
    instance._listed_group = [instance.duplicate_of_id, *instance.duplicates.values_list("pk", flat=True)]


@receiver(post_delete, sender=Event, dispatch_uid="events.listed.post_delete")
def _announce_deleted(instance: Event, **kwargs: Any) -> None:
    announce(events_changed, Event, [instance.pk, *getattr(instance, "_listed_group", [])])


@receiver(post_delete, sender=Organization, dispatch_uid="events.listed.organization_deleted")
def _announce_organization_deleted(instance: Organization, **kwargs: Any) -> None:
    """Its organiser links went with it (cascade): until a service deletes organisations, announced here."""
    organizations_changed.send(sender=Organization, ids=[instance.pk], deleted=True)


@receiver(check_derived, dispatch_uid="events.listed.check")
def _check_listed(sender: Any, dry_run: bool = False, **kwargs: Any) -> Drift:
    return check_listed(repair=not dry_run)
