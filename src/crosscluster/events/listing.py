"""Which events the public calendar lists: the `Event.listed` flag, computed in one place.

An event is listed when it is published, still in its feed, the canonical event of its group of
duplicates (events.dedup), and at least one event of the group has a published organiser. Asked in every
public query, that condition cost two correlated EXISTS per event: half the time of a month page, and most of
the time of the list's count on PostgreSQL (bench/events.py). Stored as a column with an index on
(listed, start), every public query is a plain range scan.

The flag depends on the event, on its group and on its organisers' `published`. Whatever changes one of
them announces it with a domain signal (core.signals: `events_changed` from the event services, the feed
import, series expansion, regrouping of duplicates, removed feeds and deletions; `organizations_changed`
from the directory), and events.signals recomputes the flag of the events concerned through
`refresh_listed`. This module is the only writer of the column (tests/events/test_derived_owners.py fails
when another appears); `check_listed` (run by `crosscluster check-derived`) compares every stored flag with
`listed_condition` and repairs what differs.
"""

from collections.abc import Iterable

from django.db.models import Case, Exists, OuterRef, Q, Value, When

from crosscluster.core.signals import Drift
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


def events_of_organizations(ids: Iterable[int]) -> set[int]:
    """The ids of the events whose flag depends on these organisations' `published`."""
    links = Event.organizers.through.objects.order_by()
    found: set[int] = set()
    for chunk in _chunks(set(ids)):
        found.update(links.filter(organization_id__in=chunk).values_list("event_id", flat=True))
    return found


def _stored_flag_differs():
    flag = Case(When(listed_condition(), then=Value(True)), default=Value(False))
    return Event.objects.exclude(listed=flag), flag


def refresh_all_listed() -> int:
    """Recompute every event's flag (after a migration or a repair); returns how many changed."""
    wrong, flag = _stored_flag_differs()
    return wrong.update(listed=flag)


def check_listed(*, repair: bool) -> Drift:
    """Compare every stored flag with its definition; with `repair`, write the right ones."""
    wrong, _flag = _stored_flag_differs()
    drift = Drift("events: Event.listed", checked=Event.objects.count())
    examples = list(wrong.order_by("pk").values_list("pk", "listed")[:5])
    drift.examples = [f"event {pk}: stored {stored}" for pk, stored in examples]
    drift.found = wrong.count() if examples else 0
    if drift.found and repair:
        drift.repaired = refresh_all_listed()
    return drift
