"""The recurrence editor of the manager's event form: every option writes its RRULE, a stored rule comes back
into the editor (or, when the editor cannot say it, into the raw field), mistakes are reported at their field
and nothing is saved, and the dates can be shown before saving."""

import datetime as dt
import zoneinfo

import pytest
from django import forms
from django.forms.widgets import ChoiceWidget
from django.urls import reverse
from django.utils import timezone

from crosscluster.events.forms import EventForm
from crosscluster.events.models import Event
from crosscluster.events.services import create_event
from tests.events.test_manage_views import event_data

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def before_the_series(time_machine):
    """December 2026: the series of these tests (from January 2027) lie within the year that is expanded."""
    time_machine.move_to(berlin(2026, 12, 1, 9), tick=False)


# Thursday 7 January 2027, 18:00–20:00 (the first Thursday of the month); the last Friday of the month.
FIRST_THURSDAY = {"start": "2027-01-07T18:00", "end": "2027-01-07T20:00"}
LAST_FRIDAY = {"start": "2027-01-29T18:00", "end": "2027-01-29T20:00"}


def editor(**fields):
    """POST data of the editor: `repeat` and the `repeat_*` fields, with the defaults the form renders."""
    values = {
        "repeat": "",
        "repeat_interval": "1",
        "repeat_monthly": "weekday",
        "repeat_ordinal": "1",
        "repeat_weekday": "MO",
        "repeat_month_day": "1",
        "repeat_end": "never",
        "repeat_count": "",
        "repeat_until": "",
    }
    values.update(fields)
    return values


def stored_dates(event):
    series = Event.objects.filter(series=event).order_by("start").values_list("start", flat=True)
    return [event.start, *series]


# (test id, start and end, editor fields, other fields, stored rrule, first stored dates)
OPTIONS = [
    ("never", FIRST_THURSDAY, editor(), {}, "", [berlin(2027, 1, 7, 18)]),
    (
        "daily, every 2 days, 3 times",
        FIRST_THURSDAY,
        editor(repeat="DAILY", repeat_interval="2", repeat_end="count", repeat_count="3"),
        {},
        "FREQ=DAILY;INTERVAL=2;COUNT=3",
        [berlin(2027, 1, day, 18) for day in (7, 9, 11)],
    ),
    (
        "weekly on Monday and Thursday, 4 times",
        FIRST_THURSDAY,
        editor(repeat="WEEKLY", repeat_weekdays=["TH", "MO"], repeat_end="count", repeat_count="4"),
        {},
        "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4",
        [berlin(2027, 1, day, 18) for day in (7, 11, 14, 18)],
    ),
    (
        "every 2 weeks on Thursday until 4 February",
        FIRST_THURSDAY,
        editor(
            repeat="WEEKLY",
            repeat_interval="2",
            repeat_weekdays=["TH"],
            repeat_end="until",
            repeat_until="2027-02-04",
        ),
        {},
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20270204T225959Z",
        [berlin(2027, 1, 7, 18), berlin(2027, 1, 21, 18), berlin(2027, 2, 4, 18)],
    ),
    (
        "monthly on the 1st Thursday, 6 times, except one date",
        FIRST_THURSDAY,
        editor(
            repeat="MONTHLY", repeat_ordinal="1", repeat_weekday="TH", repeat_end="count", repeat_count="6"
        ),
        {"exdates": "04.03.2027"},
        "FREQ=MONTHLY;BYDAY=1TH;COUNT=6",
        [berlin(2027, month, day, 18) for month, day in ((1, 7), (2, 4), (4, 1), (5, 6), (6, 3))],
    ),
    (
        "monthly on the last Friday, 3 times",
        LAST_FRIDAY,
        editor(
            repeat="MONTHLY", repeat_ordinal="-1", repeat_weekday="FR", repeat_end="count", repeat_count="3"
        ),
        {},
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
        [berlin(2027, 1, 29, 18), berlin(2027, 2, 26, 18), berlin(2027, 3, 26, 18)],
    ),
    (
        "every 2 months on day 7, 3 times",
        FIRST_THURSDAY,
        editor(
            repeat="MONTHLY",
            repeat_interval="2",
            repeat_monthly="day",
            repeat_month_day="7",
            repeat_end="count",
            repeat_count="3",
        ),
        {},
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=7;COUNT=3",
        [berlin(2027, 1, 7, 18), berlin(2027, 3, 7, 18), berlin(2027, 5, 7, 18)],
    ),
    (
        "yearly, never ending",
        FIRST_THURSDAY,
        editor(repeat="YEARLY"),
        {},
        "FREQ=YEARLY",
        [berlin(2027, 1, 7, 18)],  # the next one lies beyond the year that is stored
    ),
    (
        "weekly with an extra date at its own time",
        FIRST_THURSDAY,
        editor(repeat="WEEKLY", repeat_weekdays=["TH"], repeat_end="count", repeat_count="2"),
        {"rdates": "20.01.2027 10:00"},
        "FREQ=WEEKLY;BYDAY=TH;COUNT=2",
        [berlin(2027, 1, 7, 18), berlin(2027, 1, 14, 18), berlin(2027, 1, 20, 10)],
    ),
    (
        "extra dates only",
        FIRST_THURSDAY,
        editor(),
        {"rdates": "2027-02-11"},
        "",
        [berlin(2027, 1, 7, 18), berlin(2027, 2, 11, 18)],
    ),
    (
        "a rule of one's own",
        FIRST_THURSDAY,
        editor(repeat="custom"),
        {"rrule": "FREQ=MONTHLY;BYDAY=1TH,3TH;COUNT=4"},
        "FREQ=MONTHLY;BYDAY=1TH,3TH;COUNT=4",
        [berlin(2027, 1, 7, 18), berlin(2027, 1, 21, 18), berlin(2027, 2, 4, 18), berlin(2027, 2, 18, 18)],
    ),
    (
        "a typed rule while the editor says never",
        FIRST_THURSDAY,
        editor(),
        {"rrule": "FREQ=DAILY;COUNT=2"},
        "FREQ=DAILY;COUNT=2",
        [berlin(2027, 1, 7, 18), berlin(2027, 1, 8, 18)],
    ),
]


