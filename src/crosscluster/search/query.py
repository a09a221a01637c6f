"""From what was typed to clauses: words, Snowball stems, topic synonyms, and whether it reads like a need.

The stems are those of `directory.search`, so the query meets the stored `search_text` columns on their own
terms. Topic names and their synonyms (`Topic.synonym_list()`, maintained as data) are matched on the query's
words, so that short synonyms without a usable stem ("KI") still count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crosscluster.core.text import MIN_TERM_LENGTH as MIN_STEM_LENGTH
from crosscluster.core.text import REQUEST_WORDS, STOPWORDS, looks_like_need, stem
from crosscluster.core.text import terms as stems

from .index import Clause

QUERY_MAX_LENGTH = 200
TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Token:
    """One word of the query as typed, its folded form and its stem ('' when too short to search by)."""

    text: str
    folded: str
    stem: str


@dataclass(frozen=True)
class SynonymGroup:
    """A topic's name and synonyms; each phrase as folded words (for matching) and stems (for searching)."""

    phrases: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]


def synonym_group(names: Iterable[str]) -> SynonymGroup | None:
    phrases = []
    for name in names:
        folded = tuple(word for word in TOKEN.findall(name.casefold()) if word not in STOPWORDS)
        if folded:
            phrases.append((folded, tuple(dict.fromkeys(stems(name)))))
    return SynonymGroup(tuple(phrases)) if len(phrases) > 1 else None


def tokens(query: str) -> list[Token]:
    result = []
    for text in TOKEN.findall(query):
        folded = text.casefold()
        if folded in STOPWORDS or folded in REQUEST_WORDS:
            continue
        word_stem = stem(folded)
        result.append(Token(text, folded, word_stem if len(word_stem) >= MIN_STEM_LENGTH else ""))
    return result


def clauses(query_tokens: Sequence[Token], groups: Sequence[SynonymGroup] = ()) -> list[Clause]:
    """One clause per meaningful word; a run of words naming a topic (or a synonym) becomes one clause whose
    alternatives are all the topic's names."""
    folded = [token.folded for token in query_tokens]
    covered: dict[int, Clause] = {}
    for group in groups:
        for words, _stems in group.phrases:
            size = len(words)
            for start in range(len(folded) - size + 1):
                if tuple(folded[start : start + size]) != words or any(
                    i in covered for i in range(start, start + size)
                ):
                    continue
                alternatives = [phrase_stems for _words, phrase_stems in group.phrases if phrase_stems]
                # The words as typed stay an alternative of their own (with typo tolerance off: they matched).
                own = tuple(t.stem for t in query_tokens[start : start + size] if t.stem)
                if own and own not in alternatives:
                    alternatives.insert(0, own)
                if not alternatives:
                    continue
                clause = Clause(
                    words=tuple(t.text for t in query_tokens[start : start + size]),
                    alternatives=list(dict.fromkeys(alternatives)),
                    fuzzy=False,
                )
                for i in range(start, start + size):
                    covered[i] = clause
    result: list[Clause] = []
    seen_stems: set[str] = set()
    for i, token in enumerate(query_tokens):
        if i in covered:
            if covered[i] not in result:
                result.append(covered[i])
            continue
        if not token.stem or token.stem in seen_stems:
            continue
        seen_stems.add(token.stem)
        result.append(Clause(words=(token.text,), alternatives=[(token.stem,)]))
    return result


__all__ = ["looks_like_need"]
