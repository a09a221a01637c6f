"""One event for other programs: an iCalendar file for "add to my calendar" and schema.org JSON-LD.

The iCalendar UID is `event-<id>@<site host>`, stable across downloads, so a calendar that imports the file
twice updates the entry instead of doubling it; SEQUENCE, LAST-MODIFIED and DTSTAMP tell it which version is
newer. All-day events are exported as dates with an exclusive DTEND, exactly as they are stored.
"""

import contextlib
import copy
import datetime as dt
import json
import re
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

import icalendar
from dateutil.rrule import rrulestr
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crosscluster.core.plain_text import html_to_text
from crosscluster.core.sanitize import clean_text, clean_texts

from . import queries, series
from .feeds.ical import parse_ical
from .models import Event
from .times import all_day_dates, local, midnight
from .vtimezone import vtimezone_lines

ICAL_STATUS = {
    Event.Status.SCHEDULED: "CONFIRMED",
    Event.Status.CANCELLED: "CANCELLED",
    Event.Status.POSTPONED: "TENTATIVE",
}
SCHEMA_STATUS = {
    Event.Status.SCHEDULED: "https://schema.org/EventScheduled",
    Event.Status.CANCELLED: "https://schema.org/EventCancelled",
    Event.Status.POSTPONED: "https://schema.org/EventPostponed",
}
SCHEMA_ATTENDANCE = {
    Event.Format.ON_SITE: "https://schema.org/OfflineEventAttendanceMode",
    Event.Format.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
    Event.Format.HYBRID: "https://schema.org/MixedEventAttendanceMode",
}


def event_uid(event: Event) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"event-{event.pk}@{host}"


def event_sequence(event: Event) -> int:
    """The iCalendar SEQUENCE: seconds from creation to the last change, so it grows with every change
    (calendar programs take a higher SEQUENCE as the newer version) and needs no counter of its own."""
    return max(0, int((event.updated_at - event.created_at).total_seconds()))


def location_text(event: Event) -> str:
    return ", ".join(part for part in (event.venue, event.address, event.city) if part)


def map_url(event: Event) -> str:
    """An OpenStreetMap search for the address; only a link, so no map tiles load without a click."""
    query = ", ".join(part for part in (event.address, event.city) if part)
    if not query or event.format == Event.Format.ONLINE:
        return ""
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})


def plain_description(event: Event) -> str:
    """The description as text (`html_to_text`): for calendar files, the API and JSON-LD."""
    return html_to_text(event.description)


# The iCalendar text is written here directly (RFC 5545: escaped text, lines folded at 75 octets, CRLF)
# rather than through `icalendar`'s component objects: a subscription of 1,000 events took about a second
# with those, most of it in their generic property and folding code. The tests read every export back with
# `icalendar`.


