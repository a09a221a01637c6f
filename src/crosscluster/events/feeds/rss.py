"""Reading RSS and Atom feeds into `FeedEvent`s: only items that carry event dates become events.

An ordinary news item has a publication date, not an event date, so it is skipped (with a warning saying so).
Event dates are read from, by namespace (whatever prefix the feed uses):

- the RSS Event module (`http://purl.org/rss/1.0/modules/event/`): `ev:startdate`, `ev:enddate`,
  `ev:location`, `ev:type` (taken as a category);
- xCal elements (`urn:ietf:params:xml:ns:xcal`) written as plain text: `xcal:dtstart`, `xcal:dtend`,
  `xcal:location`, `xcal:status` (iCalendar's STATUS);
- the status as schema.org names it (`schema:eventStatus`, namespace `https://schema.org/` or `http://…`,
  e.g. `https://schema.org/EventCancelled`), as our own feeds write it (events.syndication).

Dates are ISO 8601 (`2026-12-01T10:00:00+01:00`, `2026-12-01`) or iCalendar basic format (`20261201T090000Z`,
`20261201`); a date without a time is an all-day event, a time without an offset is Europe/Berlin. An end
equal to the start is an event without duration (a deadline); an item without an end gets the default
length. See docs/feeds.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import feedparser
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from crosscluster.core.sanitize import clean_text
from crosscluster.events.times import display_zone, midnight

from .errors import FeedError
from .ical import (
    DEFAULT_DURATION,
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_TITLE,
    MAX_URL,
    FeedEvent,
    FeedWarning,
    ParsedFeed,
    clean_description,
)

EVENT_MODULE = "http://purl.org/rss/1.0/modules/event/"
XCAL = "urn:ietf:params:xml:ns:xcal"
SCHEMA_ORG = ("https://schema.org/", "http://schema.org/")


def _status(value: str) -> str:
    """An Event.Status value from a schema.org eventStatus or an iCalendar STATUS (scheduled if unknown)."""
    value = value.upper()
    if "CANCEL" in value:
        return "cancelled"
    if "POSTPONED" in value or "RESCHEDULED" in value:
        return "postponed"
    return "scheduled"


def _parse_date(value: str) -> dt.datetime | dt.date:
    """ISO 8601 or iCalendar basic format; raises ValueError otherwise."""
    value = value.strip()
    if len(value) in (8, 10) and "T" not in value:
        return dt.date.fromisoformat(value)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=display_zone())


def _utc(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return midnight(value).astimezone(dt.UTC)


def _text(value: object, limit: int) -> str:
    return " ".join(clean_text(str(value or "")).split())[:limit]


def _description(entry: feedparser.FeedParserDict) -> str:
    detail = entry.get("content", [None])[0] or entry.get("summary_detail")
    if not detail or not detail.get("value"):
        return ""
    value = clean_text(detail["value"][:MAX_DESCRIPTION])
    return clean_description(value if "html" in (detail.get("type") or "") else linebreaks(escape(value)))


def parse_rss(data: bytes) -> ParsedFeed:
    """The items of an RSS or Atom feed that carry event dates; the others are reported as skipped."""
    # A stream, never bytes or str: feedparser would fetch a URL or open a local file given as text.
    parsed = feedparser.parse(io.BytesIO(data))
    # The version names the root element feedparser found (rss20, atom10, rss10, ...). Without it, <item>
    # or <entry> elements of any other XML would still be entries, each skipped for want of a date, and
    # the file would import as a working feed with no events.
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or _("no RSS or Atom elements")
        raise FeedError(_("This is not an RSS or Atom feed (%(reason)s).") % {"reason": reason})
    prefixes = {uri: prefix for prefix, uri in parsed.get("namespaces", {}).items()}
    result = ParsedFeed(name=_text(parsed.feed.get("title"), MAX_TITLE))

    def field(entry, namespace, name):
        prefix = prefixes.get(namespace)
        # feedparser's keys are lower case whatever the prefix's case (`xCal:dtstart` is `xcal_dtstart`).
        return entry.get(f"{prefix.lower()}_{name}") if prefix else None

    for number, entry in enumerate(parsed.entries, start=1):
        title = _text(entry.get("title"), MAX_TITLE)
        link = clean_text(entry.get("link") or "")
        link = link[:MAX_URL] if link.lower().startswith(("http://", "https://")) else ""
        # The key of the stored event: a NUL in it would make PostgreSQL refuse the whole import.
        uid = clean_text(entry.get("id") or "") or link
        uid = uid or ("no-guid-" + hashlib.sha256(title.encode()).hexdigest()[:24])
        where = _("Item %(number)s (%(title)s)") % {"number": number, "title": title or "—"}
        start_text = field(entry, EVENT_MODULE, "startdate") or field(entry, XCAL, "dtstart")
        end_text = field(entry, EVENT_MODULE, "enddate") or field(entry, XCAL, "dtend")
        if not start_text:
            result.warnings.append(
                FeedWarning(_("%(where)s has no event date (ev:startdate); skipped.") % {"where": where}, uid)
            )
            continue
        try:
            start = _parse_date(start_text)
        except ValueError:
            result.warnings.append(
                FeedWarning(
                    _("%(where)s: the start %(value)s cannot be read; skipped.")
                    % {"where": where, "value": start_text[:50]},
                    uid,
                )
            )
            continue
        all_day = not isinstance(start, dt.datetime)
        default = dt.timedelta(days=1) if all_day else DEFAULT_DURATION
        start_utc = _utc(start)
        end_utc = start_utc + default
        if end_text:
            try:
                end = _parse_date(end_text)
                if all_day and not isinstance(end, dt.datetime):
                    end += dt.timedelta(days=1)  # the RSS end date is the last day; ours is exclusive
                end_utc = _utc(end)
            except ValueError:
                result.warnings.append(
                    FeedWarning(
                        _("%(where)s: the end cannot be read; the default length is used.")
                        % {"where": where},
                        uid,
                    )
                )
            if end_utc < start_utc:
                result.warnings.append(
                    FeedWarning(
                        _("%(where)s: the end lies before the start; the default length is used.")
                        % {"where": where},
                        uid,
                    )
                )
                end_utc = start_utc + default
        categories = [_text(tag.get("term"), 100) for tag in entry.get("tags", []) if tag.get("term")]
        event_type = _text(field(entry, EVENT_MODULE, "type"), 100)
        if event_type and event_type not in categories:
            categories.append(event_type)
        location = field(entry, EVENT_MODULE, "location") or field(entry, XCAL, "location")
        status_text = next(
            (value for uri in SCHEMA_ORG if (value := field(entry, uri, "eventstatus"))), None
        ) or field(entry, XCAL, "status")
        result.events.append(
            FeedEvent(
                uid=uid[:500],
                recurrence_id="",
                title=title or _("(untitled)"),
                description=_description(entry),
                start=start_utc,
                end=end_utc,
                all_day=all_day,
                location=_text(location, MAX_LOCATION),
                url=link,
                status=_status(str(status_text or "")),
                categories=categories,
            )
        )
    result.events.sort(key=lambda event: (event.start, event.uid))
    return result
