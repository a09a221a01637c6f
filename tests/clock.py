"""The whole suite at another moment: the hard days of `make test-dates` and of CI's date leg.

A test that is right only on the day it was written fails on some other day, and nobody notices until that
day comes. So the suite also runs with the process clock moved to days on which date code tends to break:
a Monday and a Sunday (the week pages, "next Monday"), the night the clocks go forward (01:30 exists,
02:30 does not) and back (02:30 happens twice), New Year's Eve late in the evening (the local date is
not the UTC date's successor yet, the year and ISO week change), a leap day, Christmas Eve (holidays
and deadlines), and a day five years on (fixed dates that a test takes for the future).

How: `CROSSCLUSTER_TEST_NOW` names a hard day or gives an ISO moment; `tests/conftest.py` then starts
time-machine for the whole run, ticking from that moment. time-machine rather than libfaketime: it is a
pip dependency of the tests (libfaketime needs Debian's package and root), it moves every clock Python
reads (`time.time`, `datetime.now`, `date.today`) in the test process and its live-server thread, and tests
that freeze a moment of their own with it nest inside the run's travel. It does not move the clocks of
other processes: the product must not (and does not) ask the database for "now", and Chromium keeps the
real time, which is why each hard day is taken in its *next* occurrence: the moved clock is never behind
the real one, so cookies the server dates are never already expired for the browser.

    python -m tests.clock names [NAME|MOMENT ...]   # the moments to run, one per line (all hard days if none)
    python -m tests.clock pick COMMIT               # the hard day of a commit, as CI chooses it

Each printed line is an exact ISO moment: `make test-dates DAYS=<that line>` replays it on any day.
"""

import datetime as dt
import sys
import zoneinfo
from collections.abc import Callable

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ENV = "CROSSCLUSTER_TEST_NOW"


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _every(weekday: int) -> Callable[[int], list[dt.date]]:
    """Every day of a year that is the given weekday (0 = Monday)."""

    def days(year: int) -> list[dt.date]:
        first = dt.date(year, 1, 1)
        first += dt.timedelta(days=(weekday - first.weekday()) % 7)
        return [
            first + dt.timedelta(weeks=n) for n in range(53) if (first + dt.timedelta(weeks=n)).year == year
        ]

    return days


def _leap_day(year: int) -> list[dt.date]:
    try:
        return [dt.date(year, 2, 29)]
    except ValueError:
        return []


# name: (the days it stands for in a year, local time in Berlin, fold for the hour the clocks go back)
HARD_DAYS: dict[str, tuple[Callable[[int], list[dt.date]], dt.time]] = {
    "monday": (_every(0), dt.time(9, 0)),
    "sunday-after-midnight": (_every(6), dt.time(0, 30)),  # UTC is still on Saturday
    "spring-forward-0130": (lambda y: [_last_sunday(y, 3)], dt.time(1, 30)),
    "spring-forward-0330": (lambda y: [_last_sunday(y, 3)], dt.time(3, 30)),
    "fall-back-0230-first": (lambda y: [_last_sunday(y, 10)], dt.time(2, 30, fold=0)),
    "fall-back-0230-second": (lambda y: [_last_sunday(y, 10)], dt.time(2, 30, fold=1)),
    "christmas-eve": (lambda y: [dt.date(y, 12, 24)], dt.time(10, 0)),
    "new-years-eve-2330": (lambda y: [dt.date(y, 12, 31)], dt.time(23, 30)),
    "leap-day": (_leap_day, dt.time(12, 0)),
    # Fixed dates that a test takes for the future ("2030") go stale one day: this finds them years ahead.
    "five-years-on": (lambda y: [dt.date(y + 5, 6, 16)], dt.time(10, 0)),
}


def next_occurrence(name: str, after: dt.datetime) -> dt.datetime:
    """The first moment of the named hard day that is later than `after`."""
    days, clock = HARD_DAYS[name]
    for year in range(after.year, after.year + 9):
        for day in days(year):
            moment = dt.datetime.combine(day, clock, tzinfo=BERLIN)
            if moment > after:
                return moment
    raise ValueError(f"no {name} within eight years of {after:%Y}")


def moment(text: str, *, after: dt.datetime | None = None) -> dt.datetime:
    """A hard day's name or an ISO moment (Berlin time when it names no offset), as an aware datetime."""
    if text in HARD_DAYS:
        return next_occurrence(text, after or dt.datetime.now(dt.UTC))
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=BERLIN)


def as_text(value: dt.datetime) -> str:
    """The exact moment with its Berlin offset, which `moment` reads back (the fold is in the offset)."""
    return value.astimezone(BERLIN).isoformat(timespec="minutes")


def pick(commit: str) -> str:
    """CI's hard day for a commit: the same commit always gets the same day, consecutive ones spread."""
    names = list(HARD_DAYS)
    return names[int(commit[:12], 16) % len(names)]


def main(argv: list[str]) -> int:
    command, *args = argv or ["names"]
    if command == "names":
        for text in args or list(HARD_DAYS):
            print(as_text(moment(text)))
    elif command == "pick" and len(args) == 1:
        print(as_text(moment(pick(args[0]))))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
