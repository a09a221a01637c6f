"""Who may manage which event, and what the public sees: the choke points for event querysets."""

from django.db.models import Exists, OuterRef, QuerySet

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
    group is enough.
    """
    # Two EXISTS instead of one with OR: an OR over the two joins keeps databases (SQLite) from using the
    # index on the link table, which made every list scan it once per event (bench/events.py).
    #
    # Each EXISTS also says `<= OuterRef("pk")`, which adds nothing (the column equals it): PostgreSQL
    # turns an EXISTS with only equality correlation into a hashed subplan over every published organiser
    # link (100,000 rows, ~40 ms) even for a page of 25; with a non-equality term it looks each event up
    # in the index instead (bench/events.py).
    links = Event.organizers.through.objects.filter(organization__published=True)
    own_organizer = links.filter(event=OuterRef("pk"), event_id__lte=OuterRef("pk"))
    duplicate_organizer = links.filter(
        event__duplicate_of=OuterRef("pk"), event__duplicate_of_id__lte=OuterRef("pk")
    )
    return Event.objects.filter(
        Exists(own_organizer) | Exists(duplicate_organizer),
        published=True,
        removed_at__isnull=True,
        duplicate_of__isnull=True,
    )
