"""Reading iCalendar feeds into `FeedEvent`s, one per occurrence within a horizon.

Feeds in the wild are odd: missing DTEND, floating times, home-made or unknown time zones, endless RRULEs,
EXDATEs in another zone, overrides by RECURRENCE-ID, Windows-1252 bytes, HTML with scripts. The rule is: read
what can be read, skip a broken VEVENT with a warning that names its UID and line, and give up on the whole
file (`FeedError`) only when it is not iCalendar at all. See docs/feeds.md.

The file is scanned once for its VEVENT and VTIMEZONE blocks (so each block has a line number and a block
that does not parse on its own is dropped alone), the good blocks are parsed together by `icalendar`, and each
series (all VEVENTs of one UID) is expanded by `recurring-ical-events`, lazily and only within the horizon.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from crosscluster.core.memo import for_short_texts
from crosscluster.core.sanitize import clean_html
from crosscluster.events.times import display_zone, midnight

from .errors import FeedError
from .limits import FeedLimits

# Occurrences of one series beyond this many are dropped with a warning (an hourly rule over weeks).
MAX_OCCURRENCES_PER_SERIES = 1000
# A series is expanded window by window, each twice as long as the one before, until it has more than
# MAX_OCCURRENCES_PER_SERIES occurrences or the horizon ends: an hourly rule stops after 8 weeks instead of
# making all 8,760 dates of the year (about 1 s each series) to keep the first 1000.
FIRST_WINDOW = dt.timedelta(days=8)
# Rules more frequent than hourly are not events people attend; expanding them costs too much.
REFUSED_FREQUENCIES = {"SECONDLY", "MINUTELY"}
MAX_TITLE = 200
MAX_LOCATION = 300
MAX_DESCRIPTION = 20000
MAX_URL = 1000
MAX_LINE = 64 * 1024
# The length of an RSS item without an end. iCalendar has its own rule (RFC 5545 3.6.1): a DTSTART without
# DTEND or DURATION lasts one day for a DATE value and no time at all for a DATE-TIME value.
DEFAULT_DURATION = dt.timedelta(hours=1)
ONE_DAY = dt.timedelta(days=1)
NO_TIME = dt.timedelta(0)
# Properties without which an event cannot be placed in time: a broken one makes the VEVENT unusable.
ESSENTIAL = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
POSTPONED_WORDS = ("POSTPONED", "RESCHEDULED", "VERSCHOBEN")
# Plain-text descriptions may contain "<" and ">"; only these tags make a description count as HTML.
HTML_TAG = re.compile(
    r"<\s*/?\s*(p|br|div|span|a|b|i|u|strong|em|ul|ol|li|h[1-6]|blockquote|script|style|img|table|html|body)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FeedEvent:
    """One occurrence of an event as a feed describes it; times are aware and in UTC."""

    uid: str
    # Empty for a single event; for an occurrence of a series, the UTC start it has in the series
    # (its RECURRENCE-ID): together with `uid` a stable key even when an override moves it.
    recurrence_id: str
    title: str
    description: str  # sanitized HTML
    start: dt.datetime
    end: dt.datetime  # exclusive; for all-day events midnight (Europe/Berlin) after the last day
    all_day: bool
    location: str = ""
    url: str = ""
    status: str = "scheduled"  # scheduled | cancelled | postponed (the values of Event.Status)
    rrule: str = ""
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeedWarning:
    """Something in the feed was skipped or guessed; `line` (1-based) is the line at fault, else the line of
    the event's BEGIN:VEVENT."""

    message: str
    uid: str = ""
    line: int | None = None
    title: str = ""  # the event's SUMMARY, when an event is skipped: managers know events by their titles

    def __str__(self) -> str:
        uid = ""
        if self.uid:
            uid = (
                _("UID %(uid)s (“%(title)s”)") % {"uid": self.uid, "title": self.title}
                if self.title
                else _("UID %(uid)s") % {"uid": self.uid}
            )
        where = ", ".join(
            part
            for part in (
                uid,
                _("line %(line)s") % {"line": self.line} if self.line else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass
class ParsedFeed:
    events: list[FeedEvent] = field(default_factory=list)
    warnings: list[FeedWarning] = field(default_factory=list)
    name: str = ""
    # UIDs of events that are in the feed but were skipped as unreadable: their stored occurrences are kept.
    skipped_uids: set[str] = field(default_factory=set)


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 are read as Latin-1, byte by byte: one stray byte does not garble the rest."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("crosscluster-latin1", _latin1_fallback)


def decode_feed_bytes(data: bytes) -> tuple[str, bool]:
    """The text of a feed and whether any byte had to be guessed (never raises)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="crosscluster-latin1"), True


@dataclass
class _Block:
    name: str
    first: int  # index of the BEGIN line
    lines: list[str]
    numbers: list[int]  # the index of each of `lines` in the file
    closed: bool = True
    shortened: bool = False


def _bounded_lines(text: str):
    """(index, line, shortened) for each physical line, each logical (unfolded) line cut at MAX_LINE.

    icalendar reads a content line character by character in Python; a megabyte-long DESCRIPTION would cost
    seconds, and nothing past MAX_DESCRIPTION is kept anyway.
    """
    logical = 0
    # Content lines end with CRLF (RFC 5545; a lone LF or CR is tolerated). Not str.splitlines: it also
    # breaks at VT, FF, FS, GS, RS, NEL, U+2028 and U+2029, which are text inside a value (Word's line break).
    for index, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if line[:1] in (" ", "\t"):
            if logical >= MAX_LINE:
                yield index, None, True
                continue
            logical += len(line)
        else:
            logical = len(line)
        if logical > MAX_LINE:
            cut = len(line) - (logical - MAX_LINE)
            logical = MAX_LINE
            yield index, line[:cut], True
        else:
            yield index, line, False


def _scan(text: str) -> tuple[list[str], list[_Block]]:
    """The VCALENDAR's own property lines and its VEVENT/VTIMEZONE blocks, in one pass over the lines.

    A VEVENT that is never closed ends where the next one begins (or the calendar ends) and is marked open.
    """
    header: list[str] = []
    blocks: list[_Block] = []
    current: _Block | None = None
    depth = 0  # nesting inside `current` (VALARM, STANDARD, DAYLIGHT…)
    for index, line, shortened in _bounded_lines(text):
        if line is None:  # a dropped continuation of an over-long line
            if current is not None:
                current.shortened = True
            continue
        if shortened and current is not None:
            current.shortened = True
        upper = line[:20].upper()
        if current is not None:
            if upper.startswith("BEGIN:VEVENT") or upper.startswith("END:VCALENDAR"):
                current.closed = False
                blocks.append(current)
                current = None
                depth = 0
            else:
                current.lines.append(line)
                current.numbers.append(index)
                if upper.startswith("BEGIN:"):
                    depth += 1
                elif upper.startswith("END:"):
                    if depth > 0:
                        depth -= 1
                    elif upper[4:].strip() == current.name:
                        blocks.append(current)
                        current = None
                    # a stray END of something never begun stays in the block; icalendar then rejects it
                continue
        if upper.startswith("BEGIN:VEVENT") or upper.startswith("BEGIN:VTIMEZONE"):
            current = _Block(name=upper[6:].strip(), first=index, lines=[line], numbers=[index])
        elif upper.startswith(("BEGIN:VCALENDAR", "END:VCALENDAR")):
            continue
        elif upper.startswith("BEGIN:"):
            # Another component (VTODO, VJOURNAL, VFREEBUSY): skipped as a block of its own.
            current = _Block(name=upper[6:].strip(), first=index, lines=[line], numbers=[index])
        else:
            header.append(line)
    if current is not None:
        current.closed = False
        blocks.append(current)
    return header, blocks


def _block_uid(block: _Block) -> str:
    """The block's UID, unfolded: Exchange's UIDs are longer than a line, and many share their first line."""
    return _block_value(block, "UID:")


def _block_title(block: _Block) -> str:
    """The block's SUMMARY as text (for the warning about a block that does not parse)."""
    for line in block.lines:
        if line[:8].upper() == "SUMMARY;" and ":" in line:
            return " ".join(unescape_text(line.split(":", 1)[1]).split())[:MAX_TITLE]
    return " ".join(unescape_text(_block_value(block, "SUMMARY:")).split())[:MAX_TITLE]


def _block_value(block: _Block, start: str) -> str:
    """The unfolded value of the block's property whose line begins with `start` (name and colon)."""
    lines = block.lines
    for position, line in enumerate(lines):
        if line[: len(start)].upper() == start:
            parts = [line[len(start) :]]
            for continuation in lines[position + 1 :]:
                if continuation[:1] not in (" ", "\t"):
                    break
                parts.append(continuation[1:])
            return "".join(parts).strip()
    return ""


# A content line: a name (letters, digits, "-"), then parameters or the value. Anything else in a block is a
# line the parser cannot split: most often a continuation whose leading space an editor took away.
_CONTENT_LINE = re.compile(r"[A-Za-z0-9-]+[;:]")


def _unsplittable_line(block: _Block) -> tuple[int, str] | None:
    """The number (1-based) and text of the block's first line that is no property and no continuation."""
    for number, line in zip(block.numbers, block.lines, strict=False):
        if line and line[:1] not in (" ", "\t") and not _CONTENT_LINE.match(line):
            return number + 1, line
    return None


def _utc(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=display_zone())  # floating time: as in Thüringen
        return value.astimezone(dt.UTC)
    return midnight(value).astimezone(dt.UTC)


def _key(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return _utc(value).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def _aware(value: Any, zone: dt.tzinfo) -> Any:
    """A floating date-time in `zone`; dates, aware date-times and durations as they are."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    if isinstance(value, tuple):  # an RDATE period: (start, end or duration)
        return tuple(_aware(part, zone) for part in value)
    return value


def _is_floating(value: Any) -> bool:
    if isinstance(value, tuple):
        return any(_is_floating(part) for part in value)
    return isinstance(value, dt.datetime) and value.tzinfo is None


_FLOATING_CANDIDATES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")


def _has_floating(properties: Properties) -> bool:
    """Whether any time of the event is floating (cheap: most feeds have none, and this runs per event)."""
    for name in _FLOATING_CANDIDATES:
        prop = properties.get(name)
        if prop is None:
            continue
        for item in prop if isinstance(prop, list) else [prop]:
            values = [value.dt for value in item.dts] if hasattr(item, "dts") else [getattr(item, "dt", None)]
            if any(_is_floating(value) for value in values):
                return True
    return False


def _localize_floating(component: icalendar.cal.Component, zone: dt.tzinfo) -> None:
    """Floating times (no TZID, no Z) of the VEVENT in `zone`, all of them alike.

    A CMS may write a floating start with a UTC end; left floating, the two cannot even be compared, and the
    expansion library would read a floating start in a zone of its own choosing. Reading every floating
    time of the file in one zone keeps start, end, EXDATE, RDATE and RECURRENCE-ID consistent.
    """
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = component.get(name)
        if prop is None or isinstance(prop, list) or not _is_floating(getattr(prop, "dt", None)):
            continue
        localized = icalendar.vDDDTypes(_aware(prop.dt, zone))
        for key, value in prop.params.items():
            if key not in ("TZID", "VALUE"):
                localized.params[key] = value  # RANGE=THISANDFUTURE stays
        component[name] = localized
    for name in ("EXDATE", "RDATE"):
        props = component.get(name)
        if props is None:
            continue
        many = isinstance(props, list)
        changed = []
        for prop in props if many else [props]:
            values = [item.dt for item in getattr(prop, "dts", [])]
            if any(_is_floating(value) for value in values):
                prop = icalendar.prop.vDDDLists([_aware(value, zone) for value in values])
            changed.append(prop)
        component[name] = changed if many else changed[0]


# The properties of a component as a plain dict, by name: icalendar keeps the names upper-case, and a dict
# looks them up several times faster than the component's case-insensitive methods; reading an event
# takes a few dozen lookups.
Properties = dict[str, Any]


def _properties(component: icalendar.cal.Component) -> Properties:
    return dict(component.items())


def _entities(text: str) -> str:
    """HTML entities in plain text read as characters: CMS exports (TYPO3) write `&amp;` into SUMMARY."""
    return html.unescape(text) if "&" in text else text


def _text(properties: Properties, name: str, limit: int) -> str:
    value = properties.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return ""
    return " ".join(_entities(str(value)).split())[:limit]


def _location(properties: Properties) -> str:
    """LOCATION on one line: Apple writes an address as lines (`Zentrum\\nStraße 6\\n07745 Jena`)."""
    value = properties.get("LOCATION")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return ""
    lines = [" ".join(line.split()) for line in _entities(str(value)).splitlines()]
    return ", ".join(line for line in lines if line)[:MAX_LOCATION]


# TEXT escapes (RFC 5545 3.3.11), undone in one pass so that each is undone exactly once: "\\n" is a
# backslash and an "n", not a line break.
_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")


def unescape_text(value: str) -> str:
    """A TEXT value as written in the file, unescaped. icalendar does this for the properties it knows;
    an X- property such as Outlook's X-ALT-DESC comes raw, with its `\\,` `\\;` `\\n`."""
    return _TEXT_ESCAPE.sub(lambda match: "\n" if match.group(1) in "nN" else match.group(1), value)


def _description(properties: Properties) -> str:
    markup = None
    alts = properties.get("X-ALT-DESC")
    for alt in alts if isinstance(alts, list) else [alts]:
        if alt is not None and str(getattr(alt, "params", {}).get("FMTTYPE", "")).lower() == "text/html":
            markup = unescape_text(str(alt))
    if markup is not None:
        return clean_description(markup)
    value = properties.get("DESCRIPTION")
    if isinstance(value, list):
        value = value[0] if value else None
    text = str(value or "").strip()[:MAX_DESCRIPTION]
    if not text:
        return ""
    return _text_description(text)


# A feed repeats descriptions (the occurrences of a series share theirs, a network its boilerplate):
# the last short ones are kept (core.memo).
@for_short_texts()
def _text_description(text: str) -> str:
    """A DESCRIPTION as sanitized HTML: HTML as it is, plain text with its paragraphs and line breaks."""
    return clean_description(text if HTML_TAG.search(text) else linebreaks(escape(_entities(text))))


@for_short_texts()
def clean_description(html: str) -> str:
    """A feed's HTML description sanitized and bounded by MAX_DESCRIPTION (iCalendar and RSS alike)."""
    cleaned = clean_html(html[:MAX_DESCRIPTION]).strip()
    if len(cleaned) > MAX_DESCRIPTION:
        cleaned = clean_html(cleaned[: MAX_DESCRIPTION - 500])
    return cleaned


_STATUS_EXTRA = ("X-EVENT-STATUS", "X-STATUS", "X-SCHEMA-EVENTSTATUS")


def _status(properties: Properties) -> str:
    status = str(properties.get("STATUS", "")).upper()
    extra = " ".join([str(properties.get(name, "")).upper() for name in _STATUS_EXTRA])
    if status == "CANCELLED" or "CANCELLED" in extra or "CANCELED" in extra:
        return "cancelled"
    if any(word in status or word in extra for word in POSTPONED_WORDS):
        return "postponed"
    return "scheduled"


def _categories(properties: Properties) -> list[str]:
    values = properties.get("CATEGORIES")
    if values is None:
        return []
    result: list[str] = []
    for value in values if isinstance(values, list) else [values]:
        for category in getattr(value, "cats", []):
            category = " ".join(str(category).split())
            if category and category not in result:
                result.append(category[:100])
    return result


def _url(properties: Properties) -> str:
    url = _text(properties, "URL", MAX_URL)
    return url if url.lower().startswith(("http://", "https://")) else ""


class _Skip(Exception):
    """This VEVENT cannot be used; the message says why, `line` where (else its BEGIN:VEVENT)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# The start of an event and its end (None when it has none, only a DURATION), as `component.decoded` gives.
Times = tuple[dt.date, dt.date | None]


def _set_time(component: icalendar.cal.Component, name: str, value: dt.date) -> None:
    component[name] = icalendar.vDDDTypes(value)


def _reconcile(component: icalendar.cal.Component, start: dt.date, end: dt.date) -> Times:
    """Start and end of one kind: a DATE start with a DATE-TIME end (or the reverse) as the span it means.

    - A DATE start with an end at midnight (in the end's own zone) is an all-day event up to that day
      (exclusive, as a DATE end is): `DTSTART;VALUE=DATE:20230724` `DTEND:20230817T000000Z` is 24 July to
      16 August.
    - A DATE start with any other end begins at midnight of its day (Europe/Berlin) and ends at that time.
    - A DATE end of a timed start is the midnight (Europe/Berlin) at which that day begins.
    The component is changed too, so that the expansion of a series reads the same times.
    """
    if isinstance(start, dt.datetime) == isinstance(end, dt.datetime):
        return start, end
    if isinstance(end, dt.datetime):  # a DATE start
        if end.time() == dt.time() and end.date() > start:
            _set_time(component, "DTEND", end.date())
            return start, end.date()
        start = midnight(start)
        _set_time(component, "DTSTART", start)
        return start, end
    end = midnight(end)
    _set_time(component, "DTEND", end)
    return start, end


def _check(component: icalendar.cal.Component, warnings: list[FeedWarning], uid: str, block: _Block) -> Times:
    """Make a parsed VEVENT usable or raise _Skip: broken essentials, unknown zones, mixed kinds of time.

    Returns its start and end, read once here for `_occurrence`."""
    line = block.first + 1
    for name, error in getattr(component, "errors", []):
        if name is None:
            # A line without a property name: icalendar cannot tell what it belongs to.
            bad = _unsplittable_line(block)
            number, text = bad if bad else (line, str(error))
            raise _Skip(
                _(
                    "The line “%(text)s” cannot be read; a line that continues the one above must begin "
                    "with a space."
                )
                % {"text": text[:80]},
                number,
            )
        if name.upper() in ESSENTIAL:
            raise _Skip(_("%(property)s cannot be read: %(error)s") % {"property": name, "error": error})
        warnings.append(
            FeedWarning(_("%(property)s ignored: %(error)s") % {"property": name, "error": error}, uid, line)
        )
    properties = _properties(component)
    if "DTSTART" not in properties:
        raise _Skip(_("The event has no start (DTSTART)."))
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = properties.get(name)
        if prop is not None and "TZID" in prop.params and getattr(prop.dt, "tzinfo", True) is None:
            warnings.append(
                FeedWarning(
                    _("Unknown time zone %(tzid)s; the time is taken as Europe/Berlin.")
                    % {"tzid": prop.params["TZID"]},
                    uid,
                    line,
                )
            )
            break
    if _has_floating(properties):
        _localize_floating(component, display_zone())
    start = component.decoded("DTSTART")
    if not isinstance(start, dt.date):
        raise _Skip(_("The start (DTSTART) is not a date."))
    rrule = properties.get("RRULE")
    if rrule is not None:
        rules = rrule if isinstance(rrule, list) else [rrule]
        for rule in rules:
            if str((rule.get("FREQ") or [""])[0]).upper() in REFUSED_FREQUENCIES:
                raise _Skip(_("The event repeats more often than hourly."))
    end = None
    if "DTEND" in properties:
        end = component.decoded("DTEND")
        if isinstance(end, dt.date):
            start, end = _reconcile(component, start, end)
        if not isinstance(end, dt.date) or end < start:
            warnings.append(
                FeedWarning(_("The end lies before the start; the default length is used."), uid, line)
            )
            del component["DTEND"]
            end = None
    if end is None and "DURATION" not in properties:
        # RFC 5545 3.6.1: a DATE start lasts one day; a DATE-TIME start ends when it begins.
        component.add("DURATION", ONE_DAY if not isinstance(start, dt.datetime) else NO_TIME)
    return start, end


def _occurrence(
    occurrence: icalendar.cal.Component,
    uid: str,
    recurring: bool,
    rrule: str,
    times: Times | None = None,
    moves: dict[str, dt.timedelta] | None = None,
) -> FeedEvent:
    """The occurrence as a FeedEvent; `times` are its start and end if `_check` has read them already.

    `moves` holds, by RECURRENCE-ID key, how far a RANGE=THISANDFUTURE edit moved the occurrences after it.
    """
    properties = _properties(occurrence)
    if times is None:
        start = occurrence.decoded("DTSTART")
        end = occurrence.decoded("DTEND") if "DTEND" in properties else None
    else:
        start, end = times
    all_day = not isinstance(start, dt.datetime)
    if end is None:
        default = ONE_DAY if all_day else NO_TIME
        end = start + (occurrence.decoded("DURATION") if "DURATION" in properties else default)
    start_utc, end_utc = _utc(start), _utc(end)
    if end_utc < start_utc or (all_day and end_utc == start_utc):
        end_utc = start_utc + (ONE_DAY if all_day else NO_TIME)
    recurrence_id = ""
    if recurring:
        recurrence_id = _key(_original_start(occurrence, start, moves or {}))
    return FeedEvent(
        uid=uid,
        recurrence_id=recurrence_id,
        title=_text(properties, "SUMMARY", MAX_TITLE) or _("(untitled)"),
        description=_description(properties),
        start=start_utc,
        end=end_utc,
        all_day=all_day,
        location=_location(properties),
        url=_url(properties),
        status=_status(properties),
        rrule=rrule,
        categories=_categories(properties),
    )


def _this_and_future(component: icalendar.cal.Component) -> bool:
    prop = component.get("RECURRENCE-ID")
    return prop is not None and str(prop.params.get("RANGE", "")).upper() == "THISANDFUTURE"


def _original_start(
    occurrence: icalendar.cal.Component, start: dt.date, moves: dict[str, dt.timedelta]
) -> dt.date:
    """The start the occurrence has in the series' rule: the key that tells it from the other occurrences.

    recurring-ical-events gives every occurrence moved by a RANGE=THISANDFUTURE edit that edit's own
    RECURRENCE-ID; the occurrence's own is its start moved back by as much as the edit moved its first one.
    """
    prop = occurrence.get("RECURRENCE-ID")
    if prop is None:
        return start
    original = prop.dt
    if _this_and_future(occurrence):
        move = moves.get(_key(original))
        if move is not None and type(start) is type(original):
            return start - move
    return original


def _version(component: icalendar.cal.Component) -> tuple[int, str]:
    """How new this version of an event is: its SEQUENCE, then its DTSTAMP (RFC 5545 3.8.7.4, 3.8.7.2)."""
    try:
        sequence = int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = 0
    stamp = component.get("DTSTAMP")
    try:
        stamped = _key(stamp.dt) if stamp is not None else ""
    except (AttributeError, TypeError, ValueError):
        stamped = ""
    return sequence, stamped


def _newest(members: list[tuple[icalendar.cal.Component, int]]) -> tuple[icalendar.cal.Component, int]:
    """The newest of several versions; of equally new ones the first (as recurring-ical-events does)."""
    return max(members, key=lambda member: _version(member[0]))  # max keeps the first of equal keys


Member = tuple[icalendar.cal.Component, int]  # a VEVENT and its line


def _latest_versions(uid: str, members: list[Member], warnings: list[FeedWarning]) -> list[list[Member]]:
    """The series of one UID to expand: the newest version of the master and of each override.

    A calendar that re-exports edits may carry the same event twice (SEQUENCE 0 and 1): the newest wins.
    Several events without rule under one UID, equally new but at different times, are distinct events
    of a writer that reuses its UIDs: each is kept, as a series of its own, so none is lost.
    """
    masters = [member for member in members if "RECURRENCE-ID" not in member[0]]
    overrides: dict[str, list[Member]] = defaultdict(list)
    for member in members:
        if "RECURRENCE-ID" in member[0]:
            overrides[_key(member[0].decoded("RECURRENCE-ID"))].append(member)
    chosen = [_newest(versions) for versions in overrides.values()]
    for key, versions in overrides.items():
        if len(versions) > 1:
            warnings.append(
                FeedWarning(
                    _("The occurrence %(recurrence_id)s is in the file several times; the newest is read.")
                    % {"recurrence_id": key},
                    uid,
                    versions[1][1],
                )
            )
    if len(masters) <= 1:
        return [masters + chosen]
    newest = _newest(masters)
    equally_new = [member for member in masters if _version(member[0]) == _version(newest[0])]
    starts = {_key(member[0].decoded("DTSTART")) for member in equally_new}
    if (
        not chosen
        and len(starts) == len(equally_new) == len(masters)
        and not any("RRULE" in member[0] or "RDATE" in member[0] for member in masters)
    ):
        warnings.append(
            FeedWarning(
                _("Several events share this UID; each is read, told apart by its start."), uid, masters[1][1]
            )
        )
        return [[member] for member in masters]
    warnings.append(
        FeedWarning(
            _("The event is in the file several times; the newest version (line %(line)s) is read.")
            % {"line": newest[1]},
            uid,
            newest[1],
        )
    )
    return [[newest, *chosen]]


def _expand(
    uid: str,
    members: list[Member],
    checked: dict[int, Times],
    distinct: bool,
    horizon_start: dt.datetime,
    horizon_end: dt.datetime,
    warnings: list[FeedWarning],
    limits: FeedLimits,
) -> list[FeedEvent]:
    """The occurrences of one series (or one event) within the horizon."""
    master = next((component for component, _line in members if "RECURRENCE-ID" not in component), None)
    recurring = (
        distinct
        or any("RECURRENCE-ID" in component for component, _line in members)
        or (master is not None and ("RRULE" in master or "RDATE" in master))
    )
    rrule = ""
    if master is not None and "RRULE" in master:
        rules = master["RRULE"] if isinstance(master["RRULE"], list) else [master["RRULE"]]
        rrule = rules[0].to_ical().decode()
    if not recurring or (distinct and master is not None and len(members) == 1):
        # The common case needs no expansion library: one event, kept when it overlaps the horizon.
        component = members[0][0]
        feed_event = _occurrence(component, uid, recurring, "", checked[id(component)])
        return [feed_event] if feed_event.end > horizon_start and feed_event.start < horizon_end else []
    moves: dict[str, dt.timedelta] = {}
    for component, _line in members:
        if _this_and_future(component):
            original, start = component.decoded("RECURRENCE-ID"), component.decoded("DTSTART")
            if type(original) is type(start):
                moves[_key(original)] = start - original
    one = icalendar.Calendar()
    for component, _line in members:
        one.add_component(component)
    occurrences = _first_occurrences(one, horizon_start, horizon_end, limits)
    if len(occurrences) > MAX_OCCURRENCES_PER_SERIES:
        warnings.append(
            FeedWarning(
                _("More than %(max)s occurrences; the rest are left out.")
                % {"max": MAX_OCCURRENCES_PER_SERIES},
                uid,
                members[0][1],
            )
        )
    return [
        _occurrence(occurrence, uid, recurring, rrule, moves=moves)
        for occurrence in occurrences[:MAX_OCCURRENCES_PER_SERIES]
    ]


_DATE = re.compile(r"(\d{8})")


def _certainly_in_window(
    good: list[tuple[_Block, str]], horizon_start: dt.datetime, horizon_end: dt.datetime
) -> int:
    """How many events (distinct UIDs) certainly lie in the window, read from the text before parsing it: a
    VEVENT that is no override (no RECURRENCE-ID) whose DTSTART date is more than two days inside the
    window, whatever its zone. Reading a 10 MB file with icalendar takes half a minute in one step that
    cannot be interrupted; a feed over `FEEDS_MAX_EVENTS` is refused before it."""
    low = (horizon_start + dt.timedelta(days=2)).strftime("%Y%m%d")
    high = (horizon_end - dt.timedelta(days=2)).strftime("%Y%m%d")
    uids = set()
    for block, uid in good:
        start = ""
        for line in block.lines:
            head = line[:14].upper()
            if head.startswith("RECURRENCE-ID"):
                start = ""
                break
            if head.startswith(("DTSTART:", "DTSTART;")) and not start:
                found = _DATE.search(line.rsplit(":", 1)[-1])
                start = found.group(1) if found else ""
        if start and low < start < high:
            uids.add(uid)
    return len(uids)


def _first_occurrences(
    calendar: icalendar.Calendar, horizon_start: dt.datetime, horizon_end: dt.datetime, limits: FeedLimits
) -> list[icalendar.cal.Component]:
    """The occurrences of the series in `calendar` within the horizon, sorted by start: all of them, or at
    least the first MAX_OCCURRENCES_PER_SERIES + 1 (see FIRST_WINDOW). Each window is one `between`
    (recurring-ical-events' `after` re-walks the rule per quarter hour: slower still); an occurrence that
    overlaps two windows comes back from both and is kept once. Every occurrence the series' windows
    produce counts toward the feed's cap on occurrences."""
    query = recurring_ical_events.of(calendar)
    found: list[icalendar.cal.Component] = []
    seen: set[tuple[Any, Any]] = set()
    low, span = horizon_start, FIRST_WINDOW
    while low < horizon_end and len(found) <= MAX_OCCURRENCES_PER_SERIES:
        limits.check_time()
        high = min(low + span, horizon_end)
        window = query.between(low, high)
        limits.count_occurrences(len(window))
        window.sort(key=lambda occurrence: _utc(occurrence.decoded("DTSTART")))
        for occurrence in window:
            # Its RECURRENCE-ID and start tell an occurrence from the others (a THISANDFUTURE edit gives
            # many the same RECURRENCE-ID, at different starts); `to_ical()` would cost 3 ms each.
            recurrence_id = occurrence.get("RECURRENCE-ID")
            identity = (None if recurrence_id is None else recurrence_id.dt, occurrence.decoded("DTSTART"))
            if identity not in seen:
                seen.add(identity)
                found.append(occurrence)
        low, span = high, span * 2
    found.sort(key=lambda occurrence: _utc(occurrence.decoded("DTSTART")))
    return found


def parse_ical(
    data: bytes,
    *,
    horizon_start: dt.datetime,
    horizon_end: dt.datetime,
    limits: FeedLimits | None = None,
) -> ParsedFeed:
    """Every occurrence that overlaps [horizon_start, horizon_end), plus warnings about what was skipped.

    `limits` (default: none but the processing time's default) stops a feed that asks for too much work
    with a `FeedLimitError`: checked for each event and each window of a series, and for the number of
    events read so far (every event read lies in the window and would be stored).
    """
    limits = limits or FeedLimits()
    text, guessed = decode_feed_bytes(data)
    if not text.lstrip()[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise FeedError(_("This is not an iCalendar file (it does not begin with BEGIN:VCALENDAR)."))
    result = ParsedFeed()
    if guessed:
        result.warnings.append(
            FeedWarning(_("The file is not valid UTF-8; some characters were read as Latin-1."))
        )

    def skip(message: str, uid: str, line: int | None, title: str) -> None:
        result.warnings.append(FeedWarning(_("Skipped: %(error)s") % {"error": message}, uid, line, title))
        if uid and not uid.startswith("no-uid-"):
            result.skipped_uids.add(uid)

    header, blocks = _scan(text)
    good: list[tuple[_Block, str]] = []
    timezones: list[_Block] = []
    for block in blocks:
        uid = _block_uid(block)
        line = block.first + 1
        if block.name == "VTIMEZONE":
            timezones.append(block)
            continue
        if block.name != "VEVENT":
            continue
        if not block.closed:
            result.warnings.append(
                FeedWarning(_("The event is not closed by END:VEVENT; skipped."), uid, line)
            )
            if uid:
                result.skipped_uids.add(uid)
            continue
        if block.shortened:
            result.warnings.append(
                FeedWarning(
                    _("A line longer than %(max)s characters was shortened.") % {"max": MAX_LINE}, uid, line
                )
            )
        good.append((block, uid))

    if limits.max_events:
        limits.check_events(_certainly_in_window(good, horizon_start, horizon_end))

    def assemble(head: list[str], zones: list[_Block], events: list[tuple[_Block, str]]) -> str:
        lines = ["BEGIN:VCALENDAR", *head]
        for block in [*zones, *(block for block, _uid in events)]:
            lines.extend(block.lines)
        return "\r\n".join([*lines, "END:VCALENDAR", ""])

    try:
        calendar = icalendar.Calendar.from_ical(assemble(header, timezones, good))
    except Exception:
        # Something does not parse: only now is each VEVENT tried alone (twice the work), to drop just it.
        parsable = []
        for block, uid in good:
            try:
                icalendar.Event.from_ical("\r\n".join(block.lines))
            except Exception as exc:  # icalendar raises ValueError and others on broken structure
                skip(str(exc), uid, block.first + 1, _block_title(block))
            else:
                parsable.append((block, uid))
        good = parsable
        try:
            calendar = icalendar.Calendar.from_ical(assemble(header, timezones, good))
        except Exception:
            # A broken VTIMEZONE or header: without them, times in those zones are taken as Europe/Berlin.
            result.warnings.append(
                FeedWarning(_("The time zone definitions cannot be read; they are ignored."))
            )
            try:
                calendar = icalendar.Calendar.from_ical(assemble(["VERSION:2.0"], [], good))
            except Exception as exc:
                raise FeedError(_("The calendar cannot be read: %(error)s") % {"error": exc}) from exc
    head = _properties(calendar)
    result.name = _text(head, "X-WR-CALNAME", MAX_TITLE) or _text(head, "NAME", MAX_TITLE)
    if "X-WR-TIMEZONE" in calendar:
        # Google: floating and UTC times mean the calendar's zone (a weekly 10:00 stays 10:00 in summer).
        try:
            calendar = x_wr_timezone.to_standard(calendar)
        except Exception:
            result.warnings.append(
                FeedWarning(_("Unknown calendar time zone %(tzid)s.") % {"tzid": calendar["X-WR-TIMEZONE"]})
            )

    series: dict[str, list[Member]] = defaultdict(list)
    checked: dict[int, Times] = {}  # by id() of the component
    events = [component for component in calendar.subcomponents if component.name == "VEVENT"]
    limits.check_time()
    for component, (block, block_uid) in zip(events, good, strict=False):
        limits.check_time()
        line = block.first + 1
        uid = block_uid or " ".join(str(component.get("UID", "")).split())
        if not uid:
            uid = "no-uid-" + hashlib.sha256("\n".join(block.lines).encode()).hexdigest()[:24]
            result.warnings.append(
                FeedWarning(_("The event has no UID; one was made from its content."), "", line)
            )
        try:
            checked[id(component)] = _check(component, result.warnings, uid, block)
        except _Skip as exc:
            skip(str(exc), uid, exc.line or line, _text(_properties(component), "SUMMARY", MAX_TITLE))
            continue
        except Exception as exc:  # whatever else a broken event trips over stops only this event
            skip(str(exc) or type(exc).__name__, uid, line, _block_title(block))
            continue
        series[uid].append((component, line))

    for uid, members in series.items():
        versions = _latest_versions(uid, members, result.warnings) if len(members) > 1 else [members]
        for chosen in versions:
            try:
                result.events.extend(
                    _expand(
                        uid,
                        chosen,
                        checked,
                        len(versions) > 1,
                        horizon_start,
                        horizon_end,
                        result.warnings,
                        limits,
                    )
                )
            except FeedError:
                raise  # a cap of the whole feed (limits), not a problem of this series
            except Exception as exc:  # a series the expansion library cannot handle must not stop the others
                title = _text(_properties(chosen[0][0]), "SUMMARY", MAX_TITLE)
                skip(str(exc) or type(exc).__name__, uid, chosen[0][1], title)
        limits.check_events(len(result.events))
    result.events.sort(key=lambda event: (event.start, event.uid, event.recurrence_id))
    return result
