"""From what was typed to clauses: words, search terms, topic synonyms, compounds and typo corrections.

A clause is one meaning of the query (a word, or a run of words naming a topic); it is satisfied by any of
its alternatives, and an alternative by all of its probes. A probe is a search term (core.text), matched as
the document's word, as the front of a longer word (`forder` finds `fordermittel`; only from `PREFIX_MIN`
letters, so `mark` does not find `markt`) or as the back part of a compound (`berat` finds
`fordermittelberat`). No database access here: `search.services` asks the vocabulary which terms exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crosscluster.core.text import REQUEST_WORDS, STOPWORDS, english_stem, surface_words, term, terms

QUERY_MAX_LENGTH = 200
# A term matches longer words that begin with it only from this length on.
PREFIX_MIN = 5


@dataclass(frozen=True)
class Probe:
    term: str
    prefix: bool

    def __post_init__(self) -> None:
        # Terms go into full-text query strings (tsquery, FTS5 MATCH): letters and digits only, as core.text
        # makes them; anything else is a bug, never a query.
        if not self.term.isalnum():
            raise ValueError(f"not a search term: {self.term!r}")


def probe(found: str) -> Probe:
    return Probe(found, prefix=len(found) >= PREFIX_MIN and not found.isdigit())


@dataclass(frozen=True)
class Alternative:
    probes: tuple[Probe, ...]


@dataclass
class Clause:
    """One meaning of the query: any alternative (all its probes present) satisfies it."""

    words: tuple[str, ...]
    alternatives: list[Alternative]
    # The term as typed, when the clause is a plain word (it may be split or corrected).
    typed: str = ""

    @property
    def terms(self) -> set[str]:
        return {p.term for alternative in self.alternatives for p in alternative.probes}


@dataclass(frozen=True)
class Token:
    """One word of the query as typed, its folded form and its search term ('' when not searchable)."""

    text: str
    folded: str
    term: str


@dataclass(frozen=True)
class SynonymGroup:
    """A topic's name and synonyms; each phrase as folded words (for matching) and terms (for searching)."""

    phrases: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]


@dataclass
class Parsed:
    tokens: list[Token]
    clauses: list[Clause] = field(default_factory=list)


def _key(word: str) -> str:
    """How a word is compared with a topic's names: by its term, so that word forms and spellings meet
    (`Foerdermittel`, `Fördermitteln`); a word too short for a term (`KI`, `H2`) as written."""
    return term(word) or word.casefold()


def synonym_group(names: Iterable[str]) -> SynonymGroup | None:
    phrases = []
    for name in names:
        keys = tuple(_key(word) for word in surface_words(name) if word.casefold() not in STOPWORDS)
        if keys:
            phrases.append((keys, tuple(dict.fromkeys(terms(name)))))
    return SynonymGroup(tuple(phrases)) if len(phrases) > 1 else None


def tokens(query: str) -> list[Token]:
    result = []
    for text in surface_words(query):
        folded = text.casefold()
        if folded in STOPWORDS or folded in REQUEST_WORDS:
            continue
        result.append(Token(text, folded, term(text)))
    return result


def _word_clause(token: Token) -> Clause:
    alternatives = [Alternative((probe(token.term),))]
    english = english_stem(token.folded)
    if english != token.term and len(english) >= 3 and english.isascii() and english.isalnum():
        alternatives.append(Alternative((probe(english),)))
    return Clause(words=(token.text,), alternatives=alternatives, typed=token.term)


def clauses(query_tokens: Sequence[Token], groups: Sequence[SynonymGroup] = ()) -> list[Clause]:
    """One clause per meaningful word; a run of words naming a topic (or a synonym) becomes one clause whose
    alternatives are all the topic's names (the words as typed count most)."""
    folded = [_key(token.text) for token in query_tokens]
    covered: dict[int, Clause] = {}
    for group in groups:
        for words, _terms in group.phrases:
            size = len(words)
            for start in range(len(folded) - size + 1):
                if tuple(folded[start : start + size]) != words or any(
                    i in covered for i in range(start, start + size)
                ):
                    continue
                own = tuple(t.term for t in query_tokens[start : start + size] if t.term)
                alternatives = [Alternative(tuple(probe(t) for t in own))] if own else []
                # The topic's other names as words (or back parts of compounds), not as the front of any
                # longer word: a synonym widens the query, so it must not widen it twice.
                for _words, phrase_terms in group.phrases:
                    if phrase_terms and phrase_terms != own:
                        alternatives.append(Alternative(tuple(Probe(t, False) for t in phrase_terms)))
                if not alternatives:
                    continue
                clause = Clause(
                    words=tuple(t.text for t in query_tokens[start : start + size]), alternatives=alternatives
                )
                for i in range(start, start + size):
                    covered[i] = clause
    result: list[Clause] = []
    seen: set[str] = set()
    for i, token in enumerate(query_tokens):
        if i in covered:
            if covered[i] not in result:
                result.append(covered[i])
            continue
        if not token.term or token.term in seen:
            continue
        seen.add(token.term)
        result.append(_word_clause(token))
    return result


def needed(count: int) -> int:
    """How many clauses a document must match: all of a short query, 60 % of a sentence."""
    return count if count <= 2 else -(-count * 3 // 5)
