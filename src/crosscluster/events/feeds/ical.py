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

# Occurrences of one series beyond this many are dropped with a warning (an hourly rule over weeks).
MAX_OCCURRENCES_PER_SERIES = 1000
# Rules more frequent than hourly are not events people attend; expanding them costs too much.
REFUSED_FREQUENCIES = {"SECONDLY", "MINUTELY"}
MAX_TITLE = 200
MAX_LOCATION = 300
MAX_DESCRIPTION = 20000
MAX_URL = 1000
MAX_LINE = 64 * 1024
DEFAULT_DURATION = dt.timedelta(hours=1)
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
    """Something in the feed was skipped or guessed; `line` is the line of its BEGIN:VEVENT (1-based)."""

    message: str
    uid: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (f"UID {self.uid}" if self.uid else "", f"line {self.line}" if self.line else "")
            if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass
class ParsedFeed:
    events: list[FeedEvent] = field(default_factory=list)
    warnings: list[FeedWarning] = field(default_factory=list)
    name: str = ""


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
    closed: bool = True
    shortened: bool = False


def _bounded_lines(text: str):
    """(index, line, shortened) for each physical line, each logical (unfolded) line cut at MAX_LINE.

    icalendar reads a content line character by character in Python; a megabyte-long DESCRIPTION would cost
    seconds, and nothing past MAX_DESCRIPTION is kept anyway.
    """
    logical = 0
    for index, line in enumerate(text.splitlines()):
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
            current = _Block(name=upper[6:].strip(), first=index, lines=[line])
        elif upper.startswith(("BEGIN:VCALENDAR", "END:VCALENDAR")):
            continue
        elif upper.startswith("BEGIN:"):
            # Another component (VTODO, VJOURNAL, VFREEBUSY): skipped as a block of its own.
            current = _Block(name=upper[6:].strip(), first=index, lines=[line])
        else:
            header.append(line)
    if current is not None:
        current.closed = False
        blocks.append(current)
    return header, blocks


def _block_uid(block: _Block) -> str:
    for line in block.lines:
        if line[:4].upper() == "UID:":
            return line[4:].strip()
    return ""


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


# The properties of a component as a plain dict, by name: icalendar keeps the names upper-case, and a dict
# looks them up several times faster than the component's case-insensitive methods; reading an event
# takes a few dozen lookups.
Properties = dict[str, Any]


def _properties(component: icalendar.cal.Component) -> Properties:
    return dict(component.items())


def _text(properties: Properties, name: str, limit: int) -> str:
    value = properties.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return ""
    return " ".join(str(value).split())[:limit]


def _description(properties: Properties) -> str:
    html = None
    alts = properties.get("X-ALT-DESC")
    for alt in alts if isinstance(alts, list) else [alts]:
        if alt is not None and str(getattr(alt, "params", {}).get("FMTTYPE", "")).lower() == "text/html":
            html = str(alt)
    if html is not None:
        return clean_description(html)
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
    return clean_description(text if HTML_TAG.search(text) else linebreaks(escape(text)))


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
    """This VEVENT cannot be used; the message says why."""


# The start of an event and its end (None when it has none, only a DURATION), as `component.decoded` gives.
Times = tuple[dt.date, dt.date | None]


def _check(component: icalendar.cal.Component, warnings: list[FeedWarning], uid: str, line: int) -> Times:
    """Make a parsed VEVENT usable or raise _Skip: broken essentials, unknown zones, missing ends.

    Returns its start and end, read once here for `_occurrence`."""
    for name, error in getattr(component, "errors", []):
        if name.upper() in ESSENTIAL:
            raise _Skip(_("%(property)s cannot be read: %(error)s") % {"property": name, "error": error})
        warnings.append(
            FeedWarning(_("%(property)s ignored: %(error)s") % {"property": name, "error": error}, uid, line)
        )
    properties = _properties(component)
    if "DTSTART" not in properties:
        raise _Skip(_("The event has no start (DTSTART)."))
    start = component.decoded("DTSTART")
    if not isinstance(start, dt.date):
        raise _Skip(_("The start (DTSTART) is not a date."))
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
    rrule = properties.get("RRULE")
    if rrule is not None:
        rules = rrule if isinstance(rrule, list) else [rrule]
        for rule in rules:
            if str((rule.get("FREQ") or [""])[0]).upper() in REFUSED_FREQUENCIES:
                raise _Skip(_("The event repeats more often than hourly."))
    end = None
    if "DTEND" in properties:
        end = component.decoded("DTEND")
        if type(end) is not type(start) or end < start:
            warnings.append(
                FeedWarning(_("The end lies before the start; the default length is used."), uid, line)
            )
            del component["DTEND"]
            end = None
    if end is None and "DURATION" not in properties:
        all_day = not isinstance(start, dt.datetime)
        component.add("DURATION", dt.timedelta(days=1) if all_day else DEFAULT_DURATION)
    return start, end


