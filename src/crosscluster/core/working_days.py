"""Working days of a region: Monday to Friday except its public holidays (the `holidays` package).

Inquiry deadlines count them (inquiries.deadlines), and the demo calendar places its events on them.
"""

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _calendar(holiday_calendar: str, year: int) -> holidays.HolidayBase:
    country, _dash, subdivision = holiday_calendar.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def is_working_day(day: date, holiday_calendar: str) -> bool:
    """Whether `day` is a working day under a holiday calendar such as `DE-TH` (Thüringen)."""
    return day.weekday() < 5 and day not in _calendar(holiday_calendar, day.year)