@pytest.mark.parametrize(
    ("times", "fields", "others", "rule", "dates"), [o[1:] for o in OPTIONS], ids=[o[0] for o in OPTIONS]
)
def test_editor_writes_the_rule_and_the_series_gets_its_dates(
    client, manager, organization, times, fields, others, rule, dates
):
    client.force_login(manager)

    response = client.post(
        reverse("manage:event-create"), event_data(organization, **times, **fields, **others)
    )

    assert response.status_code == 302, response.context["form"].errors
    event = Event.objects.get(series__isnull=True)
    assert event.rrule == rule
    assert stored_dates(event) == dates


def test_editor_stores_dates_in_one_form(client, manager, organization):
    client.force_login(manager)
    data = editor(repeat="WEEKLY", repeat_weekdays=["TH"])

    client.post(
        reverse("manage:event-create"),
        event_data(
            organization, **FIRST_THURSDAY, **data, exdates="28.01.2027\n2027-01-14", rdates="5.2.2027 9:30"
        ),
    )

    event = Event.objects.get(series__isnull=True)
    assert (event.exdates, event.rdates) == ("2027-01-14, 2027-01-28", "2027-02-05T09:30:00")


def entered(organization, rule, start=berlin(2027, 1, 7, 18), **fields):
    return create_event(
        actor=None,
        organizers=[organization],
        title="Stammtisch",
        start=start,
        end=start + dt.timedelta(hours=2),
        rrule=rule,
        **fields,
    )


def posted_back(form):
    """What the browser sends for an unchanged form: each field's rendered value (times in Berlin)."""
    data = {}
    with timezone.override(BERLIN):
        fields = [(field, field.value()) for field in form]
    for field, value in fields:
        widget = field.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[field.html_name] = "on"
        elif isinstance(widget, ChoiceWidget) and widget.allow_multiple_selected:
            data[field.html_name] = [str(getattr(v, "pk", v)) for v in value or []]
        elif isinstance(widget, ChoiceWidget):
            data[field.html_name] = "" if value is None else str(value)
        elif value is not None:
            shown = widget.format_value(value)
            data[field.html_name] = "" if shown is None else str(shown)
    return data


