"""The repetition of an entered event as the manager's form offers it, and in words.

The model keeps RFC 5545 text (an RRULE value, RDATE and EXDATE lists) and `series.expand_series` turns it
into occurrence rows with recurring-ical-events. People, though, think "every first Thursday, six times, not
in August". This module translates between the two:

- `build_rule(repetition, start=…, all_day=…)` writes the RRULE of what the editor says;
- `read_rule(text, start=…, all_day=…)` reads a stored rule back into a `Repetition` when the editor can say
  exactly the same (the same dates), and returns None when it cannot (an expert's rule with BYSETPOS lists,
  BYHOUR, a fifth weekday, …): the form then shows the raw rule instead;
- `describe(…)` says the whole repetition in the active language ("Jeden 1. Donnerstag im Monat, 6-mal");
- `parse_dates(text)` reads the lists of dates the form accepts for exceptions and extra dates.

`rule_dates` expands a rule with `dateutil` (which `icalendar` already depends on) for the checks the form
makes before anything is saved: is the start one of the rule's dates, is an exception one of them. The dates
the calendar stores still come from `series.expand_series` alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import icalendar
from dateutil.rrule import rrulestr
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from .times import local, midnight

DAILY, WEEKLY, MONTHLY, YEARLY = "DAILY", "WEEKLY", "MONTHLY", "YEARLY"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY, YEARLY)
# iCalendar's weekday codes in the order of Python's `weekday()` (Monday first, as in Germany).
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The weeks of the month the editor offers: the 1st to the 4th and the last (a 5th exists only sometimes).
ORDINALS = (1, 2, 3, 4, -1)
ORDINAL_CHOICES = (
    (1, pgettext_lazy("weekday of the month", "1st")),
    (2, pgettext_lazy("weekday of the month", "2nd")),
    (3, pgettext_lazy("weekday of the month", "3rd")),
    (4, pgettext_lazy("weekday of the month", "4th")),
    (-1, pgettext_lazy("weekday of the month", "last")),
)
BY_WEEKDAY, BY_DAY = "weekday", "day"
# How far the checks look for a rule's dates: far beyond the year that expand_series stores.
CHECK_LIMIT = 2000
# How many stored dates of a series the rule is compared with when deciding whether the editor can show it.
COMPARE_DATES = 200
MAX_LISTED_DATES = 3

_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
# Tolerated in lists of dates: ISO days (2027-03-04), iCalendar's (20270304, 20270304T180000[Z]) and
# German ones (4.3.2027), each optionally followed by a time (18:00) as the next word.
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:T(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_ICAL_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$")
_GERMAN_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Repetition:
    """What the editor says: how often, on which days, and how it ends (by count or last day, or never)."""

    frequency: str
    interval: int = 1
    weekdays: tuple[str, ...] = ()  # WEEKLY: day codes in week order
    monthly: str = BY_WEEKDAY  # MONTHLY: the n-th weekday, or a day of the month
    ordinal: int = 1  # MONTHLY by weekday: 1..4, or -1 for the last
    weekday: str = "MO"  # MONTHLY by weekday
    month_day: int = 1  # MONTHLY by day
    count: int | None = None  # all dates, the first included (RFC 5545 counts before exceptions)
    until: dt.date | None = None  # the last day a date may fall on, in Berlin


# Writing ------------------------------------------------------------------------------------------------


def build_rule(repetition: Repetition, *, all_day: bool) -> str:
    """The RRULE value of a repetition: `FREQ=MONTHLY;BYDAY=1TH;COUNT=6`.

    An end date is written as iCalendar asks (RFC 5545 3.3.10): a date for an all-day event, else the last
    second of that day in Berlin, in UTC (the export writes DTSTART with TZID=Europe/Berlin or in UTC, and
    UNTIL must then be UTC).
    """
    parts = [f"FREQ={repetition.frequency}"]
    if repetition.interval > 1:
        parts.append(f"INTERVAL={repetition.interval}")
    if repetition.frequency == WEEKLY:
        parts.append("BYDAY=" + ",".join(repetition.weekdays))
    elif repetition.frequency == MONTHLY and repetition.monthly == BY_WEEKDAY:
        parts.append(f"BYDAY={repetition.ordinal}{repetition.weekday}")
    elif repetition.frequency == MONTHLY:
        parts.append(f"BYMONTHDAY={repetition.month_day}")
    if repetition.count is not None:
        parts.append(f"COUNT={repetition.count}")
    elif repetition.until is not None:
        if all_day:
            parts.append(f"UNTIL={repetition.until:%Y%m%d}")
        else:
            last_second = midnight(repetition.until + dt.timedelta(days=1)) - dt.timedelta(seconds=1)
            parts.append(f"UNTIL={last_second.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


def from_start(frequency: str, start: dt.datetime) -> Repetition:
    """The repetition a new series most likely means: on the start's weekday, week of the month or day."""
    day = local(start).date()
    code = DAY_CODES[day.weekday()]
    week = (day.day - 1) // 7 + 1
    return Repetition(
        frequency=frequency,
        weekdays=(code,),
        ordinal=week if week <= 4 else -1,
        weekday=code,
        month_day=day.day,
    )


