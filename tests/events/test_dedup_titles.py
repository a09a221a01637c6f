"""The shortcuts of the title comparison give the results of plain `difflib`.

`title_similarity(..., at_least=...)` skips comparisons by upper bounds (sorted characters, the longest
common subsequence from rapidfuzz); these tests compare it with the comparison written out without any
bound, over many random title pairs (fixed seeds), near-duplicates most of all.
"""

import random
import unicodedata
from difflib import SequenceMatcher

import pytest
from rapidfuzz.distance import LCSseq

from crosscluster.core import text as text_module
from crosscluster.core.text import fold
from crosscluster.events.dedup import similarity
from crosscluster.events.dedup.similarity import title_similarity, tokens

WORDS = [
    "Workshop",
    "Sprechstunde",
    "Netzwerktreffen",
    "Wasserstoff",
    "Wasserstoff-Forum",
    "Forum",
    "Fördermittel",
    "Förder",
    "Mittel",
    "Gründung",
    "Straße",
    "Strasse",
    "Thüringen",
    "Thueringen",
    "KI",
    "Künstliche",
    "Intelligenz",
    "Café",
    "Œuvre",
    "2030",
    "für",
    "und",
    "der",
    "im",
    "Mittelstand",
    "Fachtag",
    "Energie",
    "Energieeffizienz",
    "Kreislaufwirtschaft",
    "Erfurt",
    "Jena",
    "Weimar",
]


def reference_similarity(a: str, b: str) -> float:
    """The comparison of `dedup` written out, with `difflib` on every candidate and no bound."""
    words_a, words_b = set(tokens(a)), set(tokens(b))
    if not words_a or not words_b:
        return 0.0
    common = words_a & words_b
    shared = " ".join(sorted(common))
    pairs = [
        (
            " ".join([shared, *sorted(words_a - words_b)]).strip(),
            " ".join([shared, *sorted(words_b - words_a)]).strip(),
        ),
        ("".join(tokens(a)), "".join(tokens(b))),
    ]
    if len(common) >= 2:
        pairs.append((shared, " ".join([shared, *sorted(words_a - common)])))
        pairs.append((shared, " ".join([shared, *sorted(words_b - common)])))
    return max(SequenceMatcher(None, x, y).ratio() for x, y in pairs)


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    return word[:i] + rng.choice("aeinrstuöß") + word[i + 1 :]


def _variant(rng: random.Random, title: str) -> str:
    """A title as another network might write the same event (or a slightly different one)."""
    words = title.split()
    for _ in range(rng.randint(0, 3)):
        change = rng.randrange(6)
        if change == 0 and len(words) > 1:
            words.pop(rng.randrange(len(words)))
        elif change == 1:
            words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
        elif change == 2 and len(words) > 1:
            i = rng.randrange(len(words) - 1)
            words[i : i + 2] = [words[i] + rng.choice(["-", "", " – "]) + words[i + 1]]
        elif change == 3:
            i = rng.randrange(len(words))
            words[i] = _typo(rng, words[i])
        elif change == 4:
            rng.shuffle(words)
        else:
            words = [word.upper() if rng.random() < 0.3 else word for word in words]
    return " ".join(words) + rng.choice(["", ":", " (2)", "!"])


def _pairs(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 7)))
        b = _variant(rng, a) if rng.random() < 0.7 else " ".join(rng.sample(WORDS, rng.randint(1, 7)))
        pairs.append((a, b))
    return pairs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_title_similarity_is_difflib_without_a_threshold(seed):
    for a, b in _pairs(seed, 800):
        assert title_similarity(a, b) == reference_similarity(a, b), (a, b)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_bounds_never_cut_a_pair_that_reaches_the_threshold(seed):
    rng = random.Random(seed)
    reached = 0
    for a, b in _pairs(seed, 800):
        expected = reference_similarity(a, b)
        for at_least in (similarity.AUTO_MERGE, similarity.SUSPECT, rng.uniform(0.05, 1.0), expected):
            found = title_similarity(a, b, at_least=at_least)
            if expected >= at_least:
                reached += 1
                assert found == expected, (a, b, at_least)
            else:
                assert found < at_least, (a, b, at_least)
    assert reached > 1000  # the variants reach the thresholds often enough to test something


def test_longest_common_subsequence_bounds_the_difflib_ratio():
    rng = random.Random(7)
    for _ in range(1000):
        alphabet = rng.choice(["ab", "abc ", "abcdefgh ", "aeiou rstnlm"])
        # Long strings too: from 200 characters difflib ignores frequent characters ("autojunk").
        x, y = ("".join(rng.choices(alphabet, k=rng.randint(0, 260))) for _ in range(2))
        if not x and not y:
            continue
        ratio = SequenceMatcher(None, x, y).ratio()
        assert 2 * LCSseq.similarity(x, y) / (len(x) + len(y)) >= ratio
        assert similarity._may_reach(x, y, ratio)
        assert similarity._ratio(x, y, ratio) == ratio


def _fold_slowly(text: str) -> str:
    text = text.casefold().translate(text_module._FOLD)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@pytest.mark.parametrize(
    "text",
    ["Workshop 2030", "Fördermittel für KMU", "Straße", "Café Œuvre", "ﬁnanz", "İstanbul", "", "ÅNGSTRÖM"],
)
def test_fold_is_the_same_with_and_without_its_ascii_shortcut(text):
    assert fold(text) == _fold_slowly(text)


def test_place_words_are_cached_per_place_and_the_same():
    class Place:
        venue, address, city, format = "Haus der Wirtschaft", "Hauptstraße 1", "Erfurt", "hybrid"

    words = similarity.place_words(Place())
    assert words == {"haus", "wirtschaft", "hauptstrasse", "1", "erfurt", "online"} - set(
        text_module.FOLDED_STOPWORDS
    )
    assert similarity.place_words(Place()) is words
