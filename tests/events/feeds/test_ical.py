"""Reading iCalendar feeds: every file of the corpus gives correct events or a clear error."""

import datetime as dt
import time

import pytest

from crosscluster.events.feeds.ical import MAX_OCCURRENCES_PER_SERIES, FeedError, parse_ical

UTC = dt.UTC
HORIZON = {
    "horizon_start": dt.datetime(2026, 6, 1, tzinfo=UTC),
    "horizon_end": dt.datetime(2027, 1, 1, tzinfo=UTC),
}


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


def by_uid(parsed):
    return {event.uid: event for event in parsed.events}


def test_parse_ical_defaults_missing_ends(corpus):
    events = by_uid(parse_ical(corpus("missing_dtend.ics"), **HORIZON))

    timed = events["timed-no-end@polymer"]  # RFC 5545 3.6.1: a DATE-TIME start alone ends when it begins
    assert (timed.start, timed.end, timed.all_day) == (at(2026, 12, 3, 13), at(2026, 12, 3, 13), False)
    allday = events["allday-no-end@polymer"]
    assert (allday.start, allday.end, allday.all_day) == (at(2026, 12, 9, 23), at(2026, 12, 10, 23), True)
    assert events["duration@polymer"].end == at(2026, 12, 15, 11, 30)
    two_days = events["allday-two-days@polymer"]
    assert (two_days.start, two_days.end) == (at(2026, 12, 15, 23), at(2026, 12, 17, 23))  # end exclusive
    assert {event.recurrence_id for event in events.values()} == {""}


def test_parse_ical_reads_floating_times_as_berlin(corpus):
    events = by_uid(parse_ical(corpus("floating.ics"), **HORIZON))

    assert (events["floating-summer"].start, events["floating-summer"].end) == (
        at(2026, 7, 1, 8),
        at(2026, 7, 1, 10),
    )
    assert events["floating-winter"].start == at(2026, 12, 1, 9)
    assert all(event.start.tzinfo is UTC for event in events.values())


def test_parse_ical_handles_custom_windows_and_unknown_time_zones(corpus):
    parsed = parse_ical(corpus("custom_timezones.ics"), **HORIZON)
    events = by_uid(parsed)

    assert events["custom-tz"].start == at(2026, 7, 1, 8)
    assert events["windows-tz"].start == at(2026, 12, 1, 9)
    assert events["unknown-tz"].start == at(2026, 12, 2, 9)  # taken as Europe/Berlin
    assert events["utc"].start == at(2026, 12, 3, 10)
    assert [(w.uid, w.line) for w in parsed.warnings] == [("unknown-tz", 31)]
    assert "Mars/Olympus_Mons" in str(parsed.warnings[0])


def test_parse_ical_applies_google_x_wr_timezone(corpus):
    parsed = parse_ical(corpus("google_x_wr_timezone.ics"), **HORIZON)
    events = by_uid(parsed)

    assert parsed.name == "Cluster London Office"
    assert events["google-floating@google.com"].start == at(2026, 7, 1, 9)  # London, not Berlin
    weekly = [event for event in parsed.events if event.uid == "google-weekly@google.com"]
    assert [event.start for event in weekly] == [
        at(2026, 11, 2, 10),
        at(2026, 11, 9, 10),
        at(2026, 11, 16, 10),
    ]
    assert weekly[0].rrule == "FREQ=WEEKLY;COUNT=3"
    assert weekly[0].recurrence_id == "20261102T100000Z"


def test_parse_ical_expands_an_endless_rule_only_within_the_horizon(corpus):
    horizon = {"horizon_start": at(2026, 11, 1), "horizon_end": at(2026, 12, 1)}
    parsed = parse_ical(corpus("recurring.ics"), **horizon)

    daily = [event for event in parsed.events if event.uid == "daily-forever@netz"]
    assert len(daily) == 30
    assert daily[0].start == at(2026, 11, 1, 7)  # 08:00 Berlin in winter
    assert daily[-1].start == at(2026, 11, 30, 7)
    assert daily[0].recurrence_id == "20261101T070000Z"
    assert daily[0].rrule == "FREQ=DAILY"


def test_parse_ical_applies_exdates_overrides_and_cancellations(corpus):
    parsed = parse_ical(corpus("recurring.ics"), **HORIZON)

    weekly = [
        (event.recurrence_id, event.start, event.end, event.title, event.status)
        for event in parsed.events
        if event.uid == "weekly@netz"
    ]
    assert weekly == [
        ("20261102T090000Z", at(2026, 11, 2, 9), at(2026, 11, 2, 11), "Wochentreffen", "scheduled"),
        # 9 November is excluded by an EXDATE given in New York time (04:00 EST = 10:00 Berlin)
        (
            "20261116T090000Z",
            at(2026, 11, 16, 13),
            at(2026, 11, 16, 15),
            "Wochentreffen (verlegt)",
            "scheduled",
        ),
        ("20261123T090000Z", at(2026, 11, 23, 9), at(2026, 11, 23, 11), "Wochentreffen", "cancelled"),
        ("20261130T090000Z", at(2026, 11, 30, 9), at(2026, 11, 30, 11), "Wochentreffen", "scheduled"),
    ]
    first = next(event for event in parsed.events if event.uid == "weekly@netz")
    assert first.categories == ["Netzwerk", "Treffen", "Kunststoffe"]


