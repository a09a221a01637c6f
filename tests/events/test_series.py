"""Recurring entered events: one row per further occurrence within a year, by the feed import's expansion."""

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crosscluster.events.models import Event
from crosscluster.events.series import SERIES_AHEAD, expand_series
from crosscluster.events.services import EventError, create_event, delete_event, update_event
from crosscluster.events.times import local
from tests.documents import document_text
from tests.events.test_manage_views import event_data

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def next_monday(hour=10):
    today = timezone.localdate()
    day = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)


def series(organization, topic=None, **fields):
    start = fields.pop("start", next_monday())
    values = {
        "title": "Stammtisch Kunststoff",
        "start": start,
        "end": start + dt.timedelta(hours=2),
        **fields,
    }
    return create_event(actor=None, organizers=[organization], topics=[topic] if topic else [], **values)


def occurrences(event):
    return list(Event.objects.filter(series=event).order_by("start"))


def test_recurring_event_gets_a_row_per_further_occurrence(organization, topic):
    event = series(organization, topic, rrule="FREQ=WEEKLY;COUNT=4")

    rows = occurrences(event)

    # The same local time each week, also when the clocks change in between (Berlin wall-clock arithmetic).
    assert [row.start for row in rows] == [local(event.start) + dt.timedelta(weeks=n) for n in (1, 2, 3)]
    for row in rows:
        assert (row.title, row.end - row.start, row.rrule, row.source) == (
            "Stammtisch Kunststoff",
            dt.timedelta(hours=2),
            "",
            "entered",
        )
        assert list(row.organizers.all()) == [organization]
        assert list(row.topics.all()) == [topic]
        assert document_text(row) == document_text(event) != ""
    assert [row.source_uid for row in rows] == [r.start.strftime("%Y%m%dT%H%M%SZ") for r in rows]


def test_series_keeps_its_local_time_across_summer_time(organization):
    start = dt.datetime(2030, 3, 25, 10, tzinfo=BERLIN)  # CET; from 31 March CEST
    event = series(organization, start=start, rrule="FREQ=WEEKLY;COUNT=3")

    expand_series(event, now=dt.datetime(2030, 3, 20, tzinfo=dt.UTC))

    assert [row.start.astimezone(BERLIN).time() for row in occurrences(event)] == [dt.time(10), dt.time(10)]
    assert occurrences(event)[0].start == dt.datetime(2030, 4, 1, 8, tzinfo=dt.UTC)


def test_rule_without_end_stops_at_the_horizon(organization, time_machine):
    time_machine.move_to(timezone.now(), tick=False)  # the horizon is counted from the moment of saving
    event = series(organization, rrule="FREQ=DAILY")

    rows = occurrences(event)

    # Every day after the first at its local time (10:00 also in summer), up to a year from now.
    first, horizon = local(event.start), timezone.now() + SERIES_AHEAD
    days = (horizon.date() - first.date()).days + 1
    expected = [first + dt.timedelta(days=n) for n in range(1, days)]
    assert [row.start for row in rows] == [start for start in expected if start < horizon]
    assert horizon - dt.timedelta(days=1) <= rows[-1].start < horizon


def test_excluded_and_added_dates(organization):
    first = next_monday()
    skipped, added = first + dt.timedelta(weeks=1), first + dt.timedelta(days=3)
    event = series(
        organization,
        start=first,
        rrule="FREQ=WEEKLY;COUNT=3",
        exdates=skipped.date().isoformat(),
        rdates=added.strftime("%Y%m%dT%H%M%S"),
    )

    assert [row.start for row in occurrences(event)] == [added, first + dt.timedelta(weeks=2)]


def test_editing_the_series_updates_and_removes_its_occurrences(organization, other_organization):
    event = series(organization, rrule="FREQ=WEEKLY;COUNT=4")
    kept = occurrences(event)[0].pk

    update_event(
        event, actor=None, title="Stammtisch Polymere", organizers=[organization, other_organization]
    )
    assert {row.title for row in occurrences(event)} == {"Stammtisch Polymere"}
    assert occurrences(event)[0].pk == kept  # updated in place: links and UIDs stay
    assert set(occurrences(event)[0].organizers.all()) == {organization, other_organization}

    update_event(event, actor=None, rrule="FREQ=WEEKLY;COUNT=2")
    assert [row.pk for row in occurrences(event)] == [kept]

    update_event(event, actor=None, rrule="")
    assert occurrences(event) == []


def test_deleting_the_series_deletes_its_occurrences(organization):
    event = series(organization, rrule="FREQ=WEEKLY;COUNT=3")

    delete_event(event, actor=None)

    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "kann nicht gelesen werden"),
        ({"rrule": "FREQ=MINUTELY"}, "öfter als stündlich"),
        ({"rrule": "FREQ=WEEKLY", "exdates": "nächsten Dienstag"}, "2026-12-24"),
    ],
)
def test_unreadable_repetition_is_refused(organization, fields, message):
    with pytest.raises(EventError, match=message):
        series(organization, **fields)
    assert not Event.objects.exists()


def test_public_pages_api_and_subscriptions_list_each_occurrence(client, organization):
    event = series(organization, rrule="FREQ=WEEKLY;COUNT=3")
    starts = [event.start + dt.timedelta(weeks=n) for n in range(3)]

    listed = client.get(reverse("events:list")).context["events"]
    items = client.get("/api/v1/events").json()["items"]
    calendar = icalendar.Calendar.from_ical(client.get(reverse("events:calendar")).content)
    single = icalendar.Calendar.from_ical(client.get(reverse("events:ics", args=[event.pk])).content)

    assert [e.start for e in listed] == starts
    assert len(items) == 3
    entries = calendar.walk("VEVENT")
    assert [e.decoded("DTSTART") for e in entries] == starts
    assert all("RRULE" not in e for e in entries)  # each occurrence is listed; a rule would double them
    assert str(single.walk("VEVENT")[0]["RRULE"].to_ical().decode()) == "FREQ=WEEKLY;COUNT=3"