# Rules as the editor writes them and as other programs do, with what the editor shows of them.
ROUND_TRIPS = [
    ("FREQ=MONTHLY;BYDAY=1TH;COUNT=6", {"repeat": "MONTHLY", "repeat_ordinal": 1, "repeat_weekday": "TH"}),
    (
        "FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1;COUNT=6",
        {"repeat": "MONTHLY", "repeat_end": "count", "repeat_count": 6},
    ),
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        {"repeat": "WEEKLY", "repeat_weekdays": ["MO", "TH"], "repeat_interval": 2},
    ),
    ("FREQ=WEEKLY;COUNT=10", {"repeat": "WEEKLY", "repeat_weekdays": ["TH"], "repeat_count": 10}),
    (
        "FREQ=DAILY;UNTIL=20270131T225959Z",
        {"repeat": "DAILY", "repeat_end": "until", "repeat_until": dt.date(2027, 1, 31)},
    ),
    ("FREQ=MONTHLY;BYMONTHDAY=7", {"repeat": "MONTHLY", "repeat_monthly": "day", "repeat_month_day": 7}),
    ("FREQ=YEARLY;INTERVAL=2", {"repeat": "YEARLY", "repeat_interval": 2, "repeat_end": "never"}),
    ("FREQ=MONTHLY;BYDAY=1TH,3TH", {"repeat": "custom"}),
    ("FREQ=DAILY;BYHOUR=18,20;COUNT=4", {"repeat": "custom"}),
]