def _occurrence(
    occurrence: icalendar.cal.Component, uid: str, recurring: bool, rrule: str, times: Times | None = None
) -> FeedEvent:
    """The occurrence as a FeedEvent; `times` are its start and end if `_check` has read them already."""
    properties = _properties(occurrence)
    if times is None:
        start = occurrence.decoded("DTSTART")
        end = occurrence.decoded("DTEND") if "DTEND" in properties else None
    else:
        start, end = times
    all_day = not isinstance(start, dt.datetime)
    if end is None:
        end = start + (occurrence.decoded("DURATION") if "DURATION" in properties else DEFAULT_DURATION)
    start_utc, end_utc = _utc(start), _utc(end)
    if end_utc <= start_utc:
        end_utc = start_utc + (dt.timedelta(days=1) if all_day else DEFAULT_DURATION)
    recurrence_id = ""
    if recurring:
        original = occurrence.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in properties else start
        recurrence_id = _key(original)
    return FeedEvent(
        uid=uid,
        recurrence_id=recurrence_id,
        title=_text(properties, "SUMMARY", MAX_TITLE) or _("(untitled)"),
        description=_description(properties),
        start=start_utc,
        end=end_utc,
        all_day=all_day,
        location=_text(properties, "LOCATION", MAX_LOCATION),
        url=_url(properties),
        status=_status(properties),
        rrule=rrule,
        categories=_categories(properties),
    )


def parse_ical(data: bytes, *, horizon_start: dt.datetime, horizon_end: dt.datetime) -> ParsedFeed:
    """Every occurrence that overlaps [horizon_start, horizon_end), plus warnings about what was skipped."""
    text, guessed = decode_feed_bytes(data)
    if not text.lstrip()[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise FeedError(_("This is not an iCalendar file (it does not begin with BEGIN:VCALENDAR)."))
    result = ParsedFeed()
    if guessed:
        result.warnings.append(
            FeedWarning(_("The file is not valid UTF-8; some characters were read as Latin-1."))
        )

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
            continue
        if block.shortened:
            result.warnings.append(
                FeedWarning(
                    _("A line longer than %(max)s characters was shortened.") % {"max": MAX_LINE}, uid, line
                )
            )
        good.append((block, uid))

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
                result.warnings.append(
                    FeedWarning(_("Skipped: %(error)s") % {"error": exc}, uid, block.first + 1)
                )
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
        try:
            calendar = x_wr_timezone.to_standard(calendar)
        except Exception:
            result.warnings.append(
                FeedWarning(_("Unknown calendar time zone %(tzid)s.") % {"tzid": calendar["X-WR-TIMEZONE"]})
            )

    series: dict[str, list[tuple[icalendar.cal.Component, int]]] = defaultdict(list)
    checked: dict[int, Times] = {}  # by id() of the component
    events = [component for component in calendar.subcomponents if component.name == "VEVENT"]
    for component, (block, uid) in zip(events, good, strict=False):
        line = block.first + 1
        if not uid:
            uid = "no-uid-" + hashlib.sha256("\n".join(block.lines).encode()).hexdigest()[:24]
            result.warnings.append(
                FeedWarning(_("The event has no UID; one was made from its content."), "", line)
            )
        try:
            checked[id(component)] = _check(component, result.warnings, uid, line)
        except _Skip as exc:
            result.warnings.append(FeedWarning(_("Skipped: %(error)s") % {"error": exc}, uid, line))
            continue
        series[uid].append((component, line))

    for uid, members in series.items():
        masters = [component for component, _line in members if "RECURRENCE-ID" not in component]
        if len(masters) > 1:
            result.warnings.append(
                FeedWarning(
                    _("The UID is used by several events; only the first is read."), uid, members[1][1]
                )
            )
            extra = {id(component) for component in masters[1:]}
            members = [(component, line) for component, line in members if id(component) not in extra]
        master = masters[0] if masters else None
        recurring = any("RECURRENCE-ID" in component for component, _line in members) or (
            master is not None and ("RRULE" in master or "RDATE" in master)
        )
        rrule = ""
        if master is not None and "RRULE" in master:
            rules = master["RRULE"] if isinstance(master["RRULE"], list) else [master["RRULE"]]
            rrule = rules[0].to_ical().decode()
        if not recurring and len(members) == 1:
            # The common case needs no expansion library: one event, kept when it overlaps the horizon.
            feed_event = _occurrence(members[0][0], uid, False, "", checked[id(members[0][0])])
            if feed_event.end > horizon_start and feed_event.start < horizon_end:
                result.events.append(feed_event)
            continue
        one = icalendar.Calendar()
        for component, _line in members:
            one.add_component(component)
        try:
            # One `between` over the horizon: dateutil walks the rule once (`after` re-walks it per window).
            occurrences = recurring_ical_events.of(one).between(horizon_start, horizon_end)
            occurrences.sort(key=lambda occurrence: _utc(occurrence.decoded("DTSTART")))
            if len(occurrences) > MAX_OCCURRENCES_PER_SERIES:
                result.warnings.append(
                    FeedWarning(
                        _("More than %(max)s occurrences; the rest are left out.")
                        % {"max": MAX_OCCURRENCES_PER_SERIES},
                        uid,
                        members[0][1],
                    )
                )
            taken = [
                _occurrence(occurrence, uid, recurring, rrule)
                for occurrence in occurrences[:MAX_OCCURRENCES_PER_SERIES]
            ]
            result.events.extend(taken)
        except Exception as exc:  # a series the expansion library cannot handle must not stop the others
            result.warnings.append(FeedWarning(_("Skipped: %(error)s") % {"error": exc}, uid, members[0][1]))
    result.events.sort(key=lambda event: (event.start, event.uid, event.recurrence_id))
    return result
