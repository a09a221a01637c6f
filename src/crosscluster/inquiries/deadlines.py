"""Working-day deadlines: weekends and the region's public holidays do not count.

A deadline of N working days from a moment is the same time of day on the N-th working day after it, in the
display time zone (an inquiry arriving Friday 15:00 with two working days is due Tuesday 15:00).
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings

from crosscluster.core.working_days import is_working_day


def add_working_days(start: datetime, days: int, holiday_calendar: str) -> datetime:
    """`start` plus `days` working days; a start outside working days counts from the next working day."""
    zone = zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)
    local = start.astimezone(zone)
    day = local.date()
    if not is_working_day(day, holiday_calendar):
        # Arriving on a weekend or holiday: the clock starts at the beginning of the next working day.
        while not is_working_day(day, holiday_calendar):
            day += timedelta(days=1)
        local = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, holiday_calendar):
            remaining -= 1
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return due.astimezone(zoneinfo.ZoneInfo("UTC"))


def response_deadlines(start: datetime, holiday_calendar: str) -> tuple[datetime, datetime]:
    """When the first response is due, and when the coordination office is alerted (twice the time)."""
    days = settings.INQUIRY_RESPONSE_WORKING_DAYS
    return (
        add_working_days(start, days, holiday_calendar),
        add_working_days(start, 2 * days, holiday_calendar),
    )
