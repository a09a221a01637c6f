"""Clashes for the coordination office: events of different networks on the same day and topic.

Two events clash when they run on the same day (Berlin time), share a topic, and have no organiser in
common: the same audience is invited twice. The office sees the next `DAYS` days, grouped by day and topic,
and can ask the networks to talk. Events come from `queries.filter_events()`, so only public (and, once
duplicates are merged, canonical) events count.
"""

import datetime as dt
from dataclasses import dataclass
from itertools import combinations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crosscluster.directory.access import is_coordinator
from crosscluster.directory.models import Topic

from . import queries
from .models import Event
from .times import local, midnight

DAYS = 90


@dataclass
class Clash:
    topic: Topic
    events: list[Event]


@dataclass
class ClashDay:
    date: dt.date
    clashes: list[Clash]


def _organizer_ids(event: Event) -> set[int]:
    return {organizer.pk for organizer in event.organizers.all()}


def find_clashes(today: dt.date, days: int = DAYS) -> list[ClashDay]:
    """Days from `today` on with at least one clash; on each, one entry per shared topic."""
    last = today + dt.timedelta(days=days - 1)
    events = queries.in_range(queries.filter_events(), midnight(today), midnight(last + dt.timedelta(days=1)))
    events = list(queries.with_relations(events.order_by("start", "pk")))
    result = []
    for day in queries.days_with_events(events, today, last):
        by_topic: dict[int, tuple[Topic, list[Event]]] = {}
        for event in day.events:
            for topic in event.topics.all():
                by_topic.setdefault(topic.pk, (topic, []))[1].append(event)
        clashes = [
            Clash(topic=topic, events=same_topic)
            for topic, same_topic in by_topic.values()
            if any(
                not (_organizer_ids(first) & _organizer_ids(second))
                for first, second in combinations(same_topic, 2)
            )
        ]
        if clashes:
            clashes.sort(key=lambda clash: (clash.topic.position, clash.topic.name))
            result.append(ClashDay(date=day.date, clashes=clashes))
    return result


@login_required
def event_clashes(request: HttpRequest) -> HttpResponse:
    if not is_coordinator(request.user):
        raise PermissionDenied
    today = local(timezone.now()).date()
    context = {"days": find_clashes(today), "day_count": DAYS}
    return render(request, "events/manage/event_clashes.html", context)
