"""Who may manage which event, and what the public sees: the choke points for event querysets."""

from django.db.models import QuerySet

from crosscluster.directory.access import is_coordinator, organizations_managed_by

from .models import Event


def events_managed_by(user) -> QuerySet[Event]:
    """All events for the coordination office and admins; else those with an organiser the user manages."""
    if not user.is_authenticated or not user.is_active:
        return Event.objects.none()
    if is_coordinator(user):
        return Event.objects.all()
    # A subquery rather than a join, so an event with two of the user's organisers is listed once.
    return Event.objects.filter(pk__in=Event.objects.filter(organizers__in=organizations_managed_by(user)))


def can_manage_event(user, event: Event) -> bool:
    return events_managed_by(user).filter(pk=event.pk).exists()


def public_events() -> QuerySet[Event]:
    """Published events still in their feed with at least one published organiser, one per duplicate group.

    Cancelled and postponed events stay visible, marked as such, so that nobody travels to them. An event
    of unpublished organisations only stays hidden, like the organisations themselves. Of a group of
    duplicates (events.dedup) only the canonical event is listed; a published organiser of any event of the
    group is enough. The condition is stored as `Event.listed` (events.listing), so that every public query
    is a range scan of the index on (listed, start).
    """
    return Event.objects.filter(listed=True)