def test_parse_ical_refuses_rules_more_frequent_than_hourly(corpus):
    parsed = parse_ical(corpus("recurring.ics"), **HORIZON)

    assert "every-second@netz" not in by_uid(parsed)
    assert [(w.uid, w.line) for w in parsed.warnings] == [("every-second@netz", 36)]
    assert "more often than hourly" in parsed.warnings[0].message


def test_parse_ical_caps_occurrences_of_one_series():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:hourly\r\nDTSTART:20260601T000000Z\r\n"
        b"RRULE:FREQ=HOURLY\r\nSUMMARY:Hourly\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert len(parsed.events) == MAX_OCCURRENCES_PER_SERIES
    assert "More than 1000 occurrences" in parsed.warnings[0].message


def test_parse_ical_sanitizes_html_and_escapes_plain_text(corpus):
    events = by_uid(parse_ical(corpus("html_description.ics"), **HORIZON))

    html = events["html@cms"]
    assert html.description == (
        "<p>Hallo <strong>Welt</strong></p>"
        '<a rel="noopener noreferrer nofollow">x</a>'
        '<a href="https://example.org/" rel="noopener noreferrer nofollow">Info</a>'
    )
    assert html.url == ""  # javascript: is no link
    assert html.location == "Erfurt, Kaisersaal"
    assert html.status == "postponed"
    assert html.title == "Vortrag <b>fett</b>"  # plain text, escaped when shown
    plain = events["plain@cms"]
    assert plain.description == "<p>Zeile 1 &amp; &lt;Zeile&gt; 2<br>Zeile 3</p>"
    assert plain.url == "https://example.org/klartext"
    assert events["alt-desc@outlook"].description == "<p>Mit <em>HTML</em></p>"


def test_parse_ical_skips_broken_events_with_uid_and_line(corpus):
    parsed = parse_ical(corpus("broken_events.ics"), **HORIZON)

    assert [event.title for event in parsed.events] == ["Gut", "Ohne UID", "Rückwärts"]
    assert parsed.events[1].uid.startswith("no-uid-")
    assert parsed.events[2].end == at(2026, 12, 4, 10)  # the end is dropped: no length, as without DTEND
    assert [(w.uid, w.line) for w in parsed.warnings] == [
        ("never-closed", 19),
        ("bad-start", 4),
        ("no-start", 9),
        ("", 23),
        ("end-before-start", 27),
    ]
    assert "DTSTART cannot be read" in parsed.warnings[1].message
    assert (
        str(parsed.warnings[0])
        == "UID never-closed, line 19: The event is not closed by END:VEVENT; skipped."
    )


def test_parse_ical_reads_non_utf8_bytes():
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:latin\r\nDTSTART:20261201T100000Z\r\n"
        "SUMMARY:Überraschung in Gößnitz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode("latin-1")

    parsed = parse_ical(data, **HORIZON)

    assert parsed.events[0].title == "Überraschung in Gößnitz"
    assert "not valid UTF-8" in parsed.warnings[0].message


def test_parse_ical_survives_huge_lines_and_many_events():
    huge = "DESCRIPTION:" + "Sehr lang. " * 200_000  # one 2 MB line
    events = [
        f"BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:20261201T{i % 24:02d}0000Z\r\nSUMMARY:Termin {i}\r\nEND:VEVENT"
        for i in range(3000)
    ]
    data = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            "UID:huge",
            "DTSTART:20261201T100000Z",
            huge,
            "END:VEVENT",
            *events,
            "END:VCALENDAR",
            "",
        ]
    ).encode()

    # CPU time of this process, not the wall clock: other processes on a busy machine do not count, and a
    # parser that went quadratic on the long line or the many events would still take minutes.
    started = time.process_time()
    parsed = parse_ical(data, **HORIZON)

    assert time.process_time() - started < 5
    assert len(parsed.events) == 3001
    assert len(by_uid(parsed)["huge"].description) <= 20000


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"\x00\xff\xfe garbage", b"BEGIN:VCARD\r\nEND:VCARD\r\n"],
    ids=["empty", "blank", "binary", "vcard"],
)
def test_parse_ical_refuses_what_is_not_icalendar(data):
    with pytest.raises(FeedError, match="not an iCalendar file"):
        parse_ical(data, **HORIZON)


def test_parse_ical_refuses_an_html_page(corpus):
    with pytest.raises(FeedError, match="not an iCalendar file"):
        parse_ical(corpus("not_a_calendar.html"), **HORIZON)


def test_parse_ical_keeps_only_events_in_the_horizon(corpus):
    parsed = parse_ical(corpus("floating.ics"), horizon_start=at(2026, 11, 1), horizon_end=at(2027, 1, 1))

    assert [event.uid for event in parsed.events] == ["floating-winter"]


