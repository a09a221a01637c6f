"""Calendars as Exchange, Google, Apple, Lotus Notes and CMS plug-ins write them (tests/events/feeds/data/).

Each file is read by `parse_ical` over the import's window (a day back, a year ahead) on a stopped clock and
compared with the reference: icalendar + recurring-ical-events (after x-wr-timezone, for Google's calendar
zone) over the same window. Where our reading differs on purpose (a broken event skipped, floating times and
dates in Europe/Berlin, an all-day event lasting at least a day) the expectation is written out instead.
"""

import datetime as dt
import zoneinfo
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import x_wr_timezone

from crosscluster.events.feeds.ical import parse_ical, unescape_text
from crosscluster.events.feeds.importing import HORIZON_AFTER, HORIZON_BEFORE

DATA = Path(__file__).parent / "data"
UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# The files' events lie in the twelve months after this moment.
NOW = dt.datetime(2027, 1, 1, 9, tzinfo=UTC)


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _stopped_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def window():
    from django.utils import timezone

    now = timezone.now()
    return now - HORIZON_BEFORE, now + HORIZON_AFTER


def parse(name):
    start, end = window()
    return parse_ical((DATA / name).read_bytes(), horizon_start=start, horizon_end=end)


def _utc(value):
    """A reference time as stored: dates and floating times are Europe/Berlin (the site's zone)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=BERLIN)).astimezone(UTC)
    return dt.datetime.combine(value, dt.time(), tzinfo=BERLIN).astimezone(UTC)


def reference(name):
    """(UID, start, end) of every occurrence in the window, as the reference libraries expand the file."""
    calendar = x_wr_timezone.to_standard(icalendar.Calendar.from_ical((DATA / name).read_bytes()))
    occurrences = []
    for occurrence in recurring_ical_events.of(calendar).between(*window()):
        start = occurrence.decoded("DTSTART")
        if "DTEND" in occurrence:
            end = occurrence.decoded("DTEND")
        elif "DURATION" in occurrence:
            end = start + occurrence.decoded("DURATION")
        else:  # RFC 5545 3.6.1
            end = start if isinstance(start, dt.datetime) else start + dt.timedelta(days=1)
        occurrences.append((str(occurrence["UID"]), _utc(start), _utc(end)))
    return sorted(occurrences)


def ours(parsed):
    return sorted((event.uid, event.start, event.end) for event in parsed.events)


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("outlook.ics", 14),
        ("google.ics", 9),
        ("sequence.ics", 3),
        ("thisandfuture.ics", 20),
        ("icloud.ics", 9),
        ("events-calendar.ics", 3),
    ],
)
def test_real_calendar_gives_the_occurrences_of_the_reference_libraries(name, count):
    parsed = parse(name)

    assert ours(parsed) == reference(name)
    assert len(parsed.events) == count
    # Every occurrence has a key of its own: none overwrites another when stored.
    keys = [(event.uid, event.recurrence_id) for event in parsed.events]
    assert len(set(keys)) == len(keys)


def test_outlook_long_folded_uids_are_read_whole_and_not_merged():
    """Exchange's UIDs are folded over two lines and share the first one (row 7 of issue 11)."""
    parsed = parse("outlook.ics")

    uids = {event.uid for event in parsed.events}
    assert len(uids) == 3  # a series (with its override), a single event and an all-day event
    assert all(len(uid) == 112 and uid.startswith("040000008200E00074C5B7101A82E008") for uid in uids)
    assert parsed.warnings == []


def test_outlook_text_is_unescaped_exactly_once():
    """Outlook's X-ALT-DESC comes raw from icalendar, with `\\,` `\\;` `\\n` (row 4 of issue 11)."""
    parsed = parse("outlook.ics")

    series = [event for event in parsed.events if event.title == "Jour fixe Vorstand"]
    assert len(series) == 11
    assert {event.description for event in series} == {
        "<p>Liebe Mitglieder,</p><p>wir laden ein: Vorträge, Diskussion; Imbiss.</p>"
    }
    assert {event.location for event in series} == {"Raum 2.14, Haus B"}
    assert not any("\\" in event.description + event.location + event.title for event in parsed.events)


