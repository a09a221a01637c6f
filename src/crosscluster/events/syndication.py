"""RSS and Atom feeds of upcoming events, with the public list's filters (see events.publishing).

A feed reader shows title and description, so the description begins with when and where (and a status other
than scheduled) as text, followed by the event's own description as HTML, the form readers render (plain
text would lose its paragraphs there). Programs get the same facts in fields they read:

- the RSS Event module (`http://purl.org/rss/1.0/modules/event/`, prefix `ev`), as WordPress and Drupal
  event plugins write it and feedparser, ROME and calendar aggregators read it: `ev:startdate` and
  `ev:enddate` (ISO 8601 with the UTC offset; all-day events as dates, the end the last day, inclusive, as the
  module's examples have it; a zero-length event has its start as end), `ev:location`, `ev:organizer`;
- `schema:eventStatus` (`https://schema.org/`): the module has no status; schema.org's values are those of
  the page's JSON-LD (EventScheduled, EventCancelled, EventPostponed).

Our own RSS import (events.feeds.rss) reads all of them back, so a feed of this site imports as it is listed.
"""

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import SyndicationFeed
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crosscluster.core.syndication import AtomFeed, RssFeed

from . import publishing
from .export import SCHEMA_STATUS, location_text
from .models import Event
from .templatetags.events_display import event_when
from .times import all_day_dates, local

FEED_SIZE = 100
EVENT_MODULE = "http://purl.org/rss/1.0/modules/event/"
SCHEMA = "https://schema.org/"


def event_fields(event: Event) -> dict[str, str]:
    """The machine-readable facts of an item: {element name: text}."""
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        start, last = first.isoformat(), (end - dt.timedelta(days=1)).isoformat()
    else:
        start, last = local(event.start).isoformat(), local(event.end).isoformat()
    fields = {"ev:startdate": start, "ev:enddate": last}
    if location_text(event):
        fields["ev:location"] = location_text(event)
    organizers = ", ".join(organizer.name for organizer in event.listed_organizers)
    if organizers:
        fields["ev:organizer"] = organizers
    fields["schema:eventStatus"] = SCHEMA_STATUS[event.status]
    return fields


NAMESPACES = {"xmlns:ev": EVENT_MODULE, "xmlns:schema": SCHEMA}


class _EventElements:
    """The item elements above, for both feed types."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)  # type: ignore[misc]
        for name, value in item["event_fields"].items():
            handler.addQuickElement(name, value)


class EventRssFeed(_EventElements, RssFeed):
    def rss_attributes(self) -> dict[str, str]:
        # On <rss>, where readers look for them (Django's root_attributes are those of <channel>).
        return {**super().rss_attributes(), **NAMESPACES}


class EventAtomFeed(_EventElements, AtomFeed):
    def root_attributes(self) -> dict[str, str]:
        return {**super().root_attributes(), **NAMESPACES}


class UpcomingEventsFeed(Feed):
    feed_type: type[SyndicationFeed] = EventRssFeed

    def get_object(self, request: HttpRequest) -> HttpRequest:
        # The "object" is the request itself: its filters choose the items.
        return request

    def title(self, request: HttpRequest) -> str:
        return publishing.calendar_name()

    def link(self, request: HttpRequest) -> str:
        query = publishing.filter_query(request.GET)
        return reverse("events:list") + (f"?{query}" if query else "")

    def description(self, request: HttpRequest) -> str:
        return _("Upcoming events of all member networks.")

    def items(self, request: HttpRequest) -> list[Event]:
        form = publishing.filter_form(request.GET)
        return publishing.upcoming_events(publishing.filtered_events(form), timezone.now(), FEED_SIZE)

    def item_title(self, event: Event) -> str:
        return event.title

    def item_description(self, event: Event) -> str:
        """When and where (and a status other than scheduled), then the description, as HTML."""
        status = "" if event.status == Event.Status.SCHEDULED else event.get_status_display()
        facts = format_html(
            "<p><strong>{}</strong>{}{}</p>",
            event_when(event),
            format_html(" – {}", status) if status else "",
            format_html("<br>{}", location_text(event)) if location_text(event) else "",
        )
        # Stored cleaned by core.sanitize.clean_html (events.services), like the event page shows it.
        return facts + mark_safe(event.description)  # noqa: S308

    def item_pubdate(self, event: Event) -> dt.datetime:
        return event.created_at

    def item_updateddate(self, event: Event) -> dt.datetime:
        return event.updated_at

    def item_categories(self, event: Event) -> list[str]:
        return [topic.name for topic in event.listed_topics]

    def item_author_name(self, event: Event) -> str:
        return ", ".join(organizer.name for organizer in event.listed_organizers)

    def item_extra_kwargs(self, event: Event) -> dict[str, Any]:
        return {"event_fields": event_fields(event)}


class UpcomingEventsAtomFeed(UpcomingEventsFeed):
    feed_type = EventAtomFeed

    def subtitle(self, request: HttpRequest) -> str:
        return self.description(request)