# Reading ------------------------------------------------------------------------------------------------


def clean_rule_text(text: str) -> str:
    return (text or "").strip().removeprefix("RRULE:").strip()


def _parts(text: str) -> dict[str, list] | None:
    try:
        parts = icalendar.vRecur.from_ical(text)
    except (ValueError, TypeError):
        return None
    return {key.upper(): list(values) for key, values in parts.items()}


def _weekday_code(value: object) -> tuple[int | None, str] | None:
    match = _BYDAY.match(str(value).upper())
    if not match:
        return None
    return (int(match[1]) if match[1] else None), match[2]


def rule_dates(text: str, *, start: dt.datetime, all_day: bool) -> Iterator[dt.datetime]:
    """The rule's dates from the start on, as naive Berlin wall times (midnights for all-day events).

    Only the rule, as `dateutil` reads it: not the start itself when the rule does not produce it (iCalendar
    then adds it as an extra first date), no exceptions. Raises ValueError for a rule it cannot read.
    """
    text = clean_rule_text(text)
    first = local(start).replace(tzinfo=None, microsecond=0)
    if all_day:
        first = first.replace(hour=0, minute=0, second=0)
    parts = _parts(text) or {}
    until = (parts.get("UNTIL") or [None])[0]
    if isinstance(until, dt.datetime) and until.tzinfo is not None:
        # dateutil takes a UTC end only with an aware start; the wall times stay those of Berlin.
        aware = first.replace(tzinfo=local(start).tzinfo)
        return (value.replace(tzinfo=None) for value in rrulestr(text, dtstart=aware))
    return iter(rrulestr(text, dtstart=first))


def _until_day(until: object, repetition: Repetition, *, start: dt.datetime, all_day: bool) -> dt.date:
    """The last day as the editor says it, for a stored UNTIL that may be a date, a floating or a UTC time.

    A timed event on the UNTIL day itself counts only when it starts by the UNTIL time: then that day is
    the last, else the day before (both say the same when no date falls on that day; then it stays).
    """
    if isinstance(until, dt.datetime):
        wall = local(until).replace(tzinfo=None) if until.tzinfo is not None else until
    else:
        wall = dt.datetime.combine(until, dt.time())
    day = wall.date()
    if all_day:
        return day
    starts_at = dt.datetime.combine(day, local(start).time().replace(microsecond=0))
    if starts_at <= wall:
        return day
    open_ended = build_rule(replace(repetition, count=None, until=None), all_day=all_day)
    dates = rule_dates(open_ended, start=start, all_day=all_day)
    for value in itertools.islice(dates, CHECK_LIMIT):
        if value >= starts_at:
            return day - dt.timedelta(days=1) if value == starts_at else day
    return day


def _same_dates(a: str, b: str, *, start: dt.datetime, all_day: bool) -> bool:
    try:
        first = list(itertools.islice(rule_dates(a, start=start, all_day=all_day), COMPARE_DATES))
        second = list(itertools.islice(rule_dates(b, start=start, all_day=all_day), COMPARE_DATES))
    except ValueError:
        return False
    return first == second


