"""Time helpers of the Netzwerktimer: everything stored is UTC, everything shown is the display zone.

All-day events run from midnight of their first day to midnight *after* their last day (an exclusive end,
as in iCalendar), both midnights taken in the display zone (Europe/Berlin).
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import connection
from django.db.models import CharField, F, Func, TextField, Value
from django.db.models.functions import Cast


def display_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(display_zone())


def midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the display zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(), tzinfo=display_zone())


def all_day_bounds(first_day: dt.date, last_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start and exclusive end of an all-day event from its first and (inclusive) last day."""
    return midnight(first_day), midnight(last_day + dt.timedelta(days=1))


def all_day_dates(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First day and exclusive end day of an all-day event (the inverse of `all_day_bounds`).

    An end after midnight covers that day too, so it is rounded up to the next midnight; an all-day event
    lasts at least one day.
    """
    first = local(start).date()
    end_local = local(end)
    end_day = end_local.date() + dt.timedelta(days=1 if end_local.time() != dt.time() else 0)
    return first, max(end_day, first + dt.timedelta(days=1))


def last_day(start: dt.datetime, end: dt.datetime) -> dt.date:
    """The inclusive last day of a stored all-day event."""
    return all_day_dates(start, end)[1] - dt.timedelta(days=1)


# Reading thousands of rows (the month grid, the candidates of duplicate grouping), Django's per-value
# converters cost more than the query: SQLite's datetimes are parsed in Python by the sqlite3 module,
# PostgreSQL's by Django's time zone loader. Read as UTC text instead, `datetime.fromisoformat` parses them
# in C.


def utc_text(name: str) -> Func:
    """The datetime column as UTC text without an offset (`2026-03-01 10:00:00[.000000]`), for
    `from_utc_text`: SQLite stores it so; PostgreSQL is told the zone, whatever the session's."""
    if connection.vendor == "sqlite":
        return Cast(name, TextField())
    utc = Func(Value("UTC"), F(name), function="timezone")
    return Func(utc, Value("YYYY-MM-DD HH24:MI:SS.US"), function="to_char", output_field=CharField())


def from_utc_text(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value + "+00:00")
