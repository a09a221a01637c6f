"""Fixtures shared by the events tests: the loopback feed server of tests/events/feeds/."""

from tests.events.feeds.conftest import corpus, feed_server

__all__ = ["corpus", "feed_server"]
