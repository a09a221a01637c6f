"""Template helpers for publishing: subscription URLs of the current list, an organisation's next events."""

from django import template
from django.urls import reverse
from django.utils import timezone

from crosscluster.directory.models import Organization
from crosscluster.events.models import Event
from crosscluster.events.publishing import filter_query, upcoming_events
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