def read_rule(text: str, *, start: dt.datetime, all_day: bool) -> Repetition | None:
    """The editor's version of a stored rule, or None when the editor cannot say exactly the same.

    Rules other programs write for the same thing are understood too (Outlook's `BYDAY=TH;BYSETPOS=1` for
    the first Thursday, a weekly rule without BYDAY, a yearly rule naming the start's month and day); the
    result is checked by comparing the dates of both rules.
    """
    text = clean_rule_text(text)
    parts = _parts(text) if text else None
    if not parts or len(parts.get("FREQ", [])) != 1:
        return None
    frequency = str(parts.pop("FREQ")[0]).upper()
    if frequency not in FREQUENCIES:
        return None
    try:
        interval = int((parts.pop("INTERVAL", None) or [1])[0])
        count = int(parts.pop("COUNT")[0]) if "COUNT" in parts else None
    except (TypeError, ValueError):
        return None
    until = parts.pop("UNTIL", [None])[0]
    if interval < 1 or (count is not None and until is not None):
        return None
    week_start = str((parts.pop("WKST", None) or ["MO"])[0]).upper()
    if week_start != "MO" and frequency == WEEKLY and interval > 1:
        return None  # the weeks are counted from another day: not what the editor writes
    repetition = from_start(frequency, start)
    repetition = replace(repetition, interval=interval, count=count)
    day = local(start).date()
    if frequency == DAILY:
        if parts:
            return None
    elif frequency == WEEKLY:
        days = parts.pop("BYDAY", None)
        if parts:
            return None
        if days:
            codes = [_weekday_code(value) for value in days]
            if any(code is None or code[0] is not None for code in codes):
                return None
            chosen = {code[1] for code in codes if code}
            repetition = replace(repetition, weekdays=tuple(c for c in DAY_CODES if c in chosen))
    elif frequency == MONTHLY:
        days, month_days, positions = parts.pop("BYDAY", None), parts.pop("BYMONTHDAY", None), None
        if "BYSETPOS" in parts:
            positions = parts.pop("BYSETPOS")
        if parts or (days and month_days):
            return None
        if month_days:
            if positions or len(month_days) != 1 or not 1 <= int(month_days[0]) <= 31:
                return None
            repetition = replace(repetition, monthly=BY_DAY, month_day=int(month_days[0]))
        elif days:
            if len(days) != 1 or (positions is not None and len(positions) != 1):
                return None
            code = _weekday_code(days[0])
            if code is None:
                return None
            ordinal, weekday = code
            if positions is not None:
                if ordinal is not None:
                    return None
                ordinal = int(positions[0])
            if ordinal not in ORDINALS:
                return None
            repetition = replace(repetition, monthly=BY_WEEKDAY, ordinal=ordinal, weekday=weekday)
        else:
            repetition = replace(repetition, monthly=BY_DAY, month_day=day.day)
    else:  # YEARLY: on the start's day, said outright or not
        months, month_days = parts.pop("BYMONTH", None), parts.pop("BYMONTHDAY", None)
        if parts or (months and [int(m) for m in months] != [day.month]):
            return None
        if month_days and [int(d) for d in month_days] != [day.day]:
            return None
    if until is not None:
        repetition = replace(repetition, until=_until_day(until, repetition, start=start, all_day=all_day))
    if not _same_dates(text, build_rule(repetition, all_day=all_day), start=start, all_day=all_day):
        return None
    return repetition


# Lists of dates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateList:
    """Dates read from a list: a day (the event's time on that day) or a day with a time (Berlin)."""

    values: tuple[dt.date | dt.datetime, ...]
    errors: tuple[str, ...]

    def stored(self) -> str:
        """As the model keeps them, sorted: `2027-03-04, 2027-06-10T14:00:00`."""
        return ", ".join(value.isoformat() for value in self.values)


