"""Text search over the directory that understands German word forms.

Each organisation stores the Snowball stems of its own and its offers' words in `search_text`. A query word
matches when its stem occurs anywhere in that text, so `Förderung` (stem `forder`) finds `Fördermittel`
(`fordermittel`) and parts of compounds are found too. Plain substring tests work the same on SQLite and
PostgreSQL.
"""

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer
from django.db.models import QuerySet

_german = snowballstemmer.stemmer("german")
_WORD = re.compile(r"[^\W_]+")
MIN_STEM_LENGTH = 3

# Function words that carry no meaning for a search; German and English.
STOPWORDS = frozenset(
    [
        "aber",
        "alle",
        "als",
        "am",
        "an",
        "auch",
        "auf",
        "aus",
        "bei",
        "bin",
        "bis",
        "da",
        "das",
        "dass",
        "dem",
        "den",
        "der",
        "des",
        "die",
        "dies",
        "diese",
        "dieser",
        "doch",
        "du",
        "durch",
        "ein",
        "eine",
        "einem",
        "einen",
        "einer",
        "eines",
        "er",
        "es",
        "für",
        "fur",
        "gibt",
        "hat",
        "habe",
        "haben",
        "ich",
        "ihr",
        "im",
        "in",
        "ist",
        "ja",
        "kann",
        "können",
        "mit",
        "nach",
        "nicht",
        "noch",
        "nur",
        "oder",
        "sich",
        "sie",
        "sind",
        "so",
        "über",
        "um",
        "und",
        "uns",
        "unser",
        "unsere",
        "von",
        "vor",
        "was",
        "wer",
        "wie",
        "wir",
        "wird",
        "zu",
        "zum",
        "zur",
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "we",
        "what",
        "who",
        "with",
    ]
)


def words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.casefold()) if word not in STOPWORDS]


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Snowball stem of one word; cached, because the same words recur across every text."""
    return _german.stemWord(word)


def stems(text: str) -> list[str]:
    """Stems of the meaningful words of a text, in order."""
    return [s for s in map(stem, words(text)) if len(s) >= MIN_STEM_LENGTH]


def build_search_text(parts: Iterable[str]) -> str:
    return " ".join(sorted({stem for part in parts if part for stem in stems(part)}))


def organization_search_text(organization) -> str:
    parts = [organization.name, organization.city, organization.summary, organization.description]
    parts += [topic.name for topic in organization.topics.all()]
    for offer in organization.offers.all():
        parts += [offer.title, offer.description]
    return build_search_text(parts)


def refresh_search_text(organization) -> None:
    """Recompute after any change to the organisation, its topics or its offers."""
    text = organization_search_text(organization)
    if text != organization.search_text:
        organization.search_text = text
        type(organization).objects.filter(pk=organization.pk).update(search_text=text)


def filter_by_text(queryset: QuerySet, query: str, field: str = "search_text") -> QuerySet:
    """Keep rows that contain every meaningful word of the query in some form."""
    for query_stem in dict.fromkeys(stems(query)):
        queryset = queryset.filter(**{f"{field}__contains": query_stem})
    return queryset
