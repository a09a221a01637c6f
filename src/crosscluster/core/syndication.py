"""RSS and Atom writers that cannot be broken by the text they are given.

Django's feed writer refuses control characters with an exception, so a single notice or imported event
with a vertical tab (Word's manual line break) answered every reader of the feed with a 500. Text is
cleaned where it enters (core.sanitize.clean_text); these writers clean it once more, because a feed is
shared by everyone and must not depend on every path having done so.
"""

from typing import Any

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from .sanitize import clean_texts


class XmlSafeFeed:
    """A mixin for Django's feed generators: every string of the feed and of each item is cleaned."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*clean_texts(args), **clean_texts(kwargs))  # type: ignore[call-arg]

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*clean_texts(args), **clean_texts(kwargs))  # type: ignore[misc]


class RssFeed(XmlSafeFeed, Rss201rev2Feed):
    pass


class AtomFeed(XmlSafeFeed, Atom1Feed):
    pass