def test_manager_enters_a_recurring_event(client, manager, organization, time_machine):
    time_machine.move_to(dt.datetime(2027, 4, 1, 10, tzinfo=BERLIN), tick=False)  # before event_data's start
    client.force_login(manager)
    data = event_data(organization, rrule="FREQ=MONTHLY;COUNT=3", exdates="")

    response = client.post(reverse("manage:event-create"), data)

    assert response.status_code == 302
    event = Event.objects.get(series__isnull=True)
    assert len(occurrences(event)) == 2
    listed = client.get(reverse("manage:events")).context["events"]
    assert list(listed) == [event]  # the further dates are edited through the first


def test_manager_form_shows_an_unreadable_rule(client, manager, organization):
    client.force_login(manager)

    response = client.post(reverse("manage:event-create"), event_data(organization, rrule="FREQ=BALD"))

    assert response.status_code == 200
    assert "FREQ=BALD" in response.content.decode()
    assert not Event.objects.exists()


def test_extend_event_series_command_fills_the_horizon(organization, capsys):
    event = series(organization, rrule="FREQ=WEEKLY")
    count = len(occurrences(event))
    occurrences(event)[-1].delete()  # as if the horizon had moved on by a week

    call_command("extend-event-series")

    assert len(occurrences(event)) == count
    assert capsys.readouterr().out.strip() == f"extend-event-series: 1 series, {count} occurrences"


def test_extend_event_series_runs_once_a_day_unless_forced(organization, capsys):
    event = series(organization, rrule="FREQ=WEEKLY")
    count = len(occurrences(event))
    call_command("extend-event-series")
    capsys.readouterr()
    occurrences(event)[-1].delete()

    call_command("extend-event-series")

    assert capsys.readouterr().out.strip() == "extend-event-series: ran less than a day ago; not due"
    assert len(occurrences(event)) == count - 1

    call_command("extend-event-series", force=True)

    assert len(occurrences(event)) == count


# A date of a series on its own ------------------------------------------------------------------------


def test_a_date_edited_on_its_own_keeps_its_changes_when_the_series_runs_again(organization, topic):
    event = series(organization, topic, rrule="FREQ=WEEKLY;COUNT=4", venue="Volkshaus")
    second, third = occurrences(event)[:2]
    moved = second.start + dt.timedelta(hours=2)
    update_event(second, actor=None, venue="Kaisersaal", start=moved, end=moved + dt.timedelta(hours=1))

    call_command("extend-event-series", "--force")
    update_event(event, actor=None, title="Stammtisch Kunststoff und Gummi", venue="Rathaus")

    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.detached, second.title, second.venue, second.start) == (
        True,
        "Stammtisch Kunststoff",
        "Kaisersaal",
        moved,
    )
    assert (third.detached, third.title, third.venue) == (False, "Stammtisch Kunststoff und Gummi", "Rathaus")
    assert len(occurrences(event)) == 3
    assert list(second.topics.all()) == [topic]


def test_a_date_of_a_series_has_no_repetition_of_its_own(organization):
    event = series(organization, rrule="FREQ=WEEKLY;COUNT=3")
    first_date = occurrences(event)[0]

    with pytest.raises(EventError):
        update_event(first_date, actor=None, rrule="FREQ=DAILY")
    update_event(first_date, actor=None, rrule="", title=first_date.title)  # as stored: nothing changes

    first_date.refresh_from_db()
    assert (first_date.rrule, first_date.detached) == ("", False)


@pytest.mark.parametrize("all_day", [False, True])
def test_deleting_a_date_of_a_series_leaves_it_out_for_good(organization, all_day):
    start = next_monday()
    fields = {"all_day": True, "end": start + dt.timedelta(days=1)} if all_day else {}
    event = series(organization, start=start, rrule="FREQ=WEEKLY;COUNT=4", **fields)
    gone = occurrences(event)[1]

    delete_event(gone, actor=None)
    call_command("extend-event-series", "--force")

    event.refresh_from_db()
    assert [row.start for row in occurrences(event)] == [
        local(event.start) + dt.timedelta(weeks=n) for n in (1, 3)
    ]
    day = local(gone.start).date()
    assert event.exdates == (day.isoformat() if all_day else f"{day.isoformat()}T{local(start):%H:%M:%S}")


def test_manager_edits_one_date_through_the_list(client, manager, organization):
    event = series(organization, rrule="FREQ=WEEKLY;COUNT=3", venue="Volkshaus", city="Jena")
    date = occurrences(event)[0]
    client.force_login(manager)

    listing = client.get(reverse("manage:events")).content.decode()
    assert f'href="{reverse("manage:event-edit", args=[date.pk])}"' in listing
    form = client.get(reverse("manage:event-edit", args=[date.pk]))
    html = form.content.decode()
    assert "Dies ist ein Termin einer Serie" in html
    assert f'href="{reverse("manage:event-edit", args=[event.pk])}"' in html
    assert "repeat_interval" not in html and 'name="rrule"' not in html
    data = event_data(organization, title=date.title, venue="Kaisersaal", city="Jena")
    data |= {"start": f"{local(date.start):%Y-%m-%dT%H:%M}", "end": f"{local(date.end):%Y-%m-%dT%H:%M}"}

    response = client.post(reverse("manage:event-edit", args=[date.pk]), data)

    assert response.status_code == 302
    date.refresh_from_db()
    assert (date.venue, date.detached) == ("Kaisersaal", True)
    assert "einzeln geändert: bearbeiten" in client.get(reverse("manage:events")).content.decode()
