"""The VTIMEZONE our iCalendar files carry (events.vtimezone), read from the zone database."""

import datetime as dt
import zoneinfo

import icalendar
from dateutil.rrule import rrulestr

from crosscluster.events.vtimezone import changes, vtimezone_lines


def observances(name, first, last):
    text = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", *vtimezone_lines(name, first, last), "END:VCALENDAR"]
    )
    (zone,) = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")
    return [component for component in zone.subcomponents]


def test_berlin_is_two_yearly_rules_from_the_local_time_before_each_change():
    assert list(vtimezone_lines("Europe/Berlin", 2027, 2057)) == [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZNAME:CEST",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "DTSTART:20260329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZNAME:CET",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "DTSTART:20261025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def test_yearly_rules_make_exactly_the_changes_of_the_zone_database():
    for name in ("Europe/Berlin", "America/New_York", "Pacific/Auckland"):
        zone = zoneinfo.ZoneInfo(name)
        expected = [change.at for change in changes(zone, 2026, 2040)]
        made = []
        for component in observances(name, 2027, 2040):
            offset_from = component["TZOFFSETFROM"].td
            start = component.decoded("DTSTART")
            rule = rrulestr(component["RRULE"].to_ical().decode(), dtstart=start)
            made += [
                (moment - offset_from).replace(tzinfo=dt.UTC)
                for moment in rule.between(dt.datetime(2026, 1, 1), dt.datetime(2041, 1, 1), inc=True)
            ]
        assert sorted(made) == expected, name


def test_zone_whose_rules_change_gets_one_observance_per_change():
    # Moscow kept summer time in 2011 for good: no yearly rule describes 2009 to 2012.
    found = observances("Europe/Moscow", 2010, 2012)

    assert all("RRULE" not in component for component in found)
    assert [component.decoded("DTSTART") for component in found] == [
        dt.datetime(2009, 3, 29, 2, 0),
        dt.datetime(2009, 10, 25, 3, 0),
        dt.datetime(2010, 3, 28, 2, 0),
        dt.datetime(2010, 10, 31, 3, 0),
        dt.datetime(2011, 3, 27, 2, 0),
    ]


def test_zone_without_changes_has_one_observance():
    [component] = observances("Asia/Tokyo", 2027, 2030)

    assert component["TZOFFSETFROM"].td == component["TZOFFSETTO"].td == dt.timedelta(hours=9)
    assert component.decoded("DTSTART") == dt.datetime(2026, 1, 1)