def test_unescape_text_undoes_each_escape_once():
    assert unescape_text(r"a\, b\; c\nd\Ne") == "a, b; c\nd\ne"
    assert unescape_text(r"C:\\new \\, not a comma") == r"C:\new \, not a comma"


def test_outlook_moved_occurrence_and_excluded_date_in_windows_zone():
    parsed = parse("outlook.ics")

    series = {event.recurrence_id: event for event in parsed.events if event.rrule}
    assert "20270209T080000Z" not in series  # EXDATE;TZID=W. Europe Standard Time
    moved = series["20270302T080000Z"]
    assert (moved.title, moved.start, moved.end) == (
        "Jour fixe Vorstand (verlegt)",
        at(2027, 3, 3, 13),
        at(2027, 3, 3, 14),
    )
    assert series["20270330T070000Z"].start == at(2027, 3, 30, 7)  # 09:00 in summer time


def test_google_calendar_zone_all_day_and_override():
    parsed = parse("google.ics")
    events = {(event.uid, event.recurrence_id): event for event in parsed.events}

    assert parsed.name == "Netzwerk Öffentlich"
    fair = events[("allday-multi@google.com", "")]
    assert (fair.all_day, fair.start, fair.end) == (True, at(2027, 1, 17, 23), at(2027, 1, 20, 23))
    assert fair.title == "Messe »Intec« – drei Tage, Halle 3; Stand 12"
    assert fair.description == (
        "<p>Wir sind mit Ständen vertreten. Öffnungszeiten: 9–18 Uhr.<br>Anfahrt über die A4.</p>"
    )
    assert events[("floating@google.com", "")].start == at(2027, 2, 10, 8)  # X-WR-TIMEZONE Berlin
    assert events[("newyork@google.com", "")].start == at(2027, 2, 15, 14)
    assert events[("cancelled@google.com", "")].status == "cancelled"
    course = sorted(
        (event.recurrence_id, event.start, event.status)
        for (uid, _rid), event in events.items()
        if uid == "weekly-dst@google.com"
    )
    assert course == [
        ("20270311T170000Z", at(2027, 3, 11, 17), "scheduled"),
        ("20270325T170000Z", at(2027, 3, 25, 17), "scheduled"),  # 18 March excluded
        ("20270401T160000Z", at(2027, 4, 1, 16), "cancelled"),  # the override, in summer time
        ("20270408T160000Z", at(2027, 4, 8, 16), "scheduled"),
    ]


def test_sequence_the_newest_version_of_a_series_wins():
    """The same series twice under one UID, SEQUENCE 1 and 2: the newer is read (row 6 of issue 11)."""
    parsed = parse("sequence.ics")

    assert [(event.title, event.start) for event in parsed.events] == [
        ("Neue Fassung", at(2027, 1, 11, 9)),
        ("Neue Fassung", at(2027, 1, 25, 9)),  # 18 January is excluded by the newer version only
        ("Neue Fassung", at(2027, 2, 1, 9)),
    ]
    assert [(w.uid, w.line) for w in parsed.warnings] == [("seq@example.org", 12)]


def test_thisandfuture_keeps_every_date_with_its_own_key():
    """Lotus Notes moves all later occurrences by RANGE=THISANDFUTURE (row 3 of issue 11)."""
    parsed = parse("thisandfuture.ics")

    assert len(parsed.events) == 20
    moved = [event for event in parsed.events if event.title == "Wöchentliche Sprechstunde (neue Zeit)"]
    assert len(moved) == 12
    assert all(event.start.hour == 13 and event.end.hour == 14 for event in moved)
    # Each keeps its original date as key: the 9:00 it had in the series before the edit.
    assert [event.recurrence_id for event in moved[:3]] == [
        "20270302T090000Z",
        "20270309T090000Z",
        "20270316T090000Z",
    ]
    assert len({event.recurrence_id for event in parsed.events}) == 20


def test_broken_line_skips_only_its_event_and_names_line_and_uid():
    """A continuation line without its leading space (row 1 of issue 11)."""
    parsed = parse("broken-line.ics")

    assert [(event.uid, event.title) for event in parsed.events] == [("good-1@example.org", "Gutes Event")]
    assert [item for item in reference("broken-line.ics") if item[0] == "good-1@example.org"] == ours(parsed)
    assert parsed.skipped_uids == {"bad-line@example.org"}
    assert [str(warning) for warning in parsed.warnings] == [
        "UID bad-line@example.org (“Event mit kaputtem Zeilenumbruch”), line 16: Skipped: The line “zweite "
        "Zeile ohne Leerzeichen am Anfang” cannot be read; a line that continues the one above must begin "
        "with a space."
    ]


