"""core.db's fast paths give what the plain ORM call gives (the equivalence each of them promises)."""

import datetime as dt

import pytest
from django.db.models import Q

from crosscluster.core.db import any_range, fetch_rows, insert_rows
from crosscluster.events.listing import refresh_all_listed
from crosscluster.events.models import Event, FeedSubscription
from tests.factories import EventFactory, OrganizationFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def columns(event_id: int) -> dict:
    row = Event.objects.filter(pk=event_id).values().get()
    for name in ("id", "source_uid", "created_at", "updated_at"):
        row.pop(name)
    return row


@pytest.fixture
def subscription():
    return FeedSubscription.objects.create(
        organization=OrganizationFactory(), url="https://example.org/a.ics"
    )


def test_insert_rows_writes_the_columns_bulk_create_writes(subscription):
    values = {
        "title": "Vortrag: Wasserstoff in Jena",
        "description": "<p>Mit Fragen</p>",
        "start": NOW,
        "end": NOW + dt.timedelta(hours=2),
        "all_day": False,
        "venue": "Haus der Wirtschaft",
        "status": Event.Status.CANCELLED,
    }
    common = {"source": Event.Source.FEED, "feed_id": subscription.pk}
    insert_rows(Event, common, [{**values, "source_uid": "fast"}])
    reference = Event(**values, source=Event.Source.FEED, feed=subscription, source_uid="orm")
    Event.objects.bulk_create([reference])

    fast = Event.objects.get(source_uid="fast")
    assert columns(fast.pk) == columns(reference.pk)
    assert fast.title_de == "Vortrag: Wasserstoff in Jena"  # the plain name is the German column


def test_insert_rows_gives_a_missing_field_its_default(subscription):
    rows = [{"title": "Mit Ort", "city": "Gera"}, {"title": "Ohne Ort"}]
    common = {"start": NOW, "end": NOW + dt.timedelta(hours=1), "feed_id": subscription.pk, "source": "feed"}
    insert_rows(Event, common, [{**row, "source_uid": row["title"]} for row in rows])

    assert dict(Event.objects.values_list("title", "city")) == {"Mit Ort": "Gera", "Ohne Ort": ""}
    assert set(Event.objects.values_list("language", "format", "published")) == {("de", "on_site", True)}
    refresh_all_listed()  # written below the services, which announce new events


def test_insert_rows_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="colour"):
        insert_rows(Event, {}, [{"title": "x", "colour": "red"}])


def test_fetch_rows_gives_the_rows_of_values_list_for_text_and_numbers():
    EventFactory(title="Erster", city="Jena")
    EventFactory(title="Zweiter", city="")
    # Without modeltranslation's rewriting, which would select the columns in another order than named.
    queryset = Event.objects.rewrite(False).order_by("pk").values_list("pk", "title_de", "city", "feed_id")

    assert fetch_rows(queryset) == [tuple(row) for row in queryset]


def test_any_range_selects_what_ored_q_objects_select():
    starts = [NOW + dt.timedelta(minutes=20 * n) for n in range(12)]
    events = [
        EventFactory(start=start, end=start + dt.timedelta(hours=1), all_day=n % 3 == 0)
        for n, start in enumerate(starts)
    ]
    ranges = [(False, starts[1], starts[2]), (True, starts[3], starts[6]), (True, starts[9], starts[9])]
    expected = Q(pk__in=[])
    for flag, low, high in ranges:
        expected |= Q(all_day=flag, start__gte=low, start__lte=high)

    fast = set(Event.objects.filter(any_range("all_day", "start", ranges)).values_list("pk", flat=True))

    assert fast == set(Event.objects.filter(expected).values_list("pk", flat=True))
    assert fast == {events[1].pk, events[2].pk, events[3].pk, events[6].pk, events[9].pk}
    assert not Event.objects.filter(any_range("all_day", "start", [])).exists()
