"""Which texts of an organisation the engine ranks and embeds: one rule, used by indexing and embedding alike.

Short passages instead of one long profile: a match with one offer or one sentence is not diluted by the rest
of a long description, and a reason can name the offer that matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crosscluster.core.bilingual import with_english
from crosscluster.core.text import sentences

from .engine import DESCRIPTION, NAME, OFFER, SUMMARY, TOPIC


@dataclass(frozen=True)
class PassageText:
    field: str
    text: str
    label: str = ""


def offer_text(title: str, description: str) -> str:
    return f"{title.strip()}: {description.strip()}" if description.strip() else title.strip()


def offer_texts(
    title: str | None, description: str | None, title_en: str | None = "", description_en: str | None = ""
) -> tuple[str, str]:
    """An offer's title and text for routing and search: the German title (what a reason names), the German
    text followed by the English title and text where present (core/bilingual.py)."""
    english = [text for text in (title_en, description_en) if text and text != title]
    return title or "", with_english(description, *english)


def topic_text(name: str, synonyms: Sequence[str] = ()) -> str:
    """A topic with its synonyms, so that `Recruiting` finds the topic `Fachkräfte` and its organisations."""
    synonyms = [s.strip() for s in synonyms if s.strip() and s.strip() != name.strip()]
    return f"{name.strip()} ({', '.join(synonyms)})" if synonyms else name.strip()


def organization_passages(
    *,
    name: str,
    summary: str,
    description: str,
    topics: Iterable[str | tuple[str, Sequence[str]]],
    offers: Iterable[tuple[str, str]],
) -> list[PassageText]:
    """The passages of one organisation: name, summary, description sentences, offers, topics.

    A topic is its name or a pair of name and synonyms; the reason shown names the topic only.
    """
    result = [PassageText(NAME, name.strip(), name.strip())]
    if summary.strip():
        result.append(PassageText(SUMMARY, summary.strip()))
    result += [PassageText(DESCRIPTION, sentence) for sentence in sentences(description)]
    result += [
        PassageText(OFFER, offer_text(title, offer_description), title.strip())
        for title, offer_description in offers
        if title.strip()
    ]
    seen: set[str] = set()
    for topic in topics:
        topic_name, synonyms = (topic, ()) if isinstance(topic, str) else topic
        if topic_name.strip() and topic_name not in seen:
            seen.add(topic_name)
            result.append(PassageText(TOPIC, topic_text(topic_name, synonyms), topic_name.strip()))
    return result
