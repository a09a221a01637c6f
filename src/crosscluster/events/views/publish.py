"""The public calendar for other programs and pages: subscriptions, feeds and the embeddable widget."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt

from crosscluster.directory.models import Topic
from crosscluster.directory.queries import published_organizations

from .. import publishing
from ..syndication import UpcomingEventsAtomFeed, UpcomingEventsFeed

WIDGET_SIZE = 10

rss_feed = UpcomingEventsFeed()
atom_feed = UpcomingEventsAtomFeed()


def _calendar_response(request: HttpRequest, name: str, filename: str, **overrides) -> HttpResponse:
    form = publishing.filter_form(request.GET)
    events = publishing.subscription_events(publishing.filtered_events(form, **overrides), timezone.now())
    body = publishing.calendar_ics(events, name=name, request=request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # Inline, so that a calendar program subscribing to the URL is not told to save a file.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def calendar(request: HttpRequest) -> HttpResponse:
    return _calendar_response(request, publishing.calendar_name(), "veranstaltungen.ics")


def organization_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(published_organizations(), slug=slug)
    return _calendar_response(
        request,
        publishing.calendar_name(organization.name),
        f"{organization.slug}.ics",
        organizer=organization,
    )


def topic_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    return _calendar_response(request, publishing.calendar_name(topic.name), f"{topic.slug}.ics", topic=topic)


def _framed_by_members(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No X-Frame-Options, and the policy's frame-ancestors from WIDGET_FRAME_ANCESTORS (read per request)."""

    @xframe_options_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy = {"frame-ancestors": settings.WIDGET_FRAME_ANCESTORS}
        return csp_replace(policy)(view)(request, *args, **kwargs)

    return wrapper


@_framed_by_members
def widget(request: HttpRequest) -> HttpResponse:
    """A small list of upcoming events to show in an iframe on a member's own site; no site chrome.

    The one page that may be framed (no X-Frame-Options, and the Content Security Policy's frame-ancestors
    from WIDGET_FRAME_ANCESTORS); every other page is refused in a frame."""
    form = publishing.filter_form(request.GET)
    events = publishing.upcoming_events(publishing.filtered_events(form), timezone.now(), WIDGET_SIZE)
    query = publishing.filter_query(request.GET)
    return render(request, "events/widget.html", {"events": events, "form": form, "query": query})