def test_parse_ical_skips_a_structurally_broken_event_alone():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nUID:stray\r\nDTSTART:20261201T100000Z\r\nEND:VALARM\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert [event.uid for event in parsed.events] == ["ok"]
    assert [(w.uid, w.line) for w in parsed.warnings] == [("stray", 3)]


def test_parse_ical_shortens_over_long_folded_lines():
    folded = "DESCRIPTION:" + "".join("\r\n " + "x" * 74 for _ in range(20_000))  # 1.5 MB unfolded
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:folded\r\nDTSTART:20261201T100000Z\r\n"
        f"{folded}\r\nSUMMARY:Nach der langen Zeile\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()

    parsed = parse_ical(data, **HORIZON)

    assert parsed.events[0].title == "Nach der langen Zeile"
    assert parsed.events[0].description.startswith("<p>xxx")
    assert "was shortened" in parsed.warnings[0].message


def test_parse_ical_keeps_equally_new_events_of_one_uid_apart_by_their_start():
    """A writer that reuses a UID for distinct events (no SEQUENCE or DTSTAMP tells them apart) loses none."""
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nUID:twice\r\nDTSTART:20261201T100000Z\r\nSUMMARY:Erster\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:twice\r\nDTSTART:20261202T100000Z\r\nSUMMARY:Zweiter\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert [(event.title, event.recurrence_id) for event in parsed.events] == [
        ("Erster", "20261201T100000Z"),
        ("Zweiter", "20261202T100000Z"),
    ]
    assert [(w.uid, w.line) for w in parsed.warnings] == [("twice", 8)]


def test_parse_ical_reads_the_newest_of_two_versions_of_an_event():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nUID:twice\r\nDTSTAMP:20261102T090000Z\r\nDTSTART:20261201T100000Z\r\n"
        b"SUMMARY:Neu\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:twice\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261202T100000Z\r\n"
        b"SUMMARY:Alt\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert [(event.title, event.start, event.recurrence_id) for event in parsed.events] == [
        ("Neu", at(2026, 12, 1, 10), "")
    ]
    assert [(w.uid, w.line) for w in parsed.warnings] == [("twice", 3)]


def test_parse_ical_expands_rdates_and_keeps_all_day_keys():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:days\r\nDTSTART;VALUE=DATE:20261201\r\n"
        b"RDATE;VALUE=DATE:20261215\r\nSUMMARY:Sprechtag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert [(e.recurrence_id, e.start, e.end, e.all_day) for e in parsed.events] == [
        ("20261201", at(2026, 11, 30, 23), at(2026, 12, 1, 23), True),
        ("20261215", at(2026, 12, 14, 23), at(2026, 12, 15, 23), True),
    ]


def test_parse_ical_ignores_a_broken_vtimezone():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Kaputt\r\nBEGIN:STANDARD\r\n"
        b"DTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:quatsch\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Kaputt:20261201T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert [event.start for event in parsed.events] == [at(2026, 12, 1, 9)]  # as Europe/Berlin
    assert [w.message for w in parsed.warnings] == [
        "The time zone definitions cannot be read; they are ignored.",
        "Unknown time zone Kaputt; the time is taken as Europe/Berlin.",
    ]


def test_parse_ical_skips_events_with_broken_rules():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20261201T100000Z\r\nRRULE:FREQ=FOO;BAR\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:ex\r\nDTSTART:20261201T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE:nonsense\r\n"
        b"END:VEVENT\r\nBEGIN:VEVENT\r\nUID:fine\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    parsed = parse_ical(data, **HORIZON)

    assert [event.uid for event in parsed.events] == ["fine"]
    assert [(w.uid, w.line, w.message.split(":")[0]) for w in parsed.warnings] == [
        ("r", 3, "Skipped"),
        ("ex", 8, "Skipped"),
    ]
    assert "RRULE cannot be read" in parsed.warnings[0].message
    assert "EXDATE cannot be read" in parsed.warnings[1].message


def test_parse_ical_ends_content_lines_at_cr_and_lf_only():
    """VT (Word's line break), FF, FS, GS, RS, NEL, U+2028 and U+2029 are text inside a value."""
    separators = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:word@example.org\r\n"
        "DTSTART:20260910T090000Z\r\nDTEND:20260910T100000Z\r\n"
        f"SUMMARY:Erste{separators}Zeile\r\nDESCRIPTION:A{separators}B\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\nUID:lf@example.org\nDTSTART:20260911T090000Z\nSUMMARY:Nur LF\nEND:VEVENT\r"
        "BEGIN:VEVENT\rUID:cr@example.org\rDTSTART:20260912T090000Z\rSUMMARY:Nur CR\rEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()

    parsed = parse_ical(data, **HORIZON)

    assert parsed.warnings == []
    events = by_uid(parsed)
    assert set(events) == {"word@example.org", "lf@example.org", "cr@example.org"}
    title = events["word@example.org"].title
    assert title.startswith("Erste") and title.endswith("Zeile")
