"""The pages that bring the apps together: the home page and a topic's page across the networks.

Each app is read through its own public choke point (directory.queries, events.queries, news.queries), so
nothing unpublished shows up here.
"""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from crosscluster.directory import queries
from crosscluster.directory.models import Topic
from crosscluster.events import queries as event_queries
from crosscluster.events.publishing import upcoming_events
from crosscluster.news import queries as news_queries
from crosscluster.news.rendering import render_markdown

HOME_EVENTS = 6
HOME_NOTICES = 3


def home(request: HttpRequest) -> HttpResponse:
    """What this is, the way to ask, the coming weeks of the Netzwerktimer, notices, topics, members."""
    region = queries.default_region()
    topics = queries.topics_with_counts().filter(Q(organization_count__gt=0) | Q(offer_count__gt=0))
    members = list(queries.member_organizations(region))
    context = {
        "region": region,
        "members": members,
        "topics": topics,
        "events": upcoming_events(event_queries.filter_events(), timezone.now(), HOME_EVENTS),
        "notices": news_queries.current_notices(limit=HOME_NOTICES),
    }
    return render(request, "portal/home.html", context)


TOPIC_EVENTS = 5
TOPIC_NOTICES = 5


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Everything on one topic across the networks: the coordination office's introduction, organisations,
    offers, upcoming events and current notices, with the ways to ask and to subscribe."""
    topic = get_object_or_404(Topic, slug=slug)
    events = event_queries.upcoming(event_queries.filter_events(topic=topic), timezone.now())
    context = {
        "topic": topic,
        "introduction": render_markdown(topic.introduction),
        "organizations": queries.topic_organizations(topic),
        "offers": queries.topic_offers(topic),
        "events": list(event_queries.with_relations(events.order_by("start", "pk"))[:TOPIC_EVENTS]),
        "notices": news_queries.current_notices(topic=topic, limit=TOPIC_NOTICES),
    }
    return render(request, "portal/topic_detail.html", context)
