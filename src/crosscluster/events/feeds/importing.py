"""Bringing a subscribed feed into the calendar: fetch (`fetch`), parse (`ical`, `rss`), store (`sync`).

Each occurrence is one `Event`, keyed by (feed, source_uid) where source_uid is the feed's UID, plus `#` and
the occurrence's RECURRENCE-ID for occurrences of a series. Occurrences are stored expanded, so the stored
event carries no RRULE of its own (the calendar must not expand it a second time).

A failed fetch or an unreadable feed changes no event: the subscription is marked failing with the reason
(and waits longer before the next try, see `subscriptions.due_feeds`), and the events stay as they were
until the feed can be read again. Not even a bug of ours in reading a feed escapes: it is logged, and the
subscription is marked failing like any unreadable feed. An event the parser had to skip keeps its stored
occurrences; the warnings of the last import are kept on the subscription for its managers.

A feed that asks for too much work (`limits`: events, occurrences of series, processing time) fails the same
way, whether that shows while reading or while storing: the storing runs in one transaction, rolled back as
a whole, so the events stay as the last complete import left them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crosscluster.core.sanitize import clean_text
from crosscluster.core.services import log_action
from crosscluster.events.errors import EventError
from crosscluster.events.models import Event, FeedSubscription

from .errors import FeedError
from .fetch import FetchResult, fetch_feed
from .ical import FeedEvent, ParsedFeed, parse_ical
from .limits import FeedLimits
from .rss import parse_rss
from .sync import clean_feed_fields, sync_feed_events

# Occurrences from a day ago to a year ahead are imported; older ones are left as they are.
HORIZON_BEFORE = dt.timedelta(days=1)
HORIZON_AFTER = dt.timedelta(days=365)
MAX_SOURCE_UID = 500
MAX_WARNINGS = 50  # kept on the subscription and in the audit entry

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    status: Literal["ok", "not_modified", "failing"]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    # The import failed on an error of ours, not of the feed (logged; `import-feeds` exits with an error).
    crashed: bool = False


def source_uid(feed_event: FeedEvent) -> str:
    """The key of an occurrence within its feed; over-long UIDs are shortened with a hash to stay unique."""
    return _source_key(feed_event.uid, feed_event.recurrence_id)


def _storable_uid(uid: str) -> str:
    """The UID without what text columns refuse (PostgreSQL: NUL) or XML forbids; a hash of the original
    keeps two UIDs that differ only in such characters apart."""
    cleaned = clean_text(uid)
    if cleaned == uid:
        return uid
    return f"{cleaned}~{hashlib.sha256(uid.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def _source_key(uid: str, recurrence_id: str = "") -> str:
    key = _storable_uid(uid) + (f"#{recurrence_id}" if recurrence_id else "")
    if len(key) > MAX_SOURCE_UID:
        key = key[: MAX_SOURCE_UID - 33] + "#" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return key


def _values(feed_event: FeedEvent) -> dict[str, object]:
    """The event's fields for `sync.clean_feed_fields`, which cleans the description the way every
    other path does, so that comparing with the stored event finds an unchanged event unchanged."""
    status = feed_event.status if feed_event.status in Event.Status.values else Event.Status.SCHEDULED
    return {
        "title": feed_event.title[:200],
        "description": feed_event.description or "",
        "start": feed_event.start,
        "end": feed_event.end,
        "all_day": feed_event.all_day,
        "venue": feed_event.location[:200],
        "status": status,
    }


def detect_kind(body: bytes, kind: str) -> str:
    """iCalendar if the body starts with BEGIN:VCALENDAR, RSS/Atom if it starts with XML; else `kind`."""
    start = body[:200].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if start.startswith(b"BEGIN:VCALENDAR"):
        return FeedSubscription.Kind.ICAL
    if start.startswith((b"<?XML", b"<RSS", b"<FEED", b"<RDF")):
        return FeedSubscription.Kind.RSS
    return kind


def _fail(
    subscription: FeedSubscription, message: str, now: dt.datetime, *, crashed: bool = False
) -> ImportResult:
    """Mark the subscription failing; one more failure in a row makes the next try wait longer."""
    subscription.last_status = FeedSubscription.Status.FAILING
    subscription.last_error = message
    subscription.last_warnings = []
    subscription.last_fetched_at = now
    subscription.failures = F("failures") + 1
    subscription.save(
        update_fields=["last_status", "last_error", "last_warnings", "last_fetched_at", "failures"]
    )
    subscription.refresh_from_db(fields=["failures"])
    log_action(
        "event.feed_failed",
        obj=subscription,
        organization=subscription.organization,
        data={"error": message, "failures": subscription.failures},
    )
    return ImportResult(status="failing", error=message, crashed=crashed)


def _crashed(subscription: FeedSubscription, now: dt.datetime, step: str) -> ImportResult:
    """An error of ours while importing the feed: logged with its traceback, and the feed marked failing."""
    logger.exception("feed %s (%s): %s failed", subscription.pk, subscription.url, step)
    message = _(
        "The feed could not be imported because of an error on our side; the operators can see it in the "
        "log. The next try follows automatically."
    )
    with transaction.atomic():
        return _fail(subscription, message, now, crashed=True)


def _kept_keys(subscription: FeedSubscription, uids: set[str]) -> set[str]:
    """The stored keys of the feed's events with these UIDs (a single event or occurrences of a series)."""
    if not uids:
        return set()
    condition = Q()
    for uid in uids:
        # A long key keeps only its first characters in the clear (`_source_key`); they match all the same.
        prefix = (_storable_uid(uid) + "#")[: MAX_SOURCE_UID - 33]
        condition |= Q(source_uid=_source_key(uid)) | Q(source_uid__startswith=prefix)
    return set(Event.objects.filter(condition, feed=subscription).values_list("source_uid", flat=True))


