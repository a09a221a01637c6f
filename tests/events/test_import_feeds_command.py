"""`crosscluster add-feed` and `crosscluster import-feeds`: due feeds, isolation, the lock, the dry run."""

import datetime as dt
import importlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry, PeriodicLock
from crosscluster.events.dedup import similarity
from crosscluster.events.feeds import importing
from crosscluster.events.models import Event, FeedSubscription

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    b"BEGIN:VEVENT\r\nUID:talk\r\nDTSTART:20991201T100000Z\r\nDTEND:20991201T110000Z\r\n"
    b"SUMMARY:Vortrag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(autouse=True)
def _loopback_feeds(settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feeds live on the loopback test server
    settings.FEEDS_INTERVAL_MINUTES = 60


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def subscribe(organization, url, **fields):
    return FeedSubscription.objects.create(organization=organization, url=url, **fields)


@pytest.fixture
def horizon(monkeypatch):
    """A horizon wide enough for the far-future test event, whatever today is."""
    monkeypatch.setattr(importing, "HORIZON_AFTER", dt.timedelta(days=365 * 100))


def test_add_feed_subscribes_the_organisation(organization):
    output = run("add-feed", "polymer-netz", "webcal://kalender.example.org/termine.ics")

    feed = FeedSubscription.objects.get()
    assert (feed.organization, feed.url, feed.kind, feed.active) == (
        organization,
        "https://kalender.example.org/termine.ics",
        "ical",
        True,
    )
    assert f"feed {feed.pk} (ical)" in output
    entry = AuditLogEntry.objects.get(action="event.feed_added")
    assert (entry.actor, entry.organization, entry.object_id) == (None, organization, str(feed.pk))


def test_add_feed_takes_the_kind_from_the_option(organization):
    run("add-feed", "polymer-netz", "https://example.org/kalender", "--kind", "rss")

    assert FeedSubscription.objects.get().kind == "rss"


@pytest.mark.parametrize(
    ("slug", "url", "message"),
    [
        ("unbekannt", "https://example.org/a.ics", "no organisation"),
        ("polymer-netz", "ftp://example.org/a.ics", "http"),
        ("polymer-netz", "https://example.org/schon.ics", "already subscribes|bereits"),
    ],
)
def test_add_feed_refuses_without_a_change(organization, slug, url, message):
    subscribe(organization, "https://example.org/schon.ics")

    with pytest.raises(CommandError, match=message):
        run("add-feed", slug, url)

    assert FeedSubscription.objects.count() == 1
    assert not AuditLogEntry.objects.filter(action="event.feed_added").exists()


def test_import_feeds_imports_only_due_feeds(organization, feed_server, horizon):
    feed_server.serve("/a.ics", ICS)
    feed_server.serve("/b.ics", ICS)
    now = timezone.now()
    never = subscribe(organization, feed_server.url("/a.ics"))
    stale = subscribe(organization, feed_server.url("/b.ics"), last_fetched_at=now - dt.timedelta(minutes=61))
    fresh = subscribe(organization, feed_server.url("/c.ics"), last_fetched_at=now - dt.timedelta(minutes=59))
    inactive = subscribe(organization, feed_server.url("/d.ics"), active=False)
    similarity.title_similarity("Wasserstoff-Forum", "Wasserstoffforum")  # titles read earlier in the process

    output = run("import-feeds")

    assert sorted(request["path"] for request in feed_server.requests) == ["/a.ics", "/b.ics"]
    assert Event.objects.filter(feed=never).count() == Event.objects.filter(feed=stale).count() == 1
    assert not Event.objects.filter(feed__in=[fresh, inactive]).exists()
    assert "2 feed(s): 2 imported, 0 unchanged, 0 failing, 0 error(s)" in output
    assert PeriodicLock.objects.get(name="import-feeds").locked_until is None
    assert (
        similarity.analyse_title.cache_info().currsize == 0
    )  # the run's titles are not kept in the scheduler


def test_import_feeds_one_failing_feed_does_not_stop_the_others(organization, feed_server, horizon):
    feed_server.serve("/gut.ics", ICS)
    missing = subscribe(organization, feed_server.url("/fehlt.ics"))
    good = subscribe(organization, feed_server.url("/gut.ics"))

    output = run("import-feeds")

    missing.refresh_from_db()
    assert (missing.last_status, bool(missing.last_error)) == ("failing", True)
    assert Event.objects.filter(feed=good).count() == 1
    assert "1 imported, 0 unchanged, 1 failing, 0 error(s)" in output


def test_import_feeds_an_unexpected_error_is_reported_after_the_other_feeds(
    organization, feed_server, horizon, monkeypatch
):
    feed_server.serve("/gut.ics", ICS)
    broken = subscribe(organization, feed_server.url("/kaputt.ics"))
    good = subscribe(organization, feed_server.url("/gut.ics"))
    real_import = importing.import_feed

    def import_feed(subscription, **kwargs):
        if subscription.pk == broken.pk:
            raise RuntimeError("boom")
        return real_import(subscription, **kwargs)

    from importlib import import_module

    command_module = import_module("crosscluster.events.management.commands.import-feeds")
    monkeypatch.setattr(command_module, "import_feed", import_feed)

    with pytest.raises(CommandError, match="1 feed"):
        run("import-feeds")

    assert Event.objects.filter(feed=good).count() == 1
    assert PeriodicLock.objects.get(name="import-feeds").locked_until is None


def test_import_feeds_an_error_in_reading_a_feed_marks_it_failing_and_fails_the_run(
    organization, feed_server, horizon, monkeypatch
):
    """Our own bug in reading one feed: its managers see it failing, the scheduler sees the error."""
    feed_server.serve("/kaputt.ics", ICS)
    feed_server.serve("/gut.ics", ICS.replace(b"UID:", b"UID:gut-"))
    broken = subscribe(organization, feed_server.url("/kaputt.ics"))
    good = subscribe(organization, feed_server.url("/gut.ics"))
    real_parse = importing.parse_ical

    def parse_ical(data, **kwargs):
        if b"gut-" not in data:
            raise TypeError("can't compare offset-naive and offset-aware datetimes")
        return real_parse(data, **kwargs)

    monkeypatch.setattr(importing, "parse_ical", parse_ical)

    with pytest.raises(CommandError, match="1 feed"):
        run("import-feeds")

    broken.refresh_from_db()
    assert (broken.last_status, broken.failures, broken.last_fetched_at is not None) == ("failing", 1, True)
    assert Event.objects.filter(feed=good).count() == 1


def test_import_feeds_dry_run_reports_and_keeps_nothing(organization, feed_server, horizon):
    feed_server.serve("/a.ics", ICS, etag='"v1"')
    feed = subscribe(organization, feed_server.url("/a.ics"))

    output = run("import-feeds", "--dry-run")

    assert "import-feeds: dry run: feed" in output
    assert "1 created, 0 updated, 0 unchanged, 0 removed" in output
    feed.refresh_from_db()
    assert (feed.last_fetched_at, feed.etag, feed.last_status) == (None, "", "")
    assert not Event.objects.exists()
    assert not AuditLogEntry.objects.exists()
    assert not PeriodicLock.objects.filter(name="import-feeds", last_run_at__isnull=False).exists()


def test_import_feeds_one_feed_by_id_even_if_not_due(organization, feed_server, horizon):
    feed_server.serve("/a.ics", ICS)
    feed = subscribe(organization, feed_server.url("/a.ics"), last_fetched_at=timezone.now())
    other = subscribe(organization, feed_server.url("/b.ics"))

    run("import-feeds", "--feed", str(feed.pk))

    assert [request["path"] for request in feed_server.requests] == ["/a.ics"]
    assert Event.objects.filter(feed=feed).count() == 1
    other.refresh_from_db()
    assert other.last_fetched_at is None


@pytest.mark.parametrize("active", [False, None])
def test_import_feeds_refuses_an_unknown_or_removed_feed(organization, active):
    feed = subscribe(organization, "https://example.org/a.ics", active=bool(active))
    pk = feed.pk if active is False else feed.pk + 100

    with pytest.raises(CommandError):
        run("import-feeds", "--feed", str(pk))


def test_import_feeds_skips_while_another_run_holds_the_lock(organization, feed_server):
    PeriodicLock.objects.create(name="import-feeds", locked_until=timezone.now() + dt.timedelta(minutes=5))
    subscribe(organization, feed_server.url("/a.ics"))

    output = run("import-feeds")

    assert "another run is active; skipped" in output
    assert feed_server.requests == []


def test_run_periodic_runs_the_feed_import(organization, feed_server, horizon):
    feed_server.serve("/a.ics", ICS)
    feed = subscribe(organization, feed_server.url("/a.ics"))

    output = run("run-periodic")

    assert "import-feeds: 1 feed(s)" in output
    assert Event.objects.filter(feed=feed).count() == 1


def test_import_feeds_lock_of_a_killed_run_expires_after_the_runs_own_deadline(
    organization, feed_server, horizon, settings, monkeypatch, time_machine
):
    """The lock a killed run leaves behind lasts as long as a run can (FEEDS_RUN_SECONDS plus one feed's
    fetch deadline and twice its processing time: 30 + 5 + 2 * 10 s), not 30 minutes."""
    settings.FEEDS_TIMEOUT_SECONDS = 5
    settings.FEEDS_MAX_PROCESSING_SECONDS = 10
    settings.FEEDS_RUN_SECONDS = 30
    start = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    feed_server.serve("/a.ics", ICS)
    feed = subscribe(organization, feed_server.url("/a.ics"))
    held = []
    real_import = importing.import_feed

    def import_and_note_the_lock(subscription, **kwargs):
        held.append(PeriodicLock.objects.get(name="import-feeds").locked_until)
        return real_import(subscription, **kwargs)

    command = importlib.import_module("crosscluster.events.management.commands.import-feeds")
    monkeypatch.setattr(command, "import_feed", import_and_note_the_lock)
    run("import-feeds")
    assert held == [start + dt.timedelta(seconds=55)]

    # As if the run had been killed while importing: its lock is left as it was during the run.
    PeriodicLock.objects.filter(name="import-feeds").update(locked_until=held[0])
    FeedSubscription.objects.filter(pk=feed.pk).update(last_fetched_at=None)
    time_machine.move_to(start + dt.timedelta(seconds=54), tick=False)
    assert "another run is active; skipped" in run("import-feeds")
    time_machine.move_to(start + dt.timedelta(seconds=56), tick=False)
    assert "import-feeds: 1 feed(s): 1 imported" in run("import-feeds")


def test_import_feeds_starts_no_feed_after_the_runs_time(organization, feed_server, horizon, settings):
    """With FEEDS_RUN_SECONDS used up, the rest stay due for the next run (the first feed always runs)."""
    settings.FEEDS_RUN_SECONDS = 0
    for name in ("a", "b", "c"):
        feed_server.serve(f"/{name}.ics", ICS)
        subscribe(organization, feed_server.url(f"/{name}.ics"))

    output = run("import-feeds")

    assert "FEEDS_RUN_SECONDS (0) used up; 2 feed(s) left for the next run" in output
    assert "import-feeds: 1 feed(s): 1 imported" in output
    assert len(feed_server.requests) == 1
    run("import-feeds")
    run("import-feeds")
    assert len(feed_server.requests) == 3
