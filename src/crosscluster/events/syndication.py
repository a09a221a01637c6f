"""RSS and Atom feeds of upcoming events, with the public list's filters (see events.publishing)."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import publishing
from .export import plain_description
from .models import Event
from .times import local

FEED_SIZE = 100


class UpcomingEventsFeed(Feed):
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
        when = date_format(local(event.start), "SHORT_DATE_FORMAT")
        status = "" if event.status == Event.Status.SCHEDULED else f" ({event.get_status_display()})"
        return f"{when}: {event.title}{status}"

    def item_description(self, event: Event) -> str:
        return plain_description(event)

    def item_pubdate(self, event: Event) -> dt.datetime:
        return event.created_at

    def item_updateddate(self, event: Event) -> dt.datetime:
        return event.updated_at

    def item_categories(self, event: Event) -> list[str]:
        return [topic.name for topic in event.listed_topics]

    def item_author_name(self, event: Event) -> str:
        return ", ".join(organizer.name for organizer in event.listed_organizers)


class UpcomingEventsAtomFeed(UpcomingEventsFeed):
    feed_type = Atom1Feed

    def subtitle(self, request: HttpRequest) -> str:
        return self.description(request)
