"""When two events are the same: the comparison of titles, start and place.

Two live events (published, still in their feed) are the same when

- their titles are alike: casefolded, umlauts and ß folded (`ä` → `ae`, `ß` → `ss`), punctuation and
  stopwords dropped, then compared as token sets (the best `difflib` ratio of the shared words against the
  shared words plus each side's rest, as `rapidfuzz.fuzz.token_set_ratio` does, but only when at least two
  words are shared, and with the words run together (`Wasserstoff-Forum` is `Wasserstoffforum`);
  `difflib` decides; rapidfuzz's longest common subsequence, an upper bound of its ratio, only skips the
  pairs that cannot reach a threshold);
- they start at the same time: both timed and at most `START_TOLERANCE` apart, or both all-day on the same
  day;
- they happen at the same place: both online, or the words of venue, address and city share a word (a city
  name is enough) — but never in two different cities (cities whose words are disjoint): venues are often
  named alike ("Geschäftsstelle", "Rathaus"), so a shared venue word alone would join Jena and Ilmenau.

A score of at least `AUTO_MERGE` with matching start and place merges them automatically. A score of at least
`SUSPECT` on the same day (and no contradicting place) only lists them as suspected duplicates for the
coordination office. Its manual decisions (`DuplicateDecision`, keyed by `Event.identity`) beat both.

A group has one canonical event (`duplicate_of` is null); the others point to it. The canonical event is the
entered one over a feed one (a network's manager keeps it up to date by hand), then the earliest created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

from rapidfuzz.distance import LCSseq

from crosscluster.core.text import folded_words
from crosscluster.events.models import Event

AUTO_MERGE = 0.85
SUSPECT = 0.6
START_TOLERANCE = dt.timedelta(minutes=30)
# The letters at each end of a title's words run together that are keys of their own.
KEY_LETTERS = 4


def tokens(text: str) -> list[str]:
    """The words of a title or a place as compared: folded, function words dropped (core.text)."""
    return folded_words(text)


@dataclass(frozen=True, slots=True)
class Title:
    """What the comparison of a title needs, computed once per title (a few short strings)."""

    unique: frozenset[str]
    chars: str  # the characters of " ".join(unique), sorted: its side of the word-set comparison
    joined: str  # "".join(words): the words run together
    joined_chars: str  # the characters of `joined`, sorted
    keys: tuple[str, ...]  # the title's keys for finding candidates, the whole title first


# A pair of titles is compared once per grouping (`_Grouper.matches`), and a title's words are cached by
# core.text: keeping a year of analysed titles (100,000, about 170 MB) saved nothing measurable
# (bench/events.py, 15,000 imported events: 18.1 s of CPU with it, 17.7 s without, 2026-12-07). The last
# few thousand (about 7 MB) serve the titles one feed repeats; `release_caches` empties it after each run.
@lru_cache(maxsize=4096)
def analyse_title(title: str) -> Title:
    words = tokens(title)
    unique = frozenset(words)
    joined = "".join(words)
    keys: tuple[str, ...] = ()
    if joined:
        others = {f"w{word}" for word in unique} | {f"^{joined[:KEY_LETTERS]}", f"${joined[-KEY_LETTERS:]}"}
        keys = (f"={joined}", *sorted(others))
    return Title(unique, "".join(sorted(" ".join(unique))), joined, "".join(sorted(joined)), keys)


def release_caches() -> None:
    """Forget the titles and places read so far: after a batch of imports, not during one."""
    analyse_title.cache_clear()
    _words_of_place.cache_clear()
    _words_of_city.cache_clear()


def _may_reach(x: str, y: str, at_least: float) -> bool:
    """Whether `SequenceMatcher(None, x, y).ratio()` can reach `at_least`, from an upper bound of it: the
    longest common subsequence (difflib's matching blocks are one common subsequence), computed by
    rapidfuzz in C. For the sorted characters of two strings it is their common characters, the bound of
    `SequenceMatcher.quick_ratio`. The bound is computed like the ratio (2 * matches / length), so a ratio
    that reaches `at_least` is never cut off by rounding."""
    length = len(x) + len(y)
    if not at_least or not length:
        return True
    if 2 * min(len(x), len(y)) / length < at_least:
        return False  # even a perfect overlap of the shorter one cannot reach it
    return 2 * LCSseq.similarity(x, y) / length >= at_least


def _ratio(x: str, y: str, at_least: float) -> float:
    """`SequenceMatcher(None, x, y).ratio()`, or 0.0 when it cannot reach `at_least`."""
    if not _may_reach(x, y, at_least):
        return 0.0
    return SequenceMatcher(None, x, y).ratio()


def title_similarity(a: str, b: str, *, at_least: float = 0.0) -> float:
    """Token-set similarity of two titles in [0, 1].

    With `at_least`, comparisons that cannot reach it are skipped by upper bounds (`_may_reach`: first
    the titles' cached sorted characters, then the longest common subsequence of the strings compared),
    without building a `SequenceMatcher`: the result is exact when it reaches `at_least`, and some lower
    score otherwise. Grouping an import compares thousands of pairs; almost all of them fail on a bound.
    """
    ta, tb = analyse_title(a), analyse_title(b)
    words_a, words_b = ta.unique, tb.unique
    if not words_a or not words_b:
        return 0.0
    common = words_a & words_b
    best = 0.0
    # The word sets: the shared words, then each side's rest (the same characters as `chars`).
    if _may_reach(ta.chars, tb.chars, at_least):
        shared = " ".join(sorted(common))
        x = " ".join([shared, *sorted(words_a - words_b)]).strip()
        y = " ".join([shared, *sorted(words_b - words_a)]).strip()
        best = _ratio(x, y, at_least)
    # The words run together too, so that `Wasserstoff-Forum` meets `Wasserstoffforum`.
    if _may_reach(ta.joined_chars, tb.joined_chars, at_least):
        best = max(best, _ratio(ta.joined, tb.joined, at_least))
    if len(common) >= 2:  # one title is the other plus words; a single shared word is too little
        shared = " ".join(sorted(common))
        for words, spelled in ((words_a, len(ta.chars)), (words_b, len(tb.chars))):
            if at_least and 2 * min(len(shared), spelled) / (len(shared) + spelled) < at_least:
                continue  # even a perfect overlap of the shared words cannot reach it
            best = max(best, _ratio(shared, " ".join([shared, *sorted(words - common)]), at_least))
    return best


def same_start(a: Event, b: Event) -> bool:
    if a.all_day and b.all_day:
        return a.first_day == b.first_day
    if a.all_day or b.all_day:
        return False
    return abs(a.start - b.start) <= START_TOLERANCE


@lru_cache(maxsize=10_000)
def _words_of_place(venue: str, address: str, city: str, online: bool) -> frozenset[str]:
    words = set(tokens(" ".join([venue, address, city])))
    if online:
        words.add("online")
    return frozenset(words)


def place_words(event: Event) -> frozenset[str]:
    # Kept per place: the events of a region share a few hundred venues.
    return _words_of_place(event.venue, event.address, event.city, event.format != Event.Format.ON_SITE)


@lru_cache(maxsize=1_000)
def _words_of_city(city: str) -> frozenset[str]:
    return frozenset(tokens(city))


def different_cities(a: Event, b: Event) -> bool:
    """Both events name a city, and the two share no word: they cannot be one event on site."""
    city_a, city_b = _words_of_city(a.city), _words_of_city(b.city)
    return bool(city_a and city_b and city_a.isdisjoint(city_b))


def place_match(a: Event, b: Event) -> bool | None:
    """True or False when both events say where they happen; None when one of them does not."""
    words_a, words_b = place_words(a), place_words(b)
    if not words_a or not words_b:
        return None
    return bool(words_a & words_b) and not different_cities(a, b)


Match = Literal["same", "suspect"] | None


def compare(a: Event, b: Event) -> tuple[Match, float]:
    """How alike two events are, without the manual decisions: ("same" | "suspect" | None, title score)."""
    score = title_similarity(a.title, b.title)
    place = place_match(a, b)
    if score >= AUTO_MERGE and same_start(a, b) and place:
        return "same", score
    if score >= SUSPECT and a.first_day == b.first_day and place is not False:
        return "suspect", score
    return None, score


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def is_live(event: Event) -> bool:
    return event.published and event.removed_at is None


def canonical_of(events: Iterable[Event]) -> Event:
    """Entered before imported, then the earliest created."""
    return min(events, key=lambda e: (e.source != Event.Source.ENTERED, e.created_at, e.pk))