def escape_text(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, line breaks as `\\n`, and no control
    characters (core.sanitize.clean_text; stored text has none, but one must not break a subscription)."""
    return (
        clean_text(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """One content line, folded into lines of at most 75 octets, never inside a UTF-8 character."""
    data = line.encode()
    if len(data) <= 75:
        return line + "\r\n"
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte: step back
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74  # continuation lines begin with a space
    return "\r\n ".join(parts) + "\r\n"


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(value: dt.datetime) -> str:
    return local(value).strftime("%Y%m%dT%H%M%S")


def _header(extra: list[str]) -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        f"PRODID:-//{escape_text(settings.SITE_NAME)}//Netzwerktimer//DE",
        "VERSION:2.0",
        *extra,
    ]


def calendar_text(header: list[str], events: list[list[str]], timezones: list[str] = ()) -> bytes:
    """A VCALENDAR of these unfolded property lines, VTIMEZONE lines and VEVENTs (from `event_lines`)."""
    lines = [*_header(header), *timezones, *(line for event in events for line in event), "END:VCALENDAR"]
    return "".join(map(_fold, lines)).encode()


# The fields `event_lines` reads: subscriptions load only these (`QuerySet.only`), not the search text and
# the rest of 1,000 events.
ICS_FIELDS = (
    "title",
    "description",
    "start",
    "end",
    "all_day",
    "rrule",
    "venue",
    "address",
    "city",
    "online_url",
    "status",
    "created_at",
    "updated_at",
)
# A postponed event has no iCalendar status of its own (TENTATIVE is the nearest); this property says it,
# and feeds.ical reads it back (docs/events.md).
STATUS_PROPERTY = "X-EVENT-STATUS"


def event_lines(
    event: Event,
    url: str,
    categories: Iterable[str] = (),
    *,
    stamp: dt.datetime,
    in_zone: bool = False,
    recurrence: Iterable[str] = (),
    uid: str | None = None,
) -> list[str]:
    """One VEVENT as unfolded lines; the single-event download and the subscription feeds
    (events.publishing) share it.

    `stamp` is DTSTAMP, the moment the file is written (RFC 5545 3.8.7.2: in a published calendar, when the
    iCalendar object was created); LAST-MODIFIED is the event's last change. Times are UTC, or with
    `in_zone` local times with the display zone's TZID (a series: its rule repeats local times, so 18:00
    stays 18:00 across the change to summer time; the file then needs the VTIMEZONE). `recurrence` are
    RRULE, RDATE, EXDATE or RECURRENCE-ID lines. An event without duration has no DTEND (RFC 5545 3.6.1:
    it then ends when it starts; a DTEND must lie after DTSTART).
    """
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(uid or event_uid(event))}",
        f"DTSTAMP:{_utc(stamp)}",
        f"LAST-MODIFIED:{_utc(event.updated_at)}",
        f"SEQUENCE:{event_sequence(event)}",
        f"SUMMARY:{escape_text(event.title)}",
    ]
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        lines += [f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
    elif in_zone:
        zone = settings.DISPLAY_TIME_ZONE
        lines.append(f"DTSTART;TZID={zone}:{_local(event.start)}")
        if event.end > event.start:
            lines.append(f"DTEND;TZID={zone}:{_local(event.end)}")
    else:
        lines.append(f"DTSTART:{_utc(event.start)}")
        if event.end > event.start:
            lines.append(f"DTEND:{_utc(event.end)}")
    lines += recurrence
    description = plain_description(event)
    if event.online_url:
        description = f"{description}\n\n{event.online_url}".strip()
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if location_text(event):
        lines.append(f"LOCATION:{escape_text(location_text(event))}")
    lines.append(f"URL:{url}")
    lines.append(f"STATUS:{ICAL_STATUS.get(event.status, 'CONFIRMED')}")
    if event.status == Event.Status.POSTPONED:
        lines.append(f"{STATUS_PROPERTY}:POSTPONED")
    if categories:
        lines.append("CATEGORIES:" + ",".join(map(escape_text, categories)))
    lines.append("END:VEVENT")
    return lines


def event_ics(event: Event, base: str, *, now: dt.datetime | None = None) -> bytes:
    """The single-event download; `base` is the site's address (`https://host`) for the page URLs.

    The first event of an entered series comes as the series (`series_ics`), so it is added as one; any
    other event, an occurrence of a series too, as itself.
    """
    now = now or timezone.now()
    if event.series_id is None and (event.rrule or event.rdates):
        return series_ics(event, base, now=now)
    return calendar_text([], [event_lines(event, base + event.get_absolute_url(), stamp=now)])


# A series ------------------------------------------------------------------------------------------------
#
# An entered series is stored as its first event (with RRULE, RDATE and EXDATE in Berlin time) and one row
# per further occurrence (series.expand_series). The download gives calendar programs the series itself,
# as RFC 5545 writes one: DTSTART and DTEND in local time with the display zone's TZID and its VTIMEZONE
# (a rule on UTC times moves every date after a change to or from summer time by an hour), the rule, and
# whatever makes the program show exactly the dates the site shows up to the last stored occurrence:
# - a date of the rule without a public row (left out by EXDATE, deleted, unpublished, merged into another
#   network's announcement, or before the first stored row) becomes an EXDATE;
# - a row whose time or text differs from the rule's (an occurrence edited on its own) becomes an
#   overriding VEVENT with the series' UID and a RECURRENCE-ID;
# - a public row that the rule does not make (kept as a record after the rule changed) is added by RDATE.
# Dates after the last stored row are the rule's, as the site lists them once the horizon moves on.

# How far ahead the VTIMEZONE's transitions reach for a rule without an end.
TIMEZONE_YEARS = 30
_SERIES_ROW_FIELDS = (*ICS_FIELDS, "series_id", "source_uid", "listed")
_OVERRIDE_FIELDS = ("title", "description", "venue", "address", "city", "online_url", "status")


def _last_year(event: Event, last_row: dt.datetime) -> int:
    """The last year the VTIMEZONE must be exact for: that of the rule's last date (its UNTIL or COUNT) or
    of the last stored row, at most `TIMEZONE_YEARS` after the start (a rule without an end)."""
    start = local(event.start)
    limit = dt.datetime(start.year + TIMEZONE_YEARS, 1, 1, tzinfo=start.tzinfo)
    last = local(last_row).replace(tzinfo=None)
    if event.rrule:
        text = event.rrule.strip().removeprefix("RRULE:")
        found: dt.datetime | None = limit
        # dateutil wants UNTIL in UTC with an aware start and a floating UNTIL with a floating start.
        for dtstart, until in ((start, limit), (start.replace(tzinfo=None), limit.replace(tzinfo=None))):
            try:
                found = rrulestr(text, dtstart=dtstart).before(until, inc=True)
            except (ValueError, TypeError):
                continue
            break
        last = max(last, (found or start).replace(tzinfo=None))
    return last.year


def _stored_dates(event: Event) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """The event's RDATEs and EXDATEs as aware moments, read by `icalendar` from the rule's file."""
    rule = icalendar.Calendar.from_ical(series.series_ics(event)).walk("VEVENT")[0]
    found: dict[str, list[dt.datetime]] = {"RDATE": [], "EXDATE": []}
    for name, moments in found.items():
        values = rule.get(name, [])
        for value in values if isinstance(values, list) else [values]:
            moments += [d.dt if isinstance(d.dt, dt.datetime) else midnight(d.dt) for d in value.dts]
    return found["RDATE"], found["EXDATE"]


def _rule_dates(event: Event, window_end: dt.datetime) -> dict[str, dt.datetime]:
    """{RECURRENCE-ID key: start} of the dates of the rule and the RDATEs (not taking out the EXDATEs) after
    the first, up to `window_end`, expanded by the same code into the same keys as the stored rows
    (series.series_ics and feeds.ical.parse_ical)."""
    if window_end <= event.start:
        return {}
    unexcluded = copy.copy(event)
    unexcluded.exdates = ""
    parsed = parse_ical(
        series.series_ics(unexcluded),
        horizon_start=event.start,
        # A day more: recurring-ical-events compares all-day dates with the horizon as floating times.
        horizon_end=window_end + dt.timedelta(days=1),
    )
    return {
        occurrence.recurrence_id: occurrence.start
        for occurrence in parsed.events
        if event.start < occurrence.start <= window_end
    }


def _overrides(event: Event, row: Event, original: dt.datetime) -> bool:
    """Whether the row is not what the rule makes of the event at `original`."""
    return (
        row.start != original
        or row.end - row.start != event.end - event.start
        or any(getattr(row, name) != getattr(event, name) for name in _OVERRIDE_FIELDS)
    )


def series_ics(event: Event, base: str, *, now: dt.datetime) -> bytes:
    """The first event of an entered series with its rule, exceptions and overridden occurrences."""
    rows = list(Event.objects.filter(series=event).only(*_SERIES_ROW_FIELDS).order_by("start", "pk"))
    window_end = max((row.start for row in rows), default=event.start)
    shown = {row.source_uid: row for row in rows if row.listed}
    dates = _rule_dates(event, window_end)
    stored_rdates, stored_exdates = _stored_dates(event)
    zone = settings.DISPLAY_TIME_ZONE
    kind = ";VALUE=DATE" if event.all_day else f";TZID={zone}"

    def values(moments: Iterable[dt.datetime]) -> str:
        return ",".join(
            f"{local(moment):%Y%m%d}" if event.all_day else _local(moment) for moment in sorted(set(moments))
        )

    rule_lines = []
    if event.rrule:
        # A rule we cannot read is left out rather than breaking the download; the rows come as RDATEs.
        with contextlib.suppress(ValueError):
            rule = icalendar.vRecur.from_ical(event.rrule.strip().removeprefix("RRULE:"))
            rule_lines.append("RRULE:" + rule.to_ical().decode())
    # The rule's own dates (without RDATEs): within the window, those without a public row are excluded.
    rdates = set(stored_rdates)
    by_rule = {key: start for key, start in dates.items() if start not in rdates} if rule_lines else {}
    added = [dates.get(key, row.start) for key, row in shown.items() if key not in by_rule]
    added += [moment for moment in stored_rdates if moment > window_end]
    excluded = [start for key, start in by_rule.items() if key not in shown]
    if rule_lines:
        excluded += [moment for moment in stored_exdates if moment > window_end]
    recurrence = list(rule_lines)
    if added:
        recurrence.append(f"RDATE{kind}:{values(added)}")
    if excluded:
        recurrence.append(f"EXDATE{kind}:{values(excluded)}")

    uid = event_uid(event)
    detail_url = queries.detail_url_maker()
    events = [event_lines(event, base + detail_url(event.pk), stamp=now, in_zone=True, recurrence=recurrence)]
    for key, row in sorted(shown.items(), key=lambda item: item[1].start):
        original = dates.get(key, row.start)
        if not _overrides(event, row, original):
            continue
        row.all_day = event.all_day  # RECURRENCE-ID and DTSTART take the series' value type
        recurrence_id = "RECURRENCE-ID" + kind + ":" + values([original])
        url = base + detail_url(row.pk)
        events.append(event_lines(row, url, stamp=now, in_zone=True, recurrence=[recurrence_id], uid=uid))
    timezones: list[str] = []
    if not event.all_day:
        first = local(min(event.start, *(row.start for row in rows))).year
        timezones = list(vtimezone_lines(zone, first, _last_year(event, window_end)))
    return calendar_text([], events, timezones)


# schema.org JSON-LD ---------------------------------------------------------------------------------------
#
# Shaped for Google's event rich result (developers.google.com/search/docs/appearance/structured-data/event):
# required are name, startDate and location (a Place with an address, or a VirtualLocation with a URL);
# recommended are endDate, description, eventStatus, eventAttendanceMode, organizer and offers (with price
# and priceCurrency). tests/events/test_views.py checks every event page against these rules.

# Amounts of money in a price text: "40 €", "12,50 EUR", "€ 1.200", "Euro 5".
_NUMBER = r"\d{1,3}(?:[.\u202f ]\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT = re.compile(rf"(?:({_NUMBER})\s*(?:€|EUR\b|Euro\b))|(?:(?:€|EUR|Euro)\s*({_NUMBER}))", re.IGNORECASE)
_PRICE_PARTS = re.compile(r"[,;/]\s+|\s+(?:und|oder|and|or)\s+")


def _price(number: str) -> str:
    """schema.org's price: digits with a dot for decimals ("12,50" and "1.200" are 12.50 and 1200)."""
    number = number.replace("\u202f", "").replace(" ", "")
    if "," in number:
        number = number.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        number = number.replace(".", "")
    return number


