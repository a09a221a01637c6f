"""One event for other programs: an iCalendar file for "add to my calendar" and schema.org JSON-LD.

The iCalendar UID is `event-<id>@<site host>`, stable across downloads, so a calendar that imports the file
twice updates the entry instead of doubling it; SEQUENCE, LAST-MODIFIED and DTSTAMP tell it which version is
newer. All-day events are exported as dates with an exclusive DTEND, exactly as they are stored.
"""

import contextlib
import datetime as dt
import html
import json
from urllib.parse import urlencode, urlsplit

import icalendar
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from .models import Event
from .times import all_day_dates, local

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
    """The description as text: tags dropped, entities such as `&amp;` turned back into characters."""
    return html.unescape(strip_tags(event.description)).strip()


# The iCalendar text is written here directly (RFC 5545: escaped text, lines folded at 75 octets, CRLF)
# rather than through `icalendar`'s component objects: a subscription of 1,000 events took about a second
# with those, most of it in their generic property and folding code. The tests read every export back with
# `icalendar`.


def escape_text(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
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


def _header(extra: list[str]) -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        f"PRODID:-//{escape_text(settings.SITE_NAME)}//Netzwerktimer//DE",
        "VERSION:2.0",
        *extra,
    ]


def calendar_text(header: list[str], events: list[list[str]]) -> bytes:
    """A VCALENDAR of these unfolded property lines and VEVENTs (from `event_lines`)."""
    lines = [*_header(header), *(line for event in events for line in event), "END:VCALENDAR"]
    return "".join(map(_fold, lines)).encode()


def event_ics(event: Event, url: str) -> bytes:
    """The single-event download: a recurring event comes with its rule, so it is added as a series."""
    return calendar_text([], [event_lines(event, url, with_rule=True)])


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


def event_lines(event: Event, url: str, categories: list[str] = (), *, with_rule: bool = False) -> list[str]:
    """One VEVENT as unfolded lines; the single-event download and the subscription feeds
    (events.publishing) share it. Subscriptions leave out the rule: they list every occurrence as an
    event of its own (services.expand_series), and a calendar program would otherwise show each twice."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event_uid(event))}",
        f"DTSTAMP:{_utc(event.updated_at)}",
        f"LAST-MODIFIED:{_utc(event.updated_at)}",
        f"SEQUENCE:{event_sequence(event)}",
        f"SUMMARY:{escape_text(event.title)}",
    ]
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        lines += [f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
    else:
        lines += [f"DTSTART:{_utc(event.start)}", f"DTEND:{_utc(event.end)}"]
    if event.rrule and with_rule:
        # A rule we cannot read is left out rather than breaking the download.
        with contextlib.suppress(ValueError):
            rule = icalendar.vRecur.from_ical(event.rrule.removeprefix("RRULE:"))
            lines.append("RRULE:" + rule.to_ical().decode())
    description = plain_description(event)
    if event.online_url:
        description = f"{description}\n\n{event.online_url}".strip()
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if location_text(event):
        lines.append(f"LOCATION:{escape_text(location_text(event))}")
    lines.append(f"URL:{url}")
    lines.append(f"STATUS:{ICAL_STATUS.get(event.status, 'CONFIRMED')}")
    if categories:
        lines.append("CATEGORIES:" + ",".join(map(escape_text, categories)))
    lines.append("END:VEVENT")
    return lines


def event_json_ld(event: Event, url: str) -> dict:
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        start_date, end_date = first.isoformat(), end.isoformat()
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
    if event.format != Event.Format.ONLINE and (event.venue or event.address or event.city):
        address = {"@type": "PostalAddress", "addressCountry": "DE"}
        if event.address:
            address["streetAddress"] = event.address
        if event.city:
            address["addressLocality"] = event.city
        locations.append({"@type": "Place", "name": event.venue or event.city, "address": address})
    if event.format != Event.Format.ON_SITE and event.online_url:
        locations.append({"@type": "VirtualLocation", "url": event.online_url})
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    data["organizer"] = [
        {"@type": "Organization", "name": organization.name, "url": organization.website or None}
        for organization in event.listed_organizers
    ]
    for organizer in data["organizer"]:
        if organizer["url"] is None:
            del organizer["url"]
    if event.registration_url or event.price_text:
        offer = {"@type": "Offer", "url": event.registration_url or url}
        if event.is_free:
            offer.update(price="0", priceCurrency="EUR")
        elif event.price_text:
            offer["description"] = event.price_text
        data["offers"] = offer
    return data


def json_ld_script(data: dict) -> SafeString:
    """The data as the body of a <script> element: `<`, `>` and `&` escaped, so no text can close it."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 — escaped above
