"""Time helpers of the Netzwerktimer: everything stored is UTC, everything shown is the display zone.

All-day events run from midnight of their first day to midnight *after* their last day (an exclusive end,
as in iCalendar), both midnights taken in the display zone (Europe/Berlin).
"""

import datetime as dt
import zoneinfo

from django.conf import settings


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
