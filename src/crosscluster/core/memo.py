"""Remembering the results of text functions that inputs repeat, within a bounded amount of memory."""

from collections.abc import Callable
from functools import lru_cache, wraps


def for_short_texts(*, maxsize: int = 1024, max_length: int = 2000) -> Callable:
    """`lru_cache` for a function of one text, used only for texts up to `max_length` characters.

    Feeds repeat descriptions (the occurrences of a series share theirs, a network its boilerplate), so
    cleaning each once pays; but a cache of `maxsize` texts of any length could hold hundreds of
    megabytes. Longer texts are computed every time, so each cache stays within a few megabytes.
    """

    def decorate(function: Callable[[str], str]) -> Callable[[str], str]:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def wrapper(text: str) -> str:
            return cached(text) if len(text) <= max_length else function(text)

        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return wrapper

    return decorate
