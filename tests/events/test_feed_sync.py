"""The bulk path of the feed import (events.feeds.sync) writes what `bulk_create` of the same events would
write; core.db.insert_rows itself is tested in tests/core/test_db.py."""

import datetime as dt

import pytest
from django.utils import timezone

from crosscluster.core.text import terms
from crosscluster.events.feeds import sync
from crosscluster.events.feeds.sync import clean_feed_fields, sync_feed_events
from crosscluster.events.listing import refresh_all_listed
from crosscluster.events.models import Event, FeedSubscription
from tests.documents import document_text

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(organization):
    return FeedSubscription.objects.create(organization=organization, url="https://example.org/cal.ics")


def fields(n: int, **extra) -> dict:
    start = NOW + dt.timedelta(days=n, hours=n % 5)
    values = {
        "title": f"Vortrag Nr. {n}: Wasserstoff in Jena",
        "description": "<p>Mit <b>Fragen</b> &amp; Antworten</p>" if n % 2 else "",
        "start": start,
        "end": start + dt.timedelta(hours=2),
        "all_day": n % 3 == 0,
        "venue": "Haus der Wirtschaft" if n % 4 else "",
        "status": Event.Status.CANCELLED if n == 5 else Event.Status.SCHEDULED,
    }
    return clean_feed_fields({**values, **extra})


def columns(event_id: int) -> dict:
    row = Event.objects.filter(pk=event_id).values().get()
    for name in ("id", "source_uid", "created_at", "updated_at"):
        row.pop(name)
    return row


def test_new_events_have_the_columns_bulk_create_writes(subscription, organization):
    wanted = {f"uid-{n}": fields(n) for n in range(8)}
    wanted["uid-city"] = fields(8, city="Erfurt", online_url="https://example.org/live", format="hybrid")
    before = timezone.now()
    new = [sync._NewEvent(key, values) for key, values in wanted.items()]

    sync._create_feed_events(subscription, organization, new)

    after = timezone.now()
    for event in new:
        reference = Event(source=Event.Source.FEED, feed=subscription, source_uid=event.source_uid + "-ref")
        for name, value in event.fields.items():
            setattr(reference, name, value)
        Event.objects.bulk_create([reference])
        assert columns(event.pk) == columns(reference.pk)
        stored = Event.objects.get(pk=event.pk)
        assert stored.source_uid == event.source_uid
        assert before <= stored.created_at <= stored.updated_at <= after  # each field its own now(), as there
        assert list(stored.organizers.all()) == [organization]
    refresh_all_listed()  # the helpers write below sync_feed_events, which keeps the flag current


def test_new_events_get_their_ids_in_order(subscription):
    created = Event.objects.create(title="Vorher", start=NOW, end=NOW + dt.timedelta(hours=1))
    new = [sync._NewEvent(f"uid-{n}", fields(n), "") for n in (3, 1, 2)]

    sync._create_feed_events(subscription, subscription.organization, new)

    assert [event.pk for event in new] == [created.pk + 1, created.pk + 2, created.pk + 3]
    assert [Event.objects.get(pk=event.pk).source_uid for event in new] == ["uid-3", "uid-1", "uid-2"]
    refresh_all_listed()


def test_sync_creates_updates_and_removes_in_bulk(subscription, organization):
    wanted = {f"uid-{n}": fields(n) for n in range(4)}
    result = sync_feed_events(subscription, wanted, remove_ending_after=NOW, now=NOW)
    assert (result.created, result.updated, result.unchanged, result.removed) == (4, 0, 0, 0)
    stored = {event.source_uid: event for event in Event.objects.filter(feed=subscription)}
    assert "vortrag" in document_text(stored["uid-1"]).split()

    wanted["uid-1"] = fields(1, title="Vortrag: Wasserstoff in Weimar")
    del wanted["uid-2"]
    wanted["uid-9"] = fields(9)
    result = sync_feed_events(subscription, wanted, remove_ending_after=NOW, now=NOW)

    assert (result.created, result.updated, result.unchanged, result.removed) == (1, 1, 2, 1)
    stored = {event.source_uid: event for event in Event.objects.filter(feed=subscription)}
    assert stored["uid-2"].removed_at == NOW
    assert "weimar" in document_text(stored["uid-1"]).split()  # the changed title
    assert set(terms(organization.name)) <= set(document_text(stored["uid-9"]).split())  # the organiser
    assert list(stored["uid-9"].organizers.all()) == [organization]
