"""Events of the Netzwerktimer: the public calendar as a list, one event, and an iCalendar export.

Links point to the pages in the site's default language (German, no prefix), like the iCalendar UIDs.

Every query starts from `events.queries.filter_events` (so from `events.access.public_events()`), the same
choke point as the public pages: what the API lists is what the calendar shows.
"""

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from crosscluster.core.bounds import date_in_range, date_range_message
from crosscluster.core.plain_text import html_to_text
from crosscluster.directory.models import Topic
from crosscluster.directory.queries import published_organizations
from crosscluster.events import publishing, queries
from crosscluster.events.models import Event
from crosscluster.events.times import midnight

from .pagination import Page, PageParams, paginate
from .schemas import SLUG_PATTERN, ClientSchema, english, german, problems

router = Router(tags=["Events"])

EventFormat = Literal[*Event.Format.values]  # type: ignore[valid-type]
EventStatus = Literal[*Event.Status.values]  # type: ignore[valid-type]


class EventFilters(ClientSchema):
    organizer: str | None = Field(None, pattern=SLUG_PATTERN, description="Organisation slug.")
    topic: str | None = Field(None, pattern=SLUG_PATTERN, description="Topic slug.")
    format: EventFormat | None = None
    city: str | None = Field(None, max_length=100, description="City name, exactly as listed.")
    date_from: dt.date | None = Field(
        None,
        alias="from",
        description="Events running on or after this day (Berlin time), 1900-01-01 to 2200-12-31.",
    )
    date_to: dt.date | None = Field(
        None,
        alias="to",
        description="Events starting on or before this day (Berlin time), 1900-01-01 to 2200-12-31.",
    )
    q: str | None = Field(None, max_length=200, description="Words to find in any German word form.")
    free: bool | None = Field(None, description="`true`: free of charge only.")


def _page_path(event: Event) -> str:
    """The page in the site's default language, whatever language the API client asked for."""
    with translation.override(settings.LANGUAGE_CODE):
        return event.get_absolute_url()


class EventOut(Schema):
    id: int
    title: str
    title_en: str | None = Field(..., description="The title in English; null when there is none.")
    url: str = Field(..., description="Absolute URL of the event's public page.")
    ical_url: str = Field(
        ..., description="Absolute URL of the event's .ics file; for the first date of a series, the series."
    )
    description: str = Field(
        ...,
        description="Plain text: paragraphs separated by a blank line, line breaks kept, list items on "
        "lines of their own, a link's address after its words.",
    )
    description_en: str | None = Field(
        ...,
        description="The description in English, as plain text like `description`; null when there is none.",
    )
    start: dt.datetime
    end: dt.datetime = Field(..., description="For all-day events midnight after the last day (exclusive).")
    all_day: bool
    first_day: dt.date = Field(..., description="The first day in Berlin time.")
    last_day: dt.date = Field(..., description="The last day in Berlin time (inclusive).")
    status: EventStatus
    format: EventFormat
    venue: str
    address: str
    city: str
    online_url: str
    is_free: bool
    price_text: str
    registration_url: str
    language: str
    organizers: list[str] = Field(..., description="Slugs of every published organiser.")
    topics: list[str] = Field(..., description="Topic slugs.")

    @staticmethod
    def resolve_url(obj: Event, context: dict[str, Any]) -> str:
        return str(context["request"].build_absolute_uri(_page_path(obj)))

    @staticmethod
    def resolve_ical_url(obj: Event, context: dict[str, Any]) -> str:
        return str(context["request"].build_absolute_uri(f"{_page_path(obj)}kalender.ics"))

    @staticmethod
    def resolve_title(obj: Event) -> str:
        return german(obj, "title")

    @staticmethod
    def resolve_title_en(obj: Event) -> str | None:
        return english(obj, "title")

    @staticmethod
    def resolve_description(obj: Event) -> str:
        return str(html_to_text(german(obj, "description")))

    @staticmethod
    def resolve_description_en(obj: Event) -> str | None:
        text = english(obj, "description")
        return html_to_text(text) if text else None

    @staticmethod
    def resolve_organizers(obj: Event) -> list[str]:
        return [organization.slug for organization in obj.listed_organizers]

    @staticmethod
    def resolve_topics(obj: Event) -> list[str]:
        return [topic.slug for topic in obj.listed_topics]


class EventList(Schema):
    count: int
    items: list[EventOut]


def _invalid_query(field: str, detail: str, code: str) -> ValidationError:
    return ValidationError([{"loc": ("query", field), "msg": detail, "type": code}])


def _filtered(filters: EventFilters) -> tuple[Any, bool]:
    """The public events matching the filters, and whether the client chose a start day."""
    organizer = topic = None
    if filters.organizer:
        organizer = published_organizations().filter(slug=filters.organizer).first()
        if organizer is None:
            raise _invalid_query("organizer", _("There is no organisation with this slug."), "unknown_slug")
    if filters.topic:
        topic = Topic.objects.filter(slug=filters.topic).first()
        if topic is None:
            raise _invalid_query("topic", _("There is no topic with this slug."), "unknown_slug")
    for name, value in (("from", filters.date_from), ("to", filters.date_to)):
        if value is not None and not date_in_range(value):
            raise _invalid_query(name, date_range_message(), "date_out_of_range")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise _invalid_query("to", _("The end day lies before the start day."), "to_before_from")
    events = queries.filter_events(
        text=filters.q or "",
        topic=topic,
        organizer=organizer,
        format=filters.format or "",
        city=filters.city or "",
        free_only=bool(filters.free),
    )
    events = queries.in_range(
        events,
        midnight(filters.date_from) if filters.date_from else None,
        midnight(filters.date_to + dt.timedelta(days=1)) if filters.date_to else None,
    )
    return events, filters.date_from is not None


@router.get(
    "/events",
    response={200: EventList, **problems(422)},
    operation_id="listEvents",
    summary="List public events",
    description="Upcoming events, soonest first, unless `from` chooses another first day.",
)
def list_events(request: HttpRequest, filters: Query[EventFilters], page: Query[PageParams]) -> Page:
    events, has_start = _filtered(filters)
    if not has_start:
        events = queries.upcoming(events, timezone.now())
    return paginate(queries.with_relations(events.order_by("start", "pk")), page)


@router.get(
    "/events.ics",
    response={**problems(422)},
    operation_id="exportEventsIcal",
    summary="The public events as an iCalendar file to subscribe to",
    description=(
        "The same filters as `listEvents`. Without `from`: the last 30 days and everything upcoming; "
        "at most 1000 events. UIDs are stable (`event-<id>@<host>`)."
    ),
    openapi_extra={
        "responses": {
            200: {"description": "OK", "content": {"text/calendar": {"schema": {"type": "string"}}}}
        }
    },
)
def export_events_ical(request: HttpRequest, filters: Query[EventFilters]) -> HttpResponse:
    events, has_start = _filtered(filters)
    now = timezone.now()
    items = publishing.subscription_events(events, now, keep_past=has_start)
    with translation.override(settings.LANGUAGE_CODE):
        body = publishing.calendar_ics(items, name=publishing.calendar_name(), request=request)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@router.get(
    "/events/{event_id}",
    response={200: EventOut, **problems(404)},
    operation_id="getEvent",
    summary="Get a public event",
)
def get_event(request: HttpRequest, event_id: int) -> Event:
    event = queries.event_for_page(event_id)
    if event is None:
        raise Http404(_("There is no event %(id)s.") % {"id": event_id})
    return event
