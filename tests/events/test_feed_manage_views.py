"""Feeds in the manager area: every role against every view, the list's status column, the messages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.models import Event, FeedSubscription
from tests.factories import EventFactory, MembershipFactory, UserFactory

ROLES = ["anonymous", "outsider", "other_manager", "manager", "coordinator", "admin_user"]
ALLOWED = {"manager", "coordinator", "admin_user"}
# (URL name, needs the feed id, HTTP method)
VIEWS = [
    ("event-feeds", False, "get"),
    ("event-feeds", False, "post"),
    ("event-feed-import", True, "post"),
    ("event-feed-remove", True, "get"),
    ("event-feed-remove", True, "post"),
]


def ics(start: dt.datetime) -> bytes:
    stamp = "%Y%m%dT%H%M%SZ"
    end = start + dt.timedelta(hours=1)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:talk\r\n"
        f"DTSTART:{start.strftime(stamp)}\r\nDTEND:{end.strftime(stamp)}\r\n"
        "SUMMARY:Vortrag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.fixture(autouse=True)
def _loopback_feeds(settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feeds live on the loopback test server


@pytest.fixture
def other_manager(other_organization):
    user = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def feed(organization, feed_server):
    feed_server.serve("/cal.ics", ics(timezone.now().replace(microsecond=0) + dt.timedelta(days=3)))
    subscription = FeedSubscription.objects.create(organization=organization, url=feed_server.url("/cal.ics"))
    EventFactory(organizers=[organization], source="feed", feed=subscription, source_uid="alt")
    return subscription


def state():
    return (
        list(FeedSubscription.objects.order_by("pk").values()),
        list(Event.objects.order_by("pk").values()),
        AuditLogEntry.objects.count(),
    )


def view_id(view):
    name, _needs_feed, method = view
    return f"{method.upper()} {name}"


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_feeds(client, request, organization, feed, other_manager, role, view):
    name, needs_feed, method = view
    url = reverse(f"manage:{name}", kwargs={"pk": feed.pk} if needs_feed else {})
    data = {"organization": organization.pk, "url": "https://example.org/neu.ics", "kind": ""}
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = state()

    response = getattr(client, method)(url, data if name == "event-feeds" and method == "post" else {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert state() == before
    elif role == "outsider" or (role == "other_manager" and needs_feed):
        assert response.status_code == 403
        assert "core/403.html" in [template.name for template in response.templates]
        assert state() == before
    elif role == "other_manager" and method == "get":  # B's manager sees the page, but not A's feed
        assert response.status_code == 200
        assert feed.url not in response.content.decode()
        assert state() == before
    elif role == "other_manager":  # subscribing for A: A is not a choice for B
        assert response.status_code == 200
        assert "organization" in response.context["form"].errors
        assert state() == before
    elif method == "get":
        assert response.status_code == 200
        assert state() == before
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("manage:event-feeds")
        assert state() != before
        entry = AuditLogEntry.objects.latest("id")
        assert entry.organization == organization
        assert entry.actor == request.getfixturevalue(role)


def test_feed_list_shows_status_reason_time_and_event_count(
    client, manager, organization, other_organization
):
    fetched = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)
    ok = FeedSubscription.objects.create(
        organization=organization,
        url="https://example.org/gut.ics",
        last_status="ok",
        last_fetched_at=fetched,
    )
    FeedSubscription.objects.create(
        organization=organization,
        url="https://example.org/kaputt.ics",
        last_status="failing",
        last_error="Der Server antwortete mit 404.",
        last_fetched_at=fetched,
    )
    FeedSubscription.objects.create(organization=organization, url="https://example.org/neu.ics")
    FeedSubscription.objects.create(
        organization=organization, url="https://example.org/weg.ics", active=False
    )
    FeedSubscription.objects.create(organization=other_organization, url="https://example.org/fremd.ics")
    for uid in ("a", "b"):
        EventFactory(organizers=[organization], source="feed", feed=ok, source_uid=uid)
    client.force_login(manager)

    response = client.get(reverse("manage:event-feeds"))

    html = response.content.decode()
    rows = {feed.url: feed for feed in response.context["feeds"]}
    assert list(rows) == [
        "https://example.org/gut.ics",
        "https://example.org/kaputt.ics",
        "https://example.org/neu.ics",
    ]
    assert rows["https://example.org/gut.ics"].event_count == 2
    assert "Der Server antwortete mit 404." in html
    assert "26.11.2026 09:30" in html  # Berlin time
    assert "fremd.ics" not in html and "weg.ics" not in html


def test_feed_list_query_count_does_not_grow_with_feeds(client, coordinator, organization):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(coordinator)

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("manage:event-feeds")).status_code == 200
        return len(captured)

    FeedSubscription.objects.create(organization=organization, url="https://example.org/1.ics")
    one = count_queries()
    for number in range(2, 6):
        FeedSubscription.objects.create(organization=organization, url=f"https://example.org/{number}.ics")

    assert count_queries() == one


def test_feed_add_shows_the_services_refusal(client, manager, organization):
    client.force_login(manager)

    response = client.post(
        reverse("manage:event-feeds"), {"organization": organization.pk, "url": "ftp://example.org/a.ics"}
    )

    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert not FeedSubscription.objects.exists()


def test_feed_import_now_queues_the_import_and_says_so(
    client, manager, feed, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("manage:event-feed-import", args=[feed.pk]), follow=True)

    messages = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert messages == [
        (
            "success",
            f"Der Import von {feed.url} ist eingereiht; sein Ergebnis erscheint gleich in der Liste unten.",
        )
    ]
    assert len(callbacks) == 1
    # Nothing is imported inside the request; the task does it after the commit.
    assert not Event.objects.filter(feed=feed, source_uid="talk").exists()
    entry = AuditLogEntry.objects.get(action="event.feed_import_queued")
    assert (entry.actor, entry.organization) == (manager, feed.organization)

    callbacks[0]()  # the immediate task backend of the tests runs the import here

    assert Event.objects.filter(feed=feed, source_uid="talk", removed_at__isnull=True).exists()
    assert Event.objects.get(feed=feed, source_uid="alt").removed_at is not None
    feed.refresh_from_db()
    assert feed.last_status == "ok"


def test_feed_import_now_failing_feed_shows_in_its_status(
    client, manager, organization, django_capture_on_commit_callbacks
):
    feed = FeedSubscription.objects.create(organization=organization, url="http://127.0.0.1:9/fehlt.ics")
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("manage:event-feed-import", args=[feed.pk]))
    response = client.get(reverse("manage:event-feeds"))

    feed.refresh_from_db()
    assert feed.last_status == "failing"
    assert feed.last_error in response.content.decode()


def test_import_task_skips_a_removed_feed(feed):
    from crosscluster.events.tasks import import_feed_now

    feed.active = False
    feed.save()

    assert import_feed_now.call(feed.pk) == "gone"
    assert import_feed_now.call(feed.pk + 100) == "gone"
    assert not Event.objects.filter(feed=feed, source_uid="talk").exists()


def test_feed_import_refuses_get(client, manager, feed):
    client.force_login(manager)

    assert client.get(reverse("manage:event-feed-import", args=[feed.pk])).status_code == 405


def test_feed_views_answer_404_for_unknown_and_removed_feeds(client, manager, feed):
    client.force_login(manager)
    feed.active = False
    feed.save()

    for name in ("event-feed-import", "event-feed-remove"):
        assert client.post(reverse(f"manage:{name}", args=[feed.pk])).status_code == 404
        assert client.post(reverse(f"manage:{name}", args=[feed.pk + 100])).status_code == 404


def test_event_list_links_to_the_feeds(client, manager):
    client.force_login(manager)

    assert reverse("manage:event-feeds") in client.get(reverse("manage:events")).content.decode()


def test_feed_list_shows_the_problems_of_the_last_import_and_the_next_try(client, manager, organization):
    fetched = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)
    problem = "UID bad@example.org (“Stammtisch”), line 16: Skipped: The line “x” cannot be read."
    FeedSubscription.objects.create(
        organization=organization,
        url="https://example.org/teils.ics",
        last_status="ok",
        last_fetched_at=fetched,
        last_warnings=[problem],
    )
    FeedSubscription.objects.create(
        organization=organization,
        url="https://example.org/kaputt.ics",
        last_status="failing",
        last_error="Der Server antwortete mit 404.",
        last_fetched_at=fetched,
        failures=2,  # the interval (60 minutes), doubled twice
    )
    client.force_login(manager)

    html = client.get(reverse("manage:event-feeds")).content.decode()

    assert "Mit Problemen importiert" in html
    assert "1 Problem beim letzten Import" in html
    assert (
        "<li>UID bad@example.org (“Stammtisch”), line 16: Skipped: The line “x” cannot be read.</li>" in html
    )
    assert "Nächster Versuch:" in html
    assert "26.11.2026 13:30" in html  # 09:30 Berlin plus four hours


def test_events_page_names_the_managers_feeds_that_had_problems(
    client, manager, organization, other_organization
):
    def feed(org, url, **fields):
        return FeedSubscription.objects.create(organization=org, url=url, **fields)

    feed(organization, "https://example.org/gut.ics", last_status="ok")
    feed(organization, "https://example.org/teils.ics", last_status="ok", last_warnings=["a", "b"])
    feed(organization, "https://example.org/kaputt.ics", last_status="failing", last_error="404")
    feed(organization, "https://example.org/ruht.ics", last_status="failing", active=False)
    feed(other_organization, "https://example.org/fremd.ics", last_status="failing")
    client.force_login(manager)

    html = " ".join(client.get(reverse("manage:events")).content.decode().split())

    assert "2 abonnierte Feeds hatten beim letzten Import Probleme" in html
    assert "kaputt.ics</span> (PolymerNetz Thüringen): konnte nicht importiert werden" in html
    assert "teils.ics</span> (PolymerNetz Thüringen): 2 Probleme beim letzten Import" in html
    for quiet in ("gut.ics", "ruht.ics", "fremd.ics"):
        assert quiet not in html
    assert f'href="{reverse("manage:event-feeds")}"' in html


def test_events_page_says_nothing_of_feeds_without_problems(client, manager, organization):
    FeedSubscription.objects.create(
        organization=organization, url="https://example.org/gut.ics", last_status="ok"
    )
    client.force_login(manager)

    assert "Probleme" not in client.get(reverse("manage:events")).content.decode()
