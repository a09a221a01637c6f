"""One event for other programs: an iCalendar file for "add to my calendar" and schema.org JSON-LD.

The iCalendar UID is `event-<id>@<site host>`, stable across downloads, so a calendar that imports the file
twice updates the entry instead of doubling it; SEQUENCE, LAST-MODIFIED and DTSTAMP tell it which version is
newer. All-day events are exported as dates with an exclusive DTEND, exactly as they are stored.
"""

import contextlib
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


def new_calendar() -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//Netzwerktimer//DE")
    calendar.add("version", "2.0")
    return calendar


def event_ics(event: Event, url: str) -> bytes:
    calendar = new_calendar()
    calendar.add_component(event_component(event, url))
    return calendar.to_ical()


def event_component(event: Event, url: str) -> icalendar.Event:
    """One VEVENT; the single-event download and the subscription feeds (events.publishing) share it."""
    entry = icalendar.Event()
    entry.add("uid", event_uid(event))
    entry.add("dtstamp", event.updated_at)
    entry.add("last-modified", event.updated_at)
    entry.add("sequence", event_sequence(event))
    entry.add("summary", event.title)
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        entry.add("dtstart", first)
        entry.add("dtend", end)
    else:
        entry.add("dtstart", event.start)
        entry.add("dtend", event.end)
    if event.rrule:
        # A rule we cannot read is left out rather than breaking the download.
        with contextlib.suppress(ValueError):
            entry.add("rrule", icalendar.vRecur.from_ical(event.rrule.removeprefix("RRULE:")))
    description = plain_description(event)
    if event.online_url:
        description = f"{description}\n\n{event.online_url}".strip()
    if description:
        entry.add("description", description)
    if location_text(event):
        entry.add("location", location_text(event))
    entry.add("url", url)
    entry.add("status", ICAL_STATUS.get(event.status, "CONFIRMED"))
    return entry


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