def test_mixed_floating_start_and_utc_end_reads_the_floating_time_in_berlin():
    """A floating start is Europe/Berlin, whatever zone the end has (row 1 of issue 11)."""
    parsed = parse("mixed-floating-utc.ics")

    assert ours(parsed) == [
        ("good-2@example.org", at(2027, 1, 20, 9), at(2027, 1, 20, 10)),
        ("mixed@example.org", at(2027, 1, 22, 8), at(2027, 1, 22, 10)),  # 09:00 Berlin to 10:00 UTC
    ]
    assert parsed.warnings == []


def test_mixed_date_and_date_time_give_the_span_the_file_means():
    """DATE start with DATE-TIME end and the reverse (row 8 of issue 11)."""
    parsed = parse("mixed-date-datetime.ics")
    events = {event.uid: event for event in parsed.events}

    holidays = events["19970901T130000Z-123403@example.com"]  # DTEND at midnight: all-day to that day
    assert (holidays.all_day, holidays.start, holidays.end) == (
        True,
        at(2027, 7, 23, 22),
        at(2027, 8, 16, 22),
    )
    hackathon = events["hackathon@example.com"]  # from midnight of the first day to the end's time
    assert (hackathon.all_day, hackathon.start, hackathon.end) == (
        False,
        at(2027, 2, 28, 23),
        at(2027, 3, 2, 12),
    )
    night = events["lange-nacht@example.com"]  # until the midnight the DATE end begins
    assert (night.all_day, night.start, night.end) == (False, at(2027, 4, 1, 16), at(2027, 4, 1, 22))
    assert parsed.warnings == []


def test_calendarize_open_end_entities_and_all_day_ending_on_its_day():
    """TYPO3 calendarize: no DTEND for an open end (row 11 of issue 11), `&amp;`, DTEND equal to DTSTART."""
    parsed = parse("calendarize.ics")
    events = {event.uid: event for event in parsed.events}

    talk = events["calendarize-812"]  # RFC 5545 3.6.1: a DATE-TIME start alone ends when it begins
    assert (talk.start, talk.end, talk.all_day) == (at(2027, 3, 4, 17), at(2027, 3, 4, 17), False)
    assert talk.title == 'Vortrag & Diskussion: "Grüner" Wasserstoff'
    assert talk.location == "Hörsaal 1 & Foyer"
    assert talk.description == "<p>Offenes Ende – danach sitzen wir noch zusammen.</p>"
    day = events["calendarize-813"]  # an all-day event lasts at least its day
    assert (day.start, day.end, day.all_day) == (at(2027, 3, 11, 23), at(2027, 3, 12, 23), True)
    assert parsed.warnings == []


def test_events_calendar_and_icloud_texts():
    wordpress = {event.uid.split("-")[0]: event for event in parse("events-calendar.ics").events}
    assert wordpress["1234"].location == "Kunststoff-Zentrum, Otto-Schott-Str. 13, Jena, 07745, Deutschland"
    assert wordpress["1234"].description == (
        "<p>Wir treffen uns zum Austausch über Recycling, Spritzguss und Fachkräfte; Gäste sind "
        "willkommen. <br> Anmeldung bis 5. Februar über das Formular auf unserer Seite. Es gibt Getränke "
        "und einen kleinen Imbiss.</p>"
    )
    assert wordpress["1251"].title == "Workshop Spritzguss – Grundlagen"
    assert (wordpress["1240"].all_day, wordpress["1240"].end - wordpress["1240"].start) == (
        True,
        dt.timedelta(days=2),
    )

    apple = parse("icloud.ics").events
    assert apple[0].location == "Photonik-Zentrum, Hans-Knöll-Straße 6, 07745 Jena"
    moved = [event for event in apple if event.recurrence_id == "20270218T090000Z"]
    assert [(event.title, event.start) for event in moved] == [
        ("Sprechstunde Optik (nachmittags)", at(2027, 2, 18, 13))
    ]
    assert apple[-1].url == "https://photonik.example.org/girls-day"