def _date_or_none(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_dates(text: str) -> DateList:
    """Read a list of dates separated by commas, semicolons, spaces or lines; every unreadable word is an
    error that names it. A time may follow a date as the next word (`2027-06-10 14:00`)."""
    values: dict[str, dt.date | dt.datetime] = {}
    errors: list[str] = []
    words = [word for word in _SEPARATORS.split((text or "").strip()) if word]
    previous: dt.date | dt.datetime | None = None
    for word in words:
        time_match = _TIME.match(word)
        if time_match and isinstance(previous, dt.date) and not isinstance(previous, dt.datetime):
            hour, minute, second = (int(time_match[i] or 0) for i in (1, 2, 3))
            if hour < 24 and minute < 60 and second < 60:
                values.pop(previous.isoformat(), None)
                previous = dt.datetime.combine(previous, dt.time(hour, minute, second))
                values[previous.isoformat()] = previous
                continue
        value: dt.date | dt.datetime | None = None
        if match := _ISO_DAY.match(word):
            value = _date_or_none(match[1], match[2], match[3])
            if value is not None and match[4]:
                value = _with_time(value, match[4], match[5], match[6] or "0")
        elif match := _ICAL_DAY.match(word):
            value = _date_or_none(match[1], match[2], match[3])
            if value is not None and match[4]:
                value = _with_time(value, match[4], match[5], match[6])
                if value is not None and match[7]:  # UTC: the time in Berlin
                    value = local(value.replace(tzinfo=dt.UTC)).replace(tzinfo=None)
        elif match := _GERMAN_DAY.match(word):
            value = _date_or_none(match[3], match[2], match[1])
        if value is None:
            errors.append(
                _("“%(value)s” is not a date. Write dates as 2027-03-04 or 04.03.2027.") % {"value": word}
            )
            previous = None
            continue
        values[value.isoformat()] = value
        previous = value
    ordered = sorted(values.values(), key=_sort_key)
    return DateList(tuple(ordered), tuple(errors))


def _with_time(day: dt.date, hour: str, minute: str, second: str) -> dt.datetime | None:
    try:
        return dt.datetime.combine(day, dt.time(int(hour), int(minute), int(second)))
    except ValueError:
        return None


def _sort_key(value: dt.date | dt.datetime) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


def at_event_time(value: dt.date | dt.datetime, *, start: dt.datetime, all_day: bool) -> dt.datetime:
    """The naive Berlin time a listed date stands for: a day means the event's start time on that day."""
    if isinstance(value, dt.datetime):
        return value
    if all_day:
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.combine(value, local(start).time().replace(microsecond=0))


# In words ----------------------------------------------------------------------------------------------


def _weekday_name(code: str) -> str:
    return str(WEEKDAYS[DAY_CODES.index(code)])


def _ordinal_name(ordinal: int) -> str:
    return str(dict(ORDINAL_CHOICES)[ordinal])


def repetition_phrase(repetition: Repetition, *, start: dt.datetime) -> str:
    """ "Every 1st Thursday of the month", without the end."""
    n = repetition.interval
    if repetition.frequency == DAILY:
        return _("Every day") if n == 1 else _("Every %(n)s days") % {"n": n}
    if repetition.frequency == WEEKLY:
        days = get_text_list([_weekday_name(code) for code in repetition.weekdays], _("and"))
        if n == 1:
            return _("Every %(days)s") % {"days": days}
        return _("Every %(n)s weeks on %(days)s") % {"n": n, "days": days}
    if repetition.frequency == MONTHLY and repetition.monthly == BY_WEEKDAY:
        values = {
            "n": n,
            "ordinal": _ordinal_name(repetition.ordinal),
            "weekday": _weekday_name(repetition.weekday),
        }
        if n == 1:
            return _("Every %(ordinal)s %(weekday)s of the month") % values
        return _("Every %(n)s months on the %(ordinal)s %(weekday)s") % values
    if repetition.frequency == MONTHLY:
        if n == 1:
            return _("Every month on day %(day)s") % {"day": repetition.month_day}
        return _("Every %(n)s months on day %(day)s") % {"n": n, "day": repetition.month_day}
    day = date_format(local(start).date(), "MONTH_DAY_FORMAT")
    if n == 1:
        return _("Every year on %(date)s") % {"date": day}
    return _("Every %(n)s years on %(date)s") % {"n": n, "date": day}


def format_listed_date(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return f"{date_format(value.date())}, {date_format(value, 'H:i')}"
    return date_format(value)


def _listed(values: tuple[dt.date | dt.datetime, ...]) -> str:
    return get_text_list([format_listed_date(value) for value in values], _("and"))


def describe(rrule: str, *, start: dt.datetime, all_day: bool, exdates: str = "", rdates: str = "") -> str:
    """The repetition in words in the active language, or "" for a single date.

    "Jeden 1. Donnerstag im Monat, 6-mal, außer am 4. März 2027"; a rule the editor cannot show is quoted.
    """
    words = []
    if clean_rule_text(rrule):
        repetition = read_rule(rrule, start=start, all_day=all_day)
        if repetition is None:
            words.append(_("By its own rule: %(rule)s") % {"rule": clean_rule_text(rrule)})
        else:
            words.append(repetition_phrase(repetition, start=start))
            if repetition.count is not None:
                words.append(
                    ngettext("%(count)s time", "%(count)s times", repetition.count)
                    % {"count": repetition.count}
                )
            elif repetition.until is not None:
                words.append(_("until %(date)s") % {"date": date_format(repetition.until)})
        skipped = parse_dates(exdates).values
        if skipped:
            if len(skipped) <= MAX_LISTED_DATES:
                words.append(_("except on %(dates)s") % {"dates": _listed(skipped)})
            else:
                words.append(
                    ngettext("except on %(count)s date", "except on %(count)s dates", len(skipped))
                    % {"count": len(skipped)}
                )
    extra = parse_dates(rdates).values
    if extra:
        if len(extra) <= MAX_LISTED_DATES:
            words.append(_("also on %(dates)s") % {"dates": _listed(extra)})
        else:
            words.append(
                ngettext("also on %(count)s further date", "also on %(count)s further dates", len(extra))
                % {"count": len(extra)}
            )
    if not words:
        return ""
    text = ", ".join(words)
    return text[0].upper() + text[1:]