def prices(text: str) -> list[tuple[str, str]]:
    """(price, what it is for) of each amount in euros that a price text names, in its order."""
    found = []
    for part in _PRICE_PARTS.split(text) if len(_AMOUNT.findall(text)) > 1 else [text]:
        for match in _AMOUNT.finditer(part):
            found.append((_price(match.group(1) or match.group(2)), part.strip()))
    return found


def _place(event: Event) -> dict:
    """The Place of an event on site: the venue and its address as far as known.

    A feed's LOCATION is one line of text in `venue`; it is the address then (schema.org allows text).
    Without any place the event page says nothing; Google requires an address, so the Place names the
    place as not yet known, in the organisers' region.
    """
    if event.address or event.city:
        address: dict | str = {"@type": "PostalAddress", "addressCountry": "DE"}
        if event.address:
            address["streetAddress"] = event.address
        if event.city:
            address["addressLocality"] = event.city
        return {"@type": "Place", "name": event.venue or event.city or event.address, "address": address}
    if event.venue:
        return {"@type": "Place", "name": event.venue, "address": event.venue}
    regions = {organizer.region.name for organizer in event.listed_organizers}
    address = {"@type": "PostalAddress", "addressCountry": "DE"}
    if len(regions) == 1:
        address["addressRegion"] = regions.pop()
    return {"@type": "Place", "name": _("The venue will be announced"), "address": address}


