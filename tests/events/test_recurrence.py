"""The recurrence editor's translation between its fields and RFC 5545: rules written, rules read back (also
those other programs write), the repetition in German and English words, and lists of dates."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import translation

from crosscluster.events.models import Event
from crosscluster.events.recurrence import (
    BY_DAY,
    BY_WEEKDAY,
    DAILY,
    MONTHLY,
    WEEKLY,
    YEARLY,
    Repetition,
    build_rule,
    describe,
    parse_dates,
    read_rule,
    rule_dates,
)
from crosscluster.events.services import EventError, create_event

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# The first Thursday of January 2027, 18:00 in Berlin: the start of the examples.
START = dt.datetime(2027, 1, 7, 18, tzinfo=BERLIN)


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


# (repetition, all-day, rule): every option of the editor.
WRITTEN = [
    (Repetition(DAILY), False, "FREQ=DAILY"),
    (Repetition(DAILY, interval=3, count=10), False, "FREQ=DAILY;INTERVAL=3;COUNT=10"),
    (Repetition(WEEKLY, weekdays=("TH",)), False, "FREQ=WEEKLY;BYDAY=TH"),
    (
        Repetition(WEEKLY, interval=2, weekdays=("MO", "TH", "SU")),
        False,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH,SU",
    ),
    (Repetition(MONTHLY, ordinal=1, weekday="TH", count=6), False, "FREQ=MONTHLY;BYDAY=1TH;COUNT=6"),
    (Repetition(MONTHLY, ordinal=-1, weekday="FR"), False, "FREQ=MONTHLY;BYDAY=-1FR"),
    (Repetition(MONTHLY, interval=3, ordinal=2, weekday="TU"), False, "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU"),
    (Repetition(MONTHLY, monthly=BY_DAY, month_day=7), False, "FREQ=MONTHLY;BYMONTHDAY=7"),
    (Repetition(YEARLY), False, "FREQ=YEARLY"),
    (Repetition(YEARLY, interval=2, count=3), False, "FREQ=YEARLY;INTERVAL=2;COUNT=3"),
    # The last second of the day in Berlin (winter: UTC+1), in UTC, as RFC 5545 wants with a zoned start.
    (
        Repetition(WEEKLY, weekdays=("TH",), until=dt.date(2027, 1, 28)),
        False,
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270128T225959Z",
    ),
    # Summer time: UTC+2.
    (Repetition(DAILY, until=dt.date(2027, 7, 1)), False, "FREQ=DAILY;UNTIL=20270701T215959Z"),
    (
        Repetition(WEEKLY, weekdays=("TH",), until=dt.date(2027, 1, 28)),
        True,
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270128",
    ),
]


@pytest.mark.parametrize(
    ("repetition", "all_day", "rule"), WRITTEN, ids=[w[2] + (" all-day" if w[1] else "") for w in WRITTEN]
)
def test_build_rule_writes_each_editor_option(repetition, all_day, rule):
    assert build_rule(repetition, all_day=all_day) == rule


@pytest.mark.parametrize(
    ("repetition", "all_day", "rule"), WRITTEN, ids=[w[2] + (" all-day" if w[1] else "") for w in WRITTEN]
)
def test_read_rule_gives_back_what_the_editor_wrote(repetition, all_day, rule):
    start = START.replace(hour=0) if all_day else START
    read = read_rule(rule, start=start, all_day=all_day)

    assert read is not None
    assert build_rule(read, all_day=all_day) == rule
    # The fields of the editor that apply to the frequency come back as they were.
    assert (read.frequency, read.interval, read.count, read.until) == (
        repetition.frequency,
        repetition.interval,
        repetition.count,
        repetition.until,
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # Outlook writes the first Thursday with BYSETPOS.
        ("FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1;COUNT=6", "FREQ=MONTHLY;BYDAY=1TH;COUNT=6"),
        ("RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", "FREQ=MONTHLY;BYDAY=-1FR"),
        # Without BYDAY or BYMONTHDAY the start's weekday or day is meant.
        ("FREQ=WEEKLY;COUNT=10", "FREQ=WEEKLY;BYDAY=TH;COUNT=10"),
        ("FREQ=MONTHLY", "FREQ=MONTHLY;BYMONTHDAY=7"),
        ("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=7", "FREQ=YEARLY"),
        ("FREQ=WEEKLY;WKST=SU;BYDAY=TH", "FREQ=WEEKLY;BYDAY=TH"),
        # A date UNTIL with a timed start means its midnight: the 18:00 date on 28 January is not in it.
        ("FREQ=WEEKLY;UNTIL=20270128", "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270127T225959Z"),
        # ... but a day without a date stays the last day.
        ("FREQ=WEEKLY;UNTIL=20270129", "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270129T225959Z"),
        # UTC at or after 18:00 Berlin keeps the 28th; floating times are Berlin time.
        ("FREQ=WEEKLY;UNTIL=20270128T170000Z", "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270128T225959Z"),
        ("FREQ=WEEKLY;UNTIL=20270128T165959Z", "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270127T225959Z"),
        ("FREQ=WEEKLY;UNTIL=20270128T180000", "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270128T225959Z"),
    ],
)
def test_read_rule_understands_what_other_programs_write(rule, expected):
    read = read_rule(rule, start=START, all_day=False)

    assert read is not None
    assert build_rule(read, all_day=False) == expected
    # Same dates: the editor shows the stored rule exactly.
    assert (
        list(rule_dates(rule, start=START, all_day=False))[:60]
        == list(rule_dates(expected, start=START, all_day=False))[:60]
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY",
        "FREQ=DAILY;BYHOUR=10,14",
        "FREQ=MONTHLY;BYDAY=1TH,3TH",
        "FREQ=MONTHLY;BYDAY=5TH",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=WEEKLY;BYDAY=1TH",
        "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TH,SU",
        "FREQ=YEARLY;BYMONTH=3",
        "FREQ=DAILY;COUNT=3;UNTIL=20270301",
        "FREQ=SOMETIMES",
        "not a rule",
    ],
)
def test_read_rule_leaves_other_rules_to_the_raw_field(rule):
    assert read_rule(rule, start=START, all_day=False) is None


@pytest.mark.parametrize(
    ("language", "rule", "exdates", "rdates", "expected"),
    [
        ("de", "FREQ=MONTHLY;BYDAY=1TH;COUNT=6", "", "", "Jeden 1. Donnerstag im Monat, 6-mal"),
        ("en", "FREQ=MONTHLY;BYDAY=1TH;COUNT=6", "", "", "Every 1st Thursday of the month, 6 times"),
        (
            "de",
            "FREQ=MONTHLY;BYDAY=1TH;COUNT=6",
            "2027-03-04",
            "",
            "Jeden 1. Donnerstag im Monat, 6-mal, außer am 4. März 2027",
        ),
        ("de", "FREQ=MONTHLY;BYDAY=-1FR", "", "", "Jeden letzten Freitag im Monat"),
        ("de", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "", "", "Alle 2 Wochen am Montag und Donnerstag"),
        ("en", "FREQ=WEEKLY;BYDAY=MO,WE,TH", "", "", "Every Monday, Wednesday and Thursday"),
        ("de", "FREQ=DAILY;UNTIL=20270131T225959Z", "", "", "Täglich, bis 31. Januar 2027"),
        ("de", "FREQ=MONTHLY;BYMONTHDAY=7", "", "", "Jeden Monat am 7."),
        ("de", "FREQ=YEARLY", "", "", "Jedes Jahr am 7. Januar"),
        ("en", "FREQ=YEARLY;INTERVAL=2", "", "", "Every 2 years on January 7"),
        ("de", "", "", "2027-06-10", "Zusätzlich am 10. Juni 2027"),
        ("de", "FREQ=DAILY;BYHOUR=10,14", "", "", "Nach eigener Regel: FREQ=DAILY;BYHOUR=10,14"),
        ("de", "", "", "", ""),
    ],
)
def test_describe_says_the_repetition_in_words(language, rule, exdates, rdates, expected):
    with translation.override(language):
        assert describe(rule, start=START, all_day=False, exdates=exdates, rdates=rdates) == expected


def test_parse_dates_reads_iso_ical_and_german_dates_with_times_and_names_the_bad_ones():
    dates = parse_dates("2027-03-04, 6.5.2027 14:00; 20270601T120000Z\n20270701 31.02.2027 morgen 2027-03-04")

    assert dates.values == (
        dt.date(2027, 3, 4),
        dt.datetime(2027, 5, 6, 14, 0),
        dt.datetime(2027, 6, 1, 14, 0),  # 12:00 UTC is 14:00 in Berlin in summer
        dt.date(2027, 7, 1),
    )
    assert dates.stored() == "2027-03-04, 2027-05-06T14:00:00, 2027-06-01T14:00:00, 2027-07-01"
    assert dates.errors == (
        "„31.02.2027“ ist kein Datum. Schreiben Sie Daten als 2027-03-04 oder 04.03.2027.",
        "„morgen“ ist kein Datum. Schreiben Sie Daten als 2027-03-04 oder 04.03.2027.",
    )


@pytest.mark.django_db
def test_a_series_ending_on_a_day_in_utc_is_accepted_and_ends_that_day(organization, time_machine):
    """The editor writes UNTIL in UTC (RFC 5545 with a zoned start); dateutil reads that only with an
    aware start, so the check before saving must not refuse it."""
    time_machine.move_to(berlin(2026, 12, 1, 9), tick=False)
    rule = build_rule(Repetition(WEEKLY, weekdays=("TH",), until=dt.date(2027, 1, 28)), all_day=False)

    event = create_event(
        actor=None,
        organizers=[organization],
        title="Stammtisch",
        start=START,
        end=START + dt.timedelta(hours=2),
        rrule=rule,
    )

    dates = [
        event.start,
        *Event.objects.filter(series=event).order_by("start").values_list("start", flat=True),
    ]
    assert dates == [berlin(2027, 1, day, 18) for day in (7, 14, 21, 28)]


@pytest.mark.django_db
def test_an_unreadable_rule_is_still_refused(organization):
    with pytest.raises(EventError, match="kann nicht gelesen werden"):
        create_event(
            actor=None,
            organizers=[organization],
            title="Stammtisch",
            start=START,
            end=START + dt.timedelta(hours=2),
            rrule="FREQ=WEEKLY;UNTIL=gestern",
        )


def test_rule_dates_of_an_all_day_series_are_midnights():
    dates = rule_dates("FREQ=MONTHLY;BYDAY=1TH;COUNT=3", start=berlin(2027, 1, 7), all_day=True)

    assert list(dates) == [dt.datetime(2027, 1, 7), dt.datetime(2027, 2, 4), dt.datetime(2027, 3, 4)]


def test_monthly_by_weekday_is_the_default_of_the_editor():
    assert Repetition(MONTHLY).monthly == BY_WEEKDAY
