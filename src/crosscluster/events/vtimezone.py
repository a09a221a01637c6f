"""The VTIMEZONE of the display zone for our iCalendar files, written the way calendar programs write it.

A file with local times (`DTSTART;TZID=Europe/Berlin:…`, needed for a series: its rule repeats local times)
must define the zone. Google, Apple and Outlook look the TZID up in their own zone database, but other
programs (ical.js, the parser of Thunderbird's relatives and many web calendars) compute the times from the
file's VTIMEZONE alone. `icalendar.Timezone.from_tzid` writes transitions as RDATE lists after a placeholder
observance; ical.js 2.2 read such a zone as UTC+0 or put summer dates into winter time (checked in
tests/events/test_exports.py). So this module writes what Google Calendar and the IANA-derived zones of
libical write: one DAYLIGHT and one STANDARD observance, each with a yearly RRULE (`BYMONTH=3;BYDAY=-1SU`),
DTSTART the local time before the change (RFC 5545 3.6.5: in TZOFFSETFROM).

The rules are read from the zone database, not written down: every change of offset in the years the
calendar needs is found (a day's step, then to the second), and a rule is kept only if it makes exactly these
changes in every one of those years. A zone whose rules change within them (or that has no summer time) gets
one observance per change instead, which is just as exact for those years.
"""

import datetime as dt
import zoneinfo
from functools import lru_cache
from typing import NamedTuple

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Change(NamedTuple):
    at: dt.datetime  # UTC
    before: dt.timedelta
    after: dt.timedelta
    name: str  # e.g. CEST


def _offset(zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> dt.timedelta:
    return moment.astimezone(zone).utcoffset() or dt.timedelta()


def changes(zone: zoneinfo.ZoneInfo, first_year: int, last_year: int) -> list[Change]:
    """Every change of the zone's UTC offset from 1 January of `first_year` to the end of `last_year`."""
    found = []
    day = dt.timedelta(days=1)
    moment = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)
    before = _offset(zone, moment)
    while moment < end:
        after = _offset(zone, moment + day)
        if after != before:
            low, high = int(moment.timestamp()), int((moment + day).timestamp())
            while high - low > 1:  # the first second of the new offset
                middle = (low + high) // 2
                if _offset(zone, dt.datetime.fromtimestamp(middle, dt.UTC)) == before:
                    low = middle
                else:
                    high = middle
            at = dt.datetime.fromtimestamp(high, dt.UTC)
            found.append(Change(at, before, after, at.astimezone(zone).tzname() or ""))
            before = after
        moment += day
    return found


def _wall(change: Change) -> dt.datetime:
    """The local time of the change as the clock showed it before (RFC 5545: DTSTART in TZOFFSETFROM)."""
    return (change.at + change.before).replace(tzinfo=None)


def _rule(change: Change) -> str:
    """The yearly rule the change follows: the n-th (or last) weekday of its month."""
    wall = _wall(change)
    last = (wall + dt.timedelta(days=7)).month != wall.month
    ordinal = -1 if last else (wall.day - 1) // 7 + 1
    return f"FREQ=YEARLY;BYMONTH={wall.month};BYDAY={ordinal}{WEEKDAYS[wall.weekday()]}"


def _offset_text(value: dt.timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _observance(change: Change, rule: str | None = None) -> list[str]:
    kind = "DAYLIGHT" if change.after > change.before else "STANDARD"
    lines = [
        f"BEGIN:{kind}",
        f"TZNAME:{change.name}",
        f"TZOFFSETFROM:{_offset_text(change.before)}",
        f"TZOFFSETTO:{_offset_text(change.after)}",
        f"DTSTART:{_wall(change):%Y%m%dT%H%M%S}",
    ]
    if rule:
        lines.append(f"RRULE:{rule}")
    return [*lines, f"END:{kind}"]


@lru_cache(maxsize=32)
def vtimezone_lines(name: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """The VTIMEZONE of zone `name` as unfolded lines, exact for the years `first_year` to `last_year`
    (and, when its yearly rules hold through them, for the years after as far as those rules go on)."""
    zone = zoneinfo.ZoneInfo(name)
    # The year before the first too: its last change covers the start of the first year.
    found = changes(zone, first_year - 1, last_year)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    if not found:
        start = dt.datetime(first_year - 1, 1, 1, tzinfo=dt.UTC)
        offset = _offset(zone, start)
        # From local midnight of 1 January.
        steady = Change(start - offset, offset, offset, start.astimezone(zone).tzname() or "")
        return (*lines, *_observance(steady), "END:VTIMEZONE")
    model: dict[str, Change] = {}  # the first change under each yearly rule
    for change in found:
        model.setdefault(_rule(change), change)
    years: dict[int, list[str]] = {}
    for change in found:
        years.setdefault(_wall(change).year, []).append(_rule(change))

    def as_model(change: Change) -> bool:
        """Whether the change happens at the same wall time between the same offsets as its rule's first."""
        first = model[_rule(change)]
        return (_wall(change).time(), change.before, change.after) == (
            _wall(first).time(),
            first.before,
            first.after,
        )

    yearly = (
        sorted(years) == list(range(first_year - 1, last_year + 1))
        and all(sorted(rules) == sorted(model) for rules in years.values())
        and all(map(as_model, found))
    )
    if yearly:
        for rule, change in model.items():
            lines += _observance(change, rule)
    else:
        for change in found:
            lines += _observance(change)
    return (*lines, "END:VTIMEZONE")