def _offers(event: Event, url: str) -> list[dict]:
    """An Offer per price the event names (0 € when free); none when no price is known."""
    target = event.registration_url or url
    if event.is_free:
        return [{"@type": "Offer", "url": target, "price": "0", "priceCurrency": "EUR"}]
    found = prices(event.price_text)
    return [
        {"@type": "Offer", "url": target, "price": price, "priceCurrency": "EUR"}
        | ({"name": label} if len(found) > 1 else {})
        for price, label in found
    ]


def event_json_ld(event: Event, url: str) -> dict:
    """The schema.org Event of the event page; `url` is the page's address."""
    if event.all_day:
        # Dates, and the last day as endDate: schema.org's end is inclusive, iCalendar's DTEND is not.
        first, end = all_day_dates(event.start, event.end)
        start_date, end_date = first.isoformat(), (end - dt.timedelta(days=1)).isoformat()
    else:
        start_date, end_date = local(event.start).isoformat(), local(event.end).isoformat()
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": start_date,
        "endDate": end_date,
        "eventStatus": SCHEMA_STATUS[event.status],
        "eventAttendanceMode": SCHEMA_ATTENDANCE[event.format],
        "inLanguage": event.language,
        "isAccessibleForFree": event.is_free,
    }
    if plain_description(event):
        data["description"] = plain_description(event)
    locations = []
    if event.format != Event.Format.ONLINE:
        locations.append(_place(event))
    if event.format != Event.Format.ON_SITE:
        # Without a link of its own, the event page is where the link will be announced.
        locations.append({"@type": "VirtualLocation", "url": event.online_url or url})
    data["location"] = locations[0] if len(locations) == 1 else locations
    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    data["organizer"] = [
        {
            "@type": "Organization",
            "name": organization.name,
            "url": organization.website or base + organization.get_absolute_url(),
        }
        for organization in event.listed_organizers
    ]
    offers = _offers(event, url)
    if offers:
        data["offers"] = offers[0] if len(offers) == 1 else offers
    return data


