"""Operating feed subscriptions: adding, removing, importing now, and which ones are due.

Managers subscribe feeds of the organisations they manage; the coordination office subscribes any. The
system (`actor=None`: management commands) may do everything.

Removing a subscription deactivates it rather than deleting it: its history, validators and audit trail stay,
and the events it brought stay in the database too. Events that are not over yet get `removed_at` (exactly as
if they had vanished from the feed), so they leave the public calendar at once; past events stay as a record.
Subscribing the same URL again reactivates the subscription, and the next import clears `removed_at` of every
event that is still in the feed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crosscluster.core.services import log_action
from crosscluster.core.signals import announce, events_changed
from crosscluster.core.types import Actor
from crosscluster.directory.access import can_manage, organizations_managed_by
from crosscluster.directory.models import Organization
from crosscluster.events.dedup.grouping import refresh_feed_duplicates
from crosscluster.events.models import Event, FeedSubscription

from .importing import ImportResult, import_feed

RSS_HINTS = ("rss", "atom", "feed", ".xml")


class SubscriptionError(Exception):
    """A subscription change the calendar refuses; the message is translated and meant for the user."""


def feeds_managed_by(user: Any) -> QuerySet[FeedSubscription]:
    """The choke point for subscriptions: those of the organisations the user manages (coordinators: all)."""
    return FeedSubscription.objects.filter(organization__in=organizations_managed_by(user))


def feeds_with_problems(user: Any) -> QuerySet[FeedSubscription]:
    """The user's active feeds whose last import failed or skipped something: the events page names them,
    so a manager learns of a broken calendar where they work, not only on the feeds page."""
    failing = Q(last_status=FeedSubscription.Status.FAILING)
    return feeds_managed_by(user).filter(active=True).filter(failing | ~Q(last_warnings=[])).order_by("url")


def with_event_counts(feeds: QuerySet[FeedSubscription]) -> QuerySet[FeedSubscription]:
    """Annotate `event_count`: the feed's events still in it (not marked removed)."""
    return feeds.annotate(event_count=Count("events", filter=Q(events__removed_at__isnull=True)))


def _ensure_can_manage(actor: Actor, organization: Organization) -> None:
    if actor is not None and not can_manage(actor, organization):
        raise PermissionDenied(_("You do not manage this organisation."))


