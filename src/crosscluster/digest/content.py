"""What a digest contains: the new notices, the coming events and the new cooperation profiles ("new
cooperation offers in your topics"), each with the topics it belongs to.

`DigestMaterial` loads everything public of one issue's window in a few queries; each subscriber's mail is
then picked from it in memory by topic, so a run over thousands of subscribers does not query per subscriber
for content, and the coordination office's preview shows exactly what the run would send.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.text import Truncator

from crosscluster.core.plain_text import html_to_text
from crosscluster.directory.models import Topic
from crosscluster.events.access import public_events
from crosscluster.events.models import Event
from crosscluster.events.queries import in_range, with_relations
from crosscluster.news.access import public_notices
from crosscluster.news.models import Notice


@dataclass
class DigestItems:
    notices: list[Notice] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    cooperation: list[Any] = field(default_factory=list)  # CooperationProfile published in the window

    def __bool__(self) -> bool:
        return bool(self.notices or self.events or self.cooperation)


def excerpt(body_html: str, words: int = 40) -> str:
    """The first words of the body, entities decoded; paragraphs end where they did (`html_to_text`), not
    glued to the next one's first word."""
    return Truncator(" ".join(html_to_text(body_html).split())).words(words)


def event_window(until: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Events of the issue: from its cut-off (or now, for a run resumed later) for DIGEST_EVENT_DAYS days."""
    return max(until, now), until + dt.timedelta(days=settings.DIGEST_EVENT_DAYS)


def _new_cooperation_profiles(since: dt.datetime, until: dt.datetime) -> list[Any]:
    """Public cooperation profiles published in (since, until], newest first (none without the app)."""
    from django.apps import apps

    if not apps.is_installed("crosscluster.cooperation"):
        return []
    from crosscluster.cooperation.access import public_profiles

    return list(
        public_profiles()
        .filter(published_at__gt=since, published_at__lte=until)
        .prefetch_related("topics")
        .order_by("-published_at", "-id")
    )


class DigestMaterial:
    """Public notices that became valid in (since, until] and public events of the coming days, by topic."""

    def __init__(self, *, since: dt.datetime, until: dt.datetime, now: dt.datetime | None = None) -> None:
        now = now or timezone.now()
        self.since, self.until = since, until
        self.events_from, self.events_to = event_window(until, now)
        self.notices: list[Notice] = list(
            public_notices(now)
            .filter(valid_from__gt=since, valid_from__lte=until)
            .select_related("organization")
            .prefetch_related("topics")
            .order_by("-pinned", "-valid_from", "-id")
        )
        self.events: list[Event] = list(
            with_relations(in_range(public_events(), self.events_from, self.events_to)).order_by(
                "start", "id"
            )
        )
        for notice in self.notices:
            # Plain text, entities decoded: the HTML mail escapes it once, the text mail shows it as it is.
            notice.excerpt = excerpt(notice.body_html)
        self._notice_topics = {
            notice.pk: {topic.pk for topic in notice.topics.all()} for notice in self.notices
        }
        # An event stands for its group of duplicates: the topics of the whole group count.
        self._event_topics = {event.pk: {topic.pk for topic in event.listed_topics} for event in self.events}
        self.cooperation = _new_cooperation_profiles(since, until)
        self._cooperation_topics = {
            profile.pk: {topic.pk for topic in profile.topics.all()} for profile in self.cooperation
        }

    def for_topics(self, topic_ids: Iterable[int]) -> DigestItems:
        wanted = set(topic_ids)
        return DigestItems(
            notices=[notice for notice in self.notices if self._notice_topics[notice.pk] & wanted],
            events=[event for event in self.events if self._event_topics[event.pk] & wanted],
            cooperation=[
                profile for profile in self.cooperation if self._cooperation_topics[profile.pk] & wanted
            ],
        )

    def by_topic(self, topics: Iterable[Topic]) -> list[tuple[Topic, DigestItems]]:
        return [(topic, self.for_topics([topic.pk])) for topic in topics]
