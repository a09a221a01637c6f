"""Subscribing and removing feeds: who may, URL rules, reactivation, what happens to the feed's events."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.feeds.subscriptions import (
    SubscriptionError,
    add_feed,
    due_feeds,
    feeds_managed_by,
    guess_kind,
    import_now,
    remove_feed,
    retry_delay,
)
from crosscluster.events.models import Event, FeedSubscription
from tests.factories import EventFactory

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    b"BEGIN:VEVENT\r\nUID:talk\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Vortrag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_add_feed_by_the_manager_is_audited(organization, manager):
    feed = add_feed(organization, "  https://example.org/termine.ics ", actor=manager)

    assert (feed.organization, feed.url, feed.kind, feed.active) == (
        organization,
        "https://example.org/termine.ics",
        "ical",
        True,
    )
    entry = AuditLogEntry.objects.get(action="event.feed_added")
    assert (entry.actor, entry.organization, entry.object_id) == (manager, organization, str(feed.pk))
    assert entry.data == {"url": feed.url, "kind": "ical", "reactivated": False}


def test_add_feed_by_the_coordinator_for_any_organisation(other_organization, coordinator):
    assert add_feed(other_organization, "https://example.org/a.ics", actor=coordinator).pk


@pytest.mark.parametrize("role", ["outsider", "other_manager"])
def test_add_feed_refused_for_others_changes_nothing(organization, other_organization, role, request):
    from tests.factories import MembershipFactory, UserFactory

    actor = request.getfixturevalue("outsider") if role == "outsider" else UserFactory()
    if role == "other_manager":
        MembershipFactory(user=actor, organization=other_organization)

    with pytest.raises(PermissionDenied):
        add_feed(organization, "https://example.org/a.ics", actor=actor)

    assert not FeedSubscription.objects.exists()
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/a.ics",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "example.org/a.ics",
        "https://",
        "",
    ],
)
def test_add_feed_refuses_urls_that_are_not_http(organization, manager, url):
    with pytest.raises(SubscriptionError):
        add_feed(organization, url, actor=manager)

    assert not FeedSubscription.objects.exists()


def test_add_feed_reads_webcal_as_https(organization, manager):
    feed = add_feed(organization, "webcal://example.org/a.ics", actor=manager)

    assert feed.url == "https://example.org/a.ics"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://example.org/termine.ics", "ical"),
        ("https://calendar.google.com/calendar/ical/x/public/basic.ics", "ical"),
        ("https://example.org/index.php?option=ical", "ical"),
        ("https://example.org/feed/", "rss"),
        ("https://example.org/events.rss", "rss"),
        ("https://example.org/atom.xml", "rss"),
        ("https://example.org/kalender", "ical"),
    ],
)
def test_guess_kind_from_the_url(url, kind):
    assert guess_kind(url) == kind


def test_add_feed_refuses_the_same_url_twice_per_organisation(organization, other_organization, coordinator):
    add_feed(organization, "https://example.org/a.ics", actor=coordinator)

    with pytest.raises(SubscriptionError):
        add_feed(organization, "https://example.org/a.ics", actor=coordinator)
    add_feed(other_organization, "https://example.org/a.ics", actor=coordinator)

    assert FeedSubscription.objects.count() == 2


def test_add_feed_refuses_an_unknown_kind(organization, manager):
    with pytest.raises(SubscriptionError):
        add_feed(organization, "https://example.org/a.ics", actor=manager, kind="json")


def test_remove_feed_deactivates_and_takes_upcoming_events_off(organization, manager):
    feed = add_feed(organization, "https://example.org/a.ics", actor=manager)
    now = timezone.now()
    upcoming = EventFactory(organizers=[organization], source="feed", feed=feed, source_uid="up")
    past = EventFactory(
        organizers=[organization],
        source="feed",
        feed=feed,
        source_uid="past",
        start=now - dt.timedelta(days=3),
        end=now - dt.timedelta(days=3, hours=-2),
    )
    entered = EventFactory(organizers=[organization])

    assert remove_feed(feed, actor=manager, now=now) == 1

    feed.refresh_from_db()
    assert feed.active is False
    assert Event.objects.get(pk=upcoming.pk).removed_at == now
    assert Event.objects.get(pk=past.pk).removed_at is None
    assert Event.objects.get(pk=entered.pk).removed_at is None
    entry = AuditLogEntry.objects.get(action="event.feed_removed")
    assert (entry.actor, entry.organization, entry.data["events_removed"]) == (manager, organization, 1)
    with pytest.raises(SubscriptionError):
        remove_feed(feed, actor=manager)


def test_remove_feed_refused_for_an_outsider(organization, outsider):
    feed = FeedSubscription.objects.create(organization=organization, url="https://example.org/a.ics")
    event = EventFactory(organizers=[organization], source="feed", feed=feed, source_uid="up")

    with pytest.raises(PermissionDenied):
        remove_feed(feed, actor=outsider)

    feed.refresh_from_db()
    assert feed.active is True
    assert Event.objects.get(pk=event.pk).removed_at is None
    assert not AuditLogEntry.objects.exists()


def test_subscribing_again_brings_the_events_back(organization, manager, feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    stamp = "%Y%m%dT%H%M%SZ"
    body = ICS % (start.strftime(stamp).encode(), (start + dt.timedelta(hours=1)).strftime(stamp).encode())
    feed_server.serve("/a.ics", body, etag='"v1"')
    feed = add_feed(organization, feed_server.url("/a.ics"), actor=manager)
    assert import_now(feed, actor=manager).created == 1
    remove_feed(feed, actor=manager)
    assert Event.objects.get(feed=feed).removed_at is not None

    again = add_feed(organization, feed_server.url("/a.ics"), actor=manager)
    result = import_now(again, actor=manager)

    assert again.pk == feed.pk
    assert (result.status, result.updated) == ("ok", 1)
    assert Event.objects.get(feed=feed).removed_at is None
    assert AuditLogEntry.objects.get(action="event.feed_added", data__reactivated=True).actor == manager


def test_import_now_refuses_outsiders_and_removed_feeds(organization, manager, outsider):
    feed = FeedSubscription.objects.create(organization=organization, url="https://example.org/a.ics")
    with pytest.raises(PermissionDenied):
        import_now(feed, actor=outsider)
    feed.active = False
    feed.save()
    with pytest.raises(SubscriptionError):
        import_now(feed, actor=manager)
    feed.refresh_from_db()
    assert feed.last_fetched_at is None


def test_feeds_managed_by_each_role(organization, other_organization, manager, coordinator, outsider):
    own = FeedSubscription.objects.create(organization=organization, url="https://example.org/a.ics")
    other = FeedSubscription.objects.create(organization=other_organization, url="https://example.org/b.ics")

    assert list(feeds_managed_by(manager)) == [own]
    assert set(feeds_managed_by(coordinator)) == {own, other}
    assert list(feeds_managed_by(outsider)) == []


def test_due_feeds_by_interval(organization, settings):
    settings.FEEDS_INTERVAL_MINUTES = 30
    now = timezone.now()

    def feed(path, **fields):
        return FeedSubscription.objects.create(
            organization=organization, url=f"https://x.org/{path}", **fields
        )

    never = feed("never")
    old = feed("old", last_fetched_at=now - dt.timedelta(minutes=30))
    feed("recent", last_fetched_at=now - dt.timedelta(minutes=29))
    feed("inactive", active=False)

    assert list(due_feeds(now)) == [never, old]  # the longest waiting first


def test_due_feeds_waits_twice_as_long_after_each_failure_in_a_row(organization, settings):
    settings.FEEDS_INTERVAL_MINUTES = 60
    settings.FEEDS_MAX_RETRY_MINUTES = 24 * 60
    now = timezone.now()

    def feed(path, minutes_ago, failures):
        return FeedSubscription.objects.create(
            organization=organization,
            url=f"https://x.org/{path}",
            last_fetched_at=now - dt.timedelta(minutes=minutes_ago),
            failures=failures,
        )

    once = feed("once-due", 120, 1)
    feed("once-waiting", 119, 1)
    thrice = feed("thrice-due", 480, 3)
    feed("thrice-waiting", 479, 3)
    often = feed("often-due", 24 * 60, 40)  # at most a day
    feed("often-waiting", 24 * 60 - 1, 40)

    assert set(due_feeds(now)) == {once, thrice, often}
    assert [retry_delay(n) for n in (0, 1, 2, 5, 6, 99)] == [
        dt.timedelta(hours=hours) for hours in (1, 2, 4, 24, 24, 24)
    ]
