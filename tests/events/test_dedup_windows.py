"""An all-day event's candidates: the all-day events of its day in Europe/Berlin, whatever the UTC date."""

import datetime as dt
import zoneinfo

import pytest

from crosscluster.events.dedup import grouping
from crosscluster.events.models import Event
from crosscluster.events.services import create_event

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def fair(organization, day: dt.date, days: int = 1) -> Event:
    start = dt.datetime.combine(day, dt.time(), tzinfo=BERLIN)
    return create_event(
        actor=None,
        organizers=[organization],
        title="Messe Kunststoff",
        all_day=True,
        start=start,
        end=start + dt.timedelta(days=days),
        venue="Messe",
        city="Erfurt",
    )


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2030, 3, 30),  # the day before summer time: midnights 23:00 and 22:00 UTC
        dt.date(2030, 3, 31),  # the day summer time begins (23 hours)
        dt.date(2030, 10, 27),  # the day winter time begins (25 hours)
        dt.date(2030, 7, 1),
    ],
)
def test_all_day_events_match_on_their_day_only(organization, other_organization, day):
    before = fair(organization, day - dt.timedelta(days=1))
    first = fair(organization, day, days=2)
    same_day = fair(other_organization, day)
    after = fair(other_organization, day + dt.timedelta(days=1))

    for event in (before, first, same_day, after):
        event.refresh_from_db()
    assert same_day.duplicate_of == first
    assert before.duplicate_of is None and after.duplicate_of is None
    assert first.duplicate_of is None

    # Regrouped all at once, as after an import: the same groups.
    Event.objects.update(duplicate_of=None)
    grouping.refresh_events(list(Event.objects.order_by("pk")))
    groups = dict(Event.objects.values_list("pk", "duplicate_of"))
    assert groups == {before.pk: None, first.pk: None, same_day.pk: first.pk, after.pk: None}


def test_rows_read_by_the_cursor_are_the_stored_values(organization):
    start = dt.datetime(2030, 7, 1, 8, 15, 30, 123456, tzinfo=dt.UTC)
    event = Event.objects.create(
        title="Vortrag",
        start=start,
        end=start + dt.timedelta(hours=1),
        removed_at=dt.datetime(2030, 6, 1, 12, 0, tzinfo=BERLIN),
        published=False,
    )
    event.refresh_from_db()

    (row,) = grouping._rows(Event.objects.filter(pk=event.pk))

    for name in (
        "id",
        "title",
        "start",
        "all_day",
        "venue",
        "published",
        "removed_at",
        "source",
        "created_at",
    ):
        assert getattr(row, name) == getattr(event, name), name
    assert row.start.utcoffset() == dt.timedelta(0)
    assert row.first_day == event.first_day and row.identity == event.identity
