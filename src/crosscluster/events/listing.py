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

from crosscluster.directory.models import Organization
from crosscluster.directory.queries import organization_is_published

from .models import Event

# Ids per UPDATE: well below every database's limit of parameters.
_CHUNK = 500


def listed_condition() -> Q:
    """The definition of a listed event, as a condition on an event row."""
    links = Event.organizers.through.objects.filter(organization_is_published("organization__"))
    own_organizer = links.filter(event=OuterRef("pk"))
    duplicate_organizer = links.filter(event__duplicate_of=OuterRef("pk"), event__duplicate_of__isnull=False)
    return Q(
        Exists(own_organizer) | Exists(duplicate_organizer),
        published=True,
        removed_at__isnull=True,
        duplicate_of__isnull=True,
    )


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


def refresh_listed(pks: Iterable[int | None]) -> None:
    """Recompute the flag of these events and of the other members of their groups.

    Computed in Python from three indexed reads per few hundred events (the rows, their groups, their
    published organisers), and only changed flags are written: as one UPDATE with the correlated EXISTS of
    `listed_condition`, PostgreSQL hashed every published organiser link for each statement (35 ms per
    feed of an import, bench/events.py).
    """
    ids = {pk for pk in pks if pk is not None}
    canonicals: set[int] = set()
    for chunk in _chunks(ids):
        rows = Event.objects.filter(pk__in=chunk).order_by().values_list("pk", "duplicate_of_id")
        canonicals.update(duplicate_of or pk for pk, duplicate_of in rows)
    # The whole groups: a canonical event is listed through a published organiser of any of its duplicates.
    members: dict[int, tuple[bool, int | None, bool]] = {}  # pk -> (live, duplicate_of_id, stored flag)
    for chunk in _chunks(canonicals):
        rows = (
            Event.objects.filter(Q(pk__in=chunk) | Q(duplicate_of_id__in=chunk))
            .order_by()
            .values_list("pk", "published", "removed_at", "duplicate_of_id", "listed")
        )
        for pk, published, removed_at, duplicate_of, stored in rows:
            members[pk] = (bool(published) and removed_at is None, duplicate_of, bool(stored))
    organised: set[int] = set()  # of the members, those with a published organiser
    links = Event.organizers.through.objects.filter(organization_is_published("organization__")).order_by()
    for chunk in _chunks(members):
        organised.update(links.filter(event_id__in=chunk).values_list("event_id", flat=True))
    group_organised = {
        duplicate_of or pk for pk, (_live, duplicate_of, _stored) in members.items() if pk in organised
    }
    changed: dict[bool, list[int]] = {True: [], False: []}
    for pk, (live, duplicate_of, stored) in members.items():
        flag = live and duplicate_of is None and pk in group_organised
        if flag != stored:
            changed[flag].append(pk)
    for flag, changed_ids in changed.items():
        for chunk in _chunks(changed_ids):
            Event.objects.filter(pk__in=chunk).update(listed=flag)


def events_of_organization(organization: Organization) -> set[int]:
    """The ids of the events whose flag depends on the organisation's `published`."""
    return set(Event.objects.filter(organizers=organization).order_by().values_list("pk", flat=True))


def refresh_all_listed() -> int:
    """Recompute every event's flag (after a migration or a repair); returns how many changed."""
    flag = Case(When(listed_condition(), then=Value(True)), default=Value(False))
    wrong = Event.objects.exclude(listed=flag)
    return wrong.update(listed=flag)