def import_feed(subscription: FeedSubscription, *, now: dt.datetime | None = None) -> ImportResult:
    """Fetch the subscription's feed and bring its events up to date; never raises for a bad feed."""
    now = now or timezone.now()
    horizon_start, horizon_end = now - HORIZON_BEFORE, now + HORIZON_AFTER
    try:
        fetched = fetch_feed(
            subscription.url, etag=subscription.etag or None, last_modified=subscription.last_modified or None
        )
        if fetched.status == "not_modified":
            # The feed is as it was when last read: its warnings (`last_warnings`) still hold.
            subscription.last_status = FeedSubscription.Status.OK
            subscription.last_error = ""
            subscription.last_fetched_at = now
            subscription.failures = 0
            subscription.save(update_fields=["last_status", "last_error", "last_fetched_at", "failures"])
            return ImportResult(status="not_modified")
        # The caps count from here: the fetch has its own deadline (FEEDS_TIMEOUT_SECONDS).
        limits = FeedLimits.from_settings()
        kind = detect_kind(fetched.body, subscription.kind)
        if kind != subscription.kind:
            # The kind was guessed from the URL when the feed was added; the content settles it.
            subscription.kind = kind
            subscription.save(update_fields=["kind"])
        if kind == FeedSubscription.Kind.RSS:
            parsed = parse_rss(fetched.body)
        else:
            parsed = parse_ical(
                fetched.body, horizon_start=horizon_start, horizon_end=horizon_end, limits=limits
            )
        limits.check_time()
        wanted, unreadable, warnings = _wanted(subscription, parsed, horizon_start, horizon_end, limits)
    except FeedError as exc:
        with transaction.atomic():
            return _fail(subscription, exc.message, now)
    except Exception:
        return _crashed(subscription, now, "reading")

    result = ImportResult(status="ok", warnings=warnings)
    try:
        with transaction.atomic():
            # An event the parser skipped is still in the feed: its stored occurrences stay.
            unreadable |= _kept_keys(subscription, parsed.skipped_uids)
            synced = sync_feed_events(
                subscription,
                wanted,
                keep=unreadable,
                remove_ending_after=horizon_start,
                now=now,
                check=limits.check_time,
            )
            limits.check_time()
            result.created, result.updated = synced.created, synced.updated
            result.unchanged, result.removed = synced.unchanged, synced.removed
            _succeeded(subscription, fetched, result, now)
    except FeedError as exc:  # a cap (limits) while storing: everything of this import is rolled back
        subscription.refresh_from_db()
        with transaction.atomic():
            return _fail(subscription, exc.message, now)
    except Exception:
        subscription.refresh_from_db()  # the fields set above were rolled back with the transaction
        return _crashed(subscription, now, "storing")
    return result


def _wanted(
    subscription: FeedSubscription,
    parsed: ParsedFeed,
    horizon_start: dt.datetime,
    horizon_end: dt.datetime,
    limits: FeedLimits,
) -> tuple[dict[str, dict[str, object]], set[str], list[str]]:
    """The feed's events as they would be stored, by key; the keys it could not read; the warnings."""
    warnings = [str(warning) for warning in parsed.warnings]
    wanted: dict[str, dict[str, object]] = {}
    unreadable: set[str] = set()
    for feed_event in parsed.events:
        limits.check_time()
        key = source_uid(feed_event)
        if feed_event.end <= horizon_start or feed_event.start >= horizon_end:
            continue  # RSS feeds have no horizon of their own
        if key in wanted or key in unreadable:
            # The parser gives each occurrence its own key; should two still meet, neither is lost silently.
            warnings.append(
                _("UID %(uid)s: two events have the key %(key)s; only the first is imported.")
                % {"uid": feed_event.uid, "key": key}
            )
            continue
        try:
            wanted[key] = clean_feed_fields(_values(feed_event))
        except EventError as exc:
            # Skipped with a warning, but not taken as gone from the feed: a stored version stays.
            unreadable.add(key)
            warnings.append(f"UID {feed_event.uid}: {exc}")
    limits.check_events(len(wanted))
    return wanted, unreadable, warnings


def _succeeded(
    subscription: FeedSubscription, fetched: FetchResult, result: ImportResult, now: dt.datetime
) -> None:
    """Record a successful import on the subscription and in the audit log (inside its transaction)."""
    subscription.etag = (fetched.etag or "")[:300]
    subscription.last_modified = (fetched.last_modified or "")[:100]
    subscription.last_status = FeedSubscription.Status.OK
    subscription.last_error = ""
    subscription.last_warnings = result.warnings[:MAX_WARNINGS]
    subscription.last_fetched_at = now
    subscription.failures = 0
    subscription.save(
        update_fields=[
            "etag",
            "last_modified",
            "last_status",
            "last_error",
            "last_warnings",
            "last_fetched_at",
            "failures",
        ]
    )
    log_action(
        "event.feed_imported",
        obj=subscription,
        organization=subscription.organization,
        data={
            "created": result.created,
            "updated": result.updated,
            "removed": result.removed,
            "unchanged": result.unchanged,
            "warnings": result.warnings[:MAX_WARNINGS],
        },
    )
