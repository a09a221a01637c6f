"""Template helpers for publishing: subscription URLs of the current list, an organisation's next events."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from crosscluster.directory.models import Organization, Topic
from crosscluster.events.models import Event
from crosscluster.events.publishing import calendar_name, filter_query, upcoming_events
from crosscluster.events.queries import filter_events

register = template.Library()


@register.simple_tag(takes_context=True)
def subscription_url(context: template.Context, name: str, **kwargs: str) -> str:
    """The absolute URL of `events:<name>` with the filters of the current request (paging dropped)."""
    request = context["request"]
    query = filter_query(request.GET)
    url = request.build_absolute_uri(reverse(f"events:{name}", kwargs=kwargs or None))
    return f"{url}?{query}" if query else url


@register.simple_tag
def upcoming_events_of(organization: Organization, limit: int = 5) -> list[Event]:
    """The next public events of an organisation, for its page (three queries, whatever the count)."""
    return upcoming_events(filter_events(organizer=organization), timezone.now(), limit)


@register.simple_tag(takes_context=True)
def feed_links(
    context: template.Context, organization: Organization | None = None, topic: Topic | None = None
) -> dict[str, str]:
    """The name and absolute URLs (`rss`, `atom`, `ics`) of the feeds a page names in its <head>: the
    current list's filters, or those of the organisation or topic whose page it is."""
    request = context["request"]

    def absolute(name: str, query: str = "", **kwargs: str) -> str:
        url = request.build_absolute_uri(reverse(f"events:{name}", kwargs=kwargs or None))
        return f"{url}?{query}" if query else url

    if organization:  # a variable a page does not have resolves to ""
        query = urlencode({"organizer": organization.slug})
        ics = absolute("organization-calendar", slug=organization.slug)
        name = calendar_name(organization.name)
    elif topic:
        query = urlencode({"topic": topic.slug})
        ics = absolute("topic-calendar", slug=topic.slug)
        name = calendar_name(topic.name)
    else:
        query = filter_query(request.GET)
        ics = absolute("calendar", query)
        name = calendar_name()
    return {"name": name, "rss": absolute("rss", query), "atom": absolute("atom", query), "ics": ics}
