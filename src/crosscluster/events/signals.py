"""Keeping what the public sees current after single saves and deletes.

Two derived things depend on events, their organiser lists, organisations and topics: the cached filter
facts (queries.public_cities, queries.filter_choices) and the `Event.listed` flag (events.listing). Single
saves, deletes and organiser changes are caught here; bulk statements (the feed import, duplicate
regrouping, series expansion) call `queries.invalidate_filter_choices` and `listing.refresh_listed`
themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from crosscluster.directory.models import Organization, Topic

from .listing import events_of_organization, refresh_listed
from .models import Event
from .queries import invalidate_filter_choices


@receiver(post_save, sender=Event)
@receiver(post_delete, sender=Event)
@receiver(post_save, sender=Organization)
@receiver(post_delete, sender=Organization)
@receiver(post_save, sender=Topic)
@receiver(post_delete, sender=Topic)
@receiver(m2m_changed, sender=Event.organizers.through)
def _drop_filter_choices(**kwargs) -> None:
    invalidate_filter_choices()


@receiver(post_save, sender=Event)
def _list_saved_event(instance: Event, raw: bool = False, **kwargs) -> None:
    if not raw:  # fixtures load rows as they are
        refresh_listed([instance.pk])


@receiver(pre_delete, sender=Event)
def _remember_group(instance: Event, **kwargs) -> None:
    """A deleted event's canonical event may lose its only published organiser; its duplicates (set free by
    the deletion) may become listed themselves."""
    instance._listed_group = [instance.duplicate_of_id, *instance.duplicates.values_list("pk", flat=True)]


@receiver(post_delete, sender=Event)
def _list_group_of_deleted(instance: Event, **kwargs) -> None:
    refresh_listed(getattr(instance, "_listed_group", []))


@receiver(m2m_changed, sender=Event.organizers.through)
def _list_after_organizer_change(instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action.startswith("pre_"):
        if reverse and action == "pre_clear":  # the organisation's events, before the links are gone
            instance._listed_events = events_of_organization(instance)
        return
    if not reverse:
        refresh_listed([instance.pk])
    elif action == "post_clear":
        refresh_listed(getattr(instance, "_listed_events", []))
    else:
        refresh_listed(pk_set or [])


@receiver(post_save, sender=Organization)
def _list_after_publication(instance: Organization, raw: bool = False, **kwargs) -> None:
    if not raw:
        refresh_listed(events_of_organization(instance))


@receiver(pre_delete, sender=Organization)
def _remember_events(instance: Organization, **kwargs) -> None:
    instance._listed_events = events_of_organization(instance)


@receiver(post_delete, sender=Organization)
def _list_after_organization_deleted(instance: Organization, **kwargs) -> None:
    refresh_listed(getattr(instance, "_listed_events", []))