def json_ld_script(data: dict) -> SafeString:
    """The data as the body of a <script> element: `<`, `>` and `&` escaped, so no text can close it."""
    # Cleaned once more, like the feeds: a lone surrogate could not even be encoded into the page.
    text = json.dumps(clean_texts(data), ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 — escaped above


# "Add to calendar" links of the event page: plain links that carry the event in their address, so nothing
# is requested from Google or Microsoft before the visitor clicks. All-day events give their dates (end
# exclusive), timed ones their UTC moments.


def _calendar_text(event: Event, url: str, limit: int = 1000) -> str:
    description = plain_description(event)
    if len(description) > limit:  # addresses of several thousand characters fail in some browsers
        description = description[:limit].rsplit(" ", 1)[0] + " …"
    return f"{description}\n\n{url}".strip()


def google_calendar_url(event: Event, url: str) -> str:
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        dates = f"{first:%Y%m%d}/{end:%Y%m%d}"
    else:
        dates = f"{_utc(event.start)}/{_utc(event.end)}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": _calendar_text(event, url),
        "location": location_text(event) or event.online_url,
        "ctz": settings.DISPLAY_TIME_ZONE,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event: Event, url: str) -> str:
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        start_text, end_text = first.isoformat(), end.isoformat()
    else:
        start_text = event.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        end_text = event.end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": start_text,
        "enddt": end_text,
        "allday": "true" if event.all_day else "false",
        "body": _calendar_text(event, url),
        "location": location_text(event) or event.online_url,
    }
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(query)


def zone_name(event: Event) -> str:
    """The display zone's abbreviation at the event's start, in German's words where they differ: the time
    zone is a fact of the event page (visitors from abroad read the times as German time)."""
    abbreviation = local(event.start).tzname() or ""
    return {"CET": _("CET"), "CEST": _("CEST")}.get(abbreviation, abbreviation)
