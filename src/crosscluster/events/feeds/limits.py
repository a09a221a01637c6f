"""How much one feed's import may cost: events stored, occurrences of series expanded, processing time.

A feed under the size limit (`FEEDS_MAX_BYTES`) can still ask for hours of work and gigabytes: 10 MB hold
about 18,000 events, and 50 KB hold 300 hourly series without end (8,760 dates a year each). Each import
therefore gets a `FeedLimits`, and a feed that exceeds one of its caps fails with a `FeedLimitError`
(a `FeedError`: its managers see why, and the events stay as they were, see `importing`).

The processing time is wall-clock time from the end of the fetch (it counts the database's time too, so it
also bounds how long the import holds the worker and the `import-feeds` lock). It is checked between steps
(each event, each series, each group of duplicates); a single step that cannot be interrupted, such as
reading a 10 MB file in one go, can overrun it by its own length, which is why `feed_deadline` allows twice
the processing time.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import FeedError


class FeedLimitError(FeedError):
    """One of a feed's caps was exceeded; the message names the cap and says that nothing was changed."""


@dataclass
class FeedLimits:
    """The caps of one import (events and occurrences: 0 is no cap) and what has been used so far."""

    max_events: int = 0
    max_occurrences: int = 0
    max_seconds: float = 60
    started: float = field(default_factory=time.monotonic)
    occurrences: int = 0

    @classmethod
    def from_settings(cls) -> FeedLimits:
        return cls(
            max_events=settings.FEEDS_MAX_EVENTS,
            max_occurrences=settings.FEEDS_MAX_OCCURRENCES,
            max_seconds=settings.FEEDS_MAX_PROCESSING_SECONDS,
        )

    def check_time(self) -> None:
        """Raise once the processing time is used up."""
        if time.monotonic() - self.started > self.max_seconds:
            raise FeedLimitError(
                _(
                    "Reading and storing the feed took longer than %(seconds)s seconds, so it was stopped; "
                    "its events stay as they were."
                )
                % {"seconds": f"{self.max_seconds:g}"}
            )

    def count_occurrences(self, count: int) -> None:
        """Count occurrences of recurring events as they are expanded; raise past the cap."""
        self.occurrences += count
        if self.max_occurrences and self.occurrences > self.max_occurrences:
            raise FeedLimitError(
                _(
                    "The feed's recurring events have more than %(max)s dates in the import window (a year "
                    "ahead), so it was not imported; its events stay as they were."
                )
                % {"max": self.max_occurrences}
            )

    def check_events(self, count: int) -> None:
        """Raise when a feed has more events to store than the cap."""
        if self.max_events and count > self.max_events:
            raise FeedLimitError(
                _(
                    "The feed has more than %(max)s events in the import window (a year ahead), so it was "
                    "not imported; its events stay as they were."
                )
                % {"max": self.max_events}
            )


def feed_deadline() -> dt.timedelta:
    """The longest one feed's import can take: the fetch's total deadline, then the processing time and as
    much again for a step that cannot be interrupted (see the module docstring)."""
    return dt.timedelta(seconds=settings.FEEDS_TIMEOUT_SECONDS + 2 * settings.FEEDS_MAX_PROCESSING_SECONDS)