@pytest.mark.parametrize(("rule", "shown"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
def test_editor_shows_a_stored_rule_and_saving_it_unchanged_keeps_its_dates(
    client, manager, organization, rule, shown
):
    event = entered(organization, rule)
    dates = stored_dates(event)
    client.force_login(manager)
    url = reverse("manage:event-edit", args=[event.pk])

    form = client.get(url).context["form"]
    response = client.post(url, posted_back(form) | {"title_de": "Stammtisch neu"})

    assert {name: form[name].value() for name in shown} == shown
    assert form.rule_not_shown == (shown["repeat"] == "custom")
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert event.title == "Stammtisch neu"
    assert stored_dates(event) == dates


def test_a_rule_the_editor_cannot_show_is_shown_raw_and_the_editor_says_so(client, manager, organization):
    event = entered(organization, "FREQ=MONTHLY;BYDAY=1TH,3TH")
    client.force_login(manager)

    html = client.get(reverse("manage:event-edit", args=[event.pk])).content.decode()

    assert "lässt sich in den Feldern unten nicht darstellen" in html
    assert 'value="FREQ=MONTHLY;BYDAY=1TH,3TH"' in html
    assert '<details class="advanced" open>' in html
    assert 'value="custom" id="id_repeat_5" checked' in html


def test_changing_the_editor_replaces_the_stored_rule(client, manager, organization):
    event = entered(organization, "FREQ=WEEKLY;BYDAY=TH;COUNT=3")
    client.force_login(manager)
    url = reverse("manage:event-edit", args=[event.pk])
    data = posted_back(client.get(url).context["form"])

    response = client.post(url, data | editor(repeat="MONTHLY", repeat_ordinal="1", repeat_weekday="TH"))

    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert event.rrule == "FREQ=MONTHLY;BYDAY=1TH"  # the old rule still sent in the raw field is replaced


def test_switching_a_series_off(client, manager, organization):
    event = entered(organization, "FREQ=WEEKLY;BYDAY=TH;COUNT=3")
    client.force_login(manager)
    url = reverse("manage:event-edit", args=[event.pk])
    data = posted_back(client.get(url).context["form"])

    client.post(url, data | {"repeat": ""})

    event.refresh_from_db()
    assert (event.rrule, stored_dates(event)) == ("", [event.start])


# (test id, start and end, posted fields, field with the error, words of the error)
MISTAKES = [
    ("no weekday", FIRST_THURSDAY, editor(repeat="WEEKLY"), "repeat_weekdays", "mindestens einen Wochentag"),
    (
        "start not on a ticked weekday",
        FIRST_THURSDAY,
        editor(repeat="WEEKLY", repeat_weekdays=["MO"]),
        "repeat_weekdays",
        "Der Beginn, Donnerstag, 7. Januar 2027, ist kein Termin dieser Wiederholung.",
    ),
    (
        "start not the chosen weekday of the month",
        FIRST_THURSDAY,
        editor(repeat="MONTHLY", repeat_ordinal="2", repeat_weekday="TH"),
        "repeat_ordinal",
        "ist kein Termin dieser Wiederholung",
    ),
    (
        "start not on the chosen day of the month",
        FIRST_THURSDAY,
        editor(repeat="MONTHLY", repeat_monthly="day", repeat_month_day="8"),
        "repeat_month_day",
        "ist kein Termin dieser Wiederholung",
    ),
    (
        "no day of the month",
        FIRST_THURSDAY,
        editor(repeat="MONTHLY", repeat_monthly="day", repeat_month_day=""),
        "repeat_month_day",
        "Tag im Monat",
    ),
    (
        "day 32",
        FIRST_THURSDAY,
        editor(repeat="MONTHLY", repeat_monthly="day", repeat_month_day="32"),
        "repeat_month_day",
        "31",
    ),
    (
        "no count",
        FIRST_THURSDAY,
        editor(repeat="DAILY", repeat_end="count"),
        "repeat_count",
        "Anzahl der Termine",
    ),
    (
        "count of one",
        FIRST_THURSDAY,
        editor(repeat="DAILY", repeat_end="count", repeat_count="1"),
        "repeat_count",
        "2",
    ),
    (
        "no last day",
        FIRST_THURSDAY,
        editor(repeat="DAILY", repeat_end="until"),
        "repeat_until",
        "letzten Tag",
    ),
    (
        "last day before the start",
        FIRST_THURSDAY,
        editor(repeat="DAILY", repeat_end="until", repeat_until="2027-01-06"),
        "repeat_until",
        "liegt vor dem Beginn",
    ),
    ("interval 0", FIRST_THURSDAY, editor(repeat="DAILY", repeat_interval="0"), "repeat_interval", "1"),
    (
        "a date that is none",
        FIRST_THURSDAY,
        editor(repeat="DAILY") | {"exdates": "2027-01-08, 30.02.2027"},
        "exdates",
        "„30.02.2027“ ist kein Datum",
    ),
    (
        "leaving out a day the series does not have",
        FIRST_THURSDAY,
        editor(repeat="WEEKLY", repeat_weekdays=["TH"]) | {"exdates": "2027-01-15"},
        "exdates",
        "15. Januar 2027 ist kein Termin der Reihe",
    ),
    (
        "leaving out the start",
        FIRST_THURSDAY,
        editor(repeat="WEEKLY", repeat_weekdays=["TH"]) | {"exdates": "2027-01-07"},
        "exdates",
        "Der Beginn kann nicht ausgelassen werden",
    ),
    (
        "leaving out without a series",
        FIRST_THURSDAY,
        editor() | {"exdates": "2027-01-14"},
        "exdates",
        "Wiederholung voraus",
    ),
    (
        "an all-day event with a time",
        {"start": "2027-01-07T00:00", "end": "2027-01-07T00:00", "all_day": "on"},
        editor() | {"rdates": "2027-01-20 10:00"},
        "rdates",
        "ohne Uhrzeit",
    ),
    (
        "a typed rule against the editor",
        FIRST_THURSDAY,
        editor(repeat="WEEKLY", repeat_weekdays=["TH"]) | {"rrule": "FREQ=DAILY"},
        "rrule",
        "weicht von der oben gewählten Wiederholung ab",
    ),
    (
        "a rule of one's own without a rule",
        FIRST_THURSDAY,
        editor(repeat="custom"),
        "rrule",
        "Schreiben Sie die Regel hier",
    ),
    (
        "an unreadable rule of one's own",
        FIRST_THURSDAY,
        editor(repeat="custom") | {"rrule": "FREQ=WEEKLY;BYDAY=XX"},
        "rrule",
        "kann nicht gelesen werden",
    ),
    (
        "a rule more often than hourly",
        FIRST_THURSDAY,
        editor(repeat="custom") | {"rrule": "FREQ=MINUTELY"},
        "rrule",
        "öfter als stündlich",
    ),
]


@pytest.mark.parametrize(
    ("times", "fields", "field", "words"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_editor_mistakes_are_reported_at_their_field_and_nothing_is_saved(
    client, manager, organization, times, fields, field, words
):
    client.force_login(manager)

    response = client.post(reverse("manage:event-create"), event_data(organization, **times, **fields))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert words in " ".join(errors[field])
    html = response.content.decode()
    assert f'href="#id_{field}' in html  # the error summary links to the field
    assert not Event.objects.exists()


def test_editor_fields_that_do_not_apply_are_not_checked(client, manager, organization):
    client.force_login(manager)
    data = editor(repeat="", repeat_interval="x", repeat_month_day="99", repeat_until="gestern")

    response = client.post(reverse("manage:event-create"), event_data(organization, **FIRST_THURSDAY, **data))

    assert response.status_code == 302


def test_show_the_dates_first_lists_them_and_saves_nothing(client, manager, organization):
    client.force_login(manager)
    fields = editor(
        repeat="MONTHLY", repeat_ordinal="1", repeat_weekday="TH", repeat_end="count", repeat_count="6"
    )

    response = client.post(
        reverse("manage:event-create"),
        event_data(organization, **FIRST_THURSDAY, **fields, exdates="2027-03-04", preview="1"),
    )

    assert response.status_code == 200
    assert not Event.objects.exists()
    dates = [date.start for date in response.context["preview"]["dates"]]
    assert dates == [berlin(2027, month, day, 18) for month, day in ((1, 7), (2, 4), (4, 1), (5, 6), (6, 3))]
    html = response.content.decode()
    assert 'id="series-dates"' in html
    assert "Jeden 1. Donnerstag im Monat, 6-mal, außer am 4. März 2027" in html
    assert 'name="rrule" value="FREQ=MONTHLY;BYDAY=1TH;COUNT=6"' in html  # the rule the editor wrote


def test_the_form_and_the_list_say_the_repetition_in_german_and_english(client, manager, organization):
    event = entered(organization, "FREQ=MONTHLY;BYDAY=1TH;COUNT=6", exdates="2027-03-04")
    client.force_login(manager)

    german_form = client.get(reverse("manage:event-edit", args=[event.pk])).content.decode()
    german_list = client.get(reverse("manage:events")).content.decode()
    english_list = client.get("/en" + reverse("manage:events")).content.decode()

    assert "Jeden 1. Donnerstag im Monat, 6-mal, außer am 4. März 2027" in german_form
    assert "Jeden 1. Donnerstag im Monat, 6-mal, außer am 4. März 2027" in german_list
    assert "Every 1st Thursday of the month, 6 times, except on March 4, 2027" in english_list


def test_the_list_shows_the_upcoming_dates_of_a_series(client, manager, organization, time_machine):
    event = entered(organization, "FREQ=MONTHLY;BYDAY=1TH;COUNT=6", exdates="2027-03-04")
    time_machine.move_to(berlin(2027, 2, 10, 9), tick=False)  # January and February are past
    client.force_login(manager)

    listed = client.get(reverse("manage:events")).context["events"]

    assert listed == [event]
    assert [date.start for date in listed[0].series_dates] == [
        berlin(2027, month, day, 18) for month, day in ((4, 1), (5, 6), (6, 3))
    ]


def test_the_editor_is_a_fieldset_of_labelled_fields(client, manager):
    client.force_login(manager)

    html = client.get(reverse("manage:event-create")).content.decode()

    assert '<fieldset class="field-group repetition" id="repetition"' in html
    for legend in ("Wiederholt sich", "An welchem Tag im Monat", "Endet", "An diesen Wochentagen"):
        assert f"<legend>{legend}" in html
    for name in (
        "repeat_interval",
        "repeat_ordinal",
        "repeat_weekday",
        "repeat_month_day",
        "repeat_count",
        "repeat_until",
    ):
        assert f'<label for="id_{name}">' in html
    assert "<summary>Erweitert: die Regel im iCalendar-Format</summary>" in html


def test_form_offers_every_editor_field():
    """The view tests post these names; a renamed field would make them pass without testing anything."""
    assert set(editor()) <= set(EventForm.base_fields)