def normalize_url(url: str) -> str:
    """The URL to fetch: trimmed, `webcal://` (calendar apps' scheme) read as https; only http(s) pass."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    elif scheme not in ("http", "https"):
        raise SubscriptionError(_("A feed URL must start with http:// or https://."))
    url = urlunsplit(parts._replace(scheme=scheme))
    if len(url) > FeedSubscription._meta.get_field("url").max_length:
        raise SubscriptionError(_("The feed URL is too long."))
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise SubscriptionError(_("“%(url)s” is not a valid URL.") % {"url": url}) from exc
    return url


def guess_kind(url: str) -> str:
    """iCalendar unless the URL looks like an RSS or Atom feed (`.rss`, `/feed/`, `atom.xml` …)."""
    path = urlsplit(url).path.lower()
    query = urlsplit(url).query.lower()
    if path.endswith((".ics", ".ical", ".ifb")) or "ical" in query:
        return FeedSubscription.Kind.ICAL
    if any(hint in path for hint in RSS_HINTS) or "rss" in query or "feed" in query:
        return FeedSubscription.Kind.RSS
    return FeedSubscription.Kind.ICAL


@transaction.atomic
def add_feed(
    organization: Organization, url: str, *, actor: Actor, kind: str | None = None
) -> FeedSubscription:
    """Subscribe `url` for `organization`; a removed subscription of the same URL is reactivated.

    The feed is not fetched here (the next `import-feeds` run or "import now" does that), so adding never
    waits for a slow server. `kind=None` guesses iCalendar or RSS from the URL.
    """
    _ensure_can_manage(actor, organization)
    url = normalize_url(url)
    if kind is None:
        kind = guess_kind(url)
    elif kind not in FeedSubscription.Kind.values:
        raise SubscriptionError(_("Unknown feed kind “%(kind)s”.") % {"kind": kind})
    existing = FeedSubscription.objects.select_for_update().filter(organization=organization, url=url).first()
    if existing is not None and existing.active:
        raise SubscriptionError(_("This organisation already subscribes this feed."))
    if existing is not None:
        subscription = existing
        subscription.active = True
        subscription.kind = kind
        # Fetch in full next time: the events marked removed must come back even if the feed is unchanged.
        subscription.etag = subscription.last_modified = ""
        subscription.last_fetched_at = None
        subscription.save(update_fields=["active", "kind", "etag", "last_modified", "last_fetched_at"])
    else:
        subscription = FeedSubscription.objects.create(organization=organization, url=url, kind=kind)
    log_action(
        "event.feed_added",
        actor=actor,
        obj=subscription,
        organization=organization,
        data={"url": url, "kind": kind, "reactivated": existing is not None},
    )
    return subscription


@transaction.atomic
def remove_feed(subscription: FeedSubscription, *, actor: Actor, now: dt.datetime | None = None) -> int:
    """Deactivate the subscription and take its events that are not over yet off the calendar.

    Returns how many events were marked removed. Nothing is deleted (see the module docstring).
    """
    _ensure_can_manage(actor, subscription.organization)
    now = now or timezone.now()
    subscription = FeedSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not subscription.active:
        raise SubscriptionError(_("This feed has already been removed."))
    subscription.active = False
    subscription.save(update_fields=["active"])
    removed = Event.objects.filter(feed=subscription, removed_at__isnull=True, end__gt=now).update(
        removed_at=now, updated_at=now
    )
    # Duplicates of these events from other feeds form their groups anew, and stay listed.
    refresh_feed_duplicates(subscription, since=now)
    announce(
        events_changed,
        Event,
        Event.objects.filter(feed=subscription, end__gt=now).values_list("pk", flat=True),
    )
    log_action(
        "event.feed_removed",
        actor=actor,
        obj=subscription,
        organization=subscription.organization,
        data={"url": subscription.url, "events_removed": removed},
    )
    return removed


def import_now(subscription: FeedSubscription, *, actor: Actor) -> ImportResult:
    """Import one subscription right away, by the same rules as the schedule (for commands and tests)."""
    _ensure_can_manage(actor, subscription.organization)
    if not subscription.active:
        raise SubscriptionError(_("This feed has been removed; subscribe it again to import it."))
    return import_feed(subscription)


@transaction.atomic
def queue_import(subscription: FeedSubscription, *, actor: Actor) -> None:
    """The manager's "import now": the import runs as a background task (events.tasks) once this commits,
    so a slow or large feed never holds up the request. The result shows in the feed's status."""
    _ensure_can_manage(actor, subscription.organization)
    if not subscription.active:
        raise SubscriptionError(_("This feed has been removed; subscribe it again to import it."))
    log_action(
        "event.feed_import_queued",
        actor=actor,
        obj=subscription,
        organization=subscription.organization,
        data={"url": subscription.url},
    )
    transaction.on_commit(lambda: _enqueue_import(subscription.pk))


def _enqueue_import(subscription_id: int) -> None:
    from crosscluster.events.tasks import import_feed_now

    import_feed_now.enqueue(subscription_id)


def retry_delay(failures: int) -> dt.timedelta:
    """How long after its last fetch a feed is due again: `FEEDS_INTERVAL_MINUTES`, doubled for each failure
    in a row (a server that is down is not asked every hour for days), at most `FEEDS_MAX_RETRY_MINUTES`."""
    interval = settings.FEEDS_INTERVAL_MINUTES
    longest = max(settings.FEEDS_MAX_RETRY_MINUTES, interval)
    return dt.timedelta(minutes=min(interval * 2 ** min(failures, 30), longest))


def next_fetch_at(subscription: FeedSubscription) -> dt.datetime | None:
    """When the schedule fetches the feed next (None: at the next run, it has never been fetched)."""
    if subscription.last_fetched_at is None:
        return None
    return subscription.last_fetched_at + retry_delay(subscription.failures)


def due_feeds(now: dt.datetime | None = None) -> QuerySet[FeedSubscription]:
    """Active subscriptions never fetched, or fetched at least `retry_delay(failures)` ago."""
    now = now or timezone.now()
    due = Q(last_fetched_at__isnull=True)
    failures = 0
    # One condition per number of failures until the delay reaches its longest; more failures wait as long.
    while retry_delay(failures) < retry_delay(failures + 1):
        due |= Q(failures=failures, last_fetched_at__lte=now - retry_delay(failures))
        failures += 1
    due |= Q(failures__gte=failures, last_fetched_at__lte=now - retry_delay(failures))
    return (
        FeedSubscription.objects.filter(active=True)
        .filter(due)
        .select_related("organization")
        .order_by(F("last_fetched_at").asc(nulls_first=True), "pk")
    )


class _DryRun(Exception):
    """Raised to roll back a dry-run import."""


def dry_run_import(subscription: FeedSubscription) -> ImportResult:
    """What `import_feed` would do, keeping none of it: the import runs in a transaction rolled back."""
    result: ImportResult | None = None
    try:
        with transaction.atomic():
            result = import_feed(subscription)
            raise _DryRun
    except _DryRun:
        pass
    subscription.refresh_from_db()
    assert result is not None
    return result
