"""Which events the public calendar lists: the `Event.listed` flag, computed in one place.

An event is listed when it is published, still in its feed, the canonical event of its group of
duplicates (events.dedup), and at least one event of the group has a published organiser. Asked in every
public query, that condition cost two correlated EXISTS per event: half the time of a month page, and most of
the time of the list's count on PostgreSQL (bench/events.py). Stored as a column with an index on
(listed, start), every public query is a plain range scan.

The flag depends on the event, on its group and on its organisers' `published`. Whatever changes one of
them recomputes the flag of the events concerned through `refresh_listed`: single saves, deletes and
organiser changes through the signals in events.signals, the bulk paths (feed import, regrouping of
duplicates, series expansion, removed feeds) by calling it themselves. Nothing else writes the column.
"""

from collections.abc import Iterable

from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce

from crosscluster.directory.models import Organization

from .models import Event

# Ids per UPDATE: well below every database's limit of parameters.
_CHUNK = 500


def listed_condition() -> Q:
    """The definition of a listed event, as a condition on an event row."""
    links = Event.organizers.through.objects.filter(organization__published=True)
    own_organizer = links.filter(event=OuterRef("pk"))
    duplicate_organizer = links.filter(event__duplicate_of=OuterRef("pk"), event__duplicate_of__isnull=False)
    return Q(
        Exists(own_organizer) | Exists(duplicate_organizer),
        published=True,
        removed_at__isnull=True,
        duplicate_of__isnull=True,
    )


def _with_groups(pks: set[int]) -> set[int]:
    """The ids plus their canonical events and duplicates: a change to one member can list or hide another."""
    if not pks:
        return set()
    result = set(pks)
    ordered = sorted(pks)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        rows = (
            Event.objects.filter(Q(pk__in=chunk) | Q(duplicate_of_id__in=chunk))
            .order_by()
            .values_list("pk", Coalesce("duplicate_of_id", "pk"))
        )
        for pk, canonical in rows:
            result.update((pk, canonical))
    return result


def refresh_listed(pks: Iterable[int | None]) -> None:
    """Recompute the flag of these events and of their groups, in one UPDATE per few hundred events."""
    ordered = sorted(_with_groups({pk for pk in pks if pk is not None}))
    flag = Case(When(listed_condition(), then=Value(True)), default=Value(False))
    for i in range(0, len(ordered), _CHUNK):
        Event.objects.filter(pk__in=ordered[i : i + _CHUNK]).update(listed=flag)


def events_of_organization(organization: Organization) -> set[int]:
    """The ids of the events whose flag depends on the organisation's `published`."""
    return set(Event.objects.filter(organizers=organization).order_by().values_list("pk", flat=True))


def refresh_all_listed() -> int:
    """Recompute every event's flag (after a migration or a repair); returns how many changed."""
    flag = Case(When(listed_condition(), then=Value(True)), default=Value(False))
    wrong = Event.objects.exclude(listed=flag)
    return wrong.update(listed=flag)
