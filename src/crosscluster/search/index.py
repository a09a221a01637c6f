"""The in-memory search index: one segment per kind of result, and the matching of a parsed query. No Django.

A segment holds, for the documents of one kind (organisations, offers, events, notices), the Snowball stems
each document contains (its stored `search_text`) as an inverted index over the segment's own vocabulary, and
separately the stems of its title. A query stem matches every vocabulary term that contains it, as
`directory.search` does in SQL (`forder` finds `fordermittel`); a term equal to the stem counts most, one
that starts with it a little less, one that merely contains it (the back part of a compound) less again.
A query stem that no term contains is a typo or unknown: it matches the vocabulary terms closest in
spelling (optimal string alignment distance, rapidfuzz), which also yields the "did you mean" suggestion.

Scores stay simple and explainable: a document must match every clause of a short query (at most two) and
most clauses of a longer one; documents matching more clauses come first, then those whose title matches
more of them, then the better matched, then the kind's natural order (events soonest first, notices newest
first, organisations and offers by name).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

# How well a vocabulary term matches a query stem.
EXACT, PREFIX, INFIX, FUZZY = 1.0, 0.85, 0.6, 0.5
# Queries up to this many clauses need all of them; longer ones (sentences) need this share.
ALL_CLAUSES_UP_TO = 2
MIN_SHARE = 0.6
# Past documents sort after every upcoming one (orders are seconds since the epoch), the latest first.
PAST = 1e11
# A mistyped word is searched as at most this many known terms (the most frequent at the nearest distance).
MAX_CORRECTIONS = 5


def max_typos(stem: str) -> int:
    """Edits allowed for a stem: none for short ones (too many neighbours), one from 5 letters, two from 9."""
    if len(stem) < 5:
        return 0
    return 1 if len(stem) < 9 else 2


@dataclass(frozen=True)
class Doc:
    """One document as the builder hands it over; `order` is the kind's natural order (smaller first)."""

    pk: int
    stems: Sequence[str]
    title_stems: Sequence[str] = ()
    order: float = 0.0
    # Seconds since the epoch; documents are visible while `visible_from <= now < visible_until`.
    visible_from: float = -math.inf
    visible_until: float = math.inf
    # For events: the end. Documents not over yet come first in `order`; past ones after them, latest first.
    ends: float = math.inf


@dataclass(frozen=True)
class Correction:
    """A query stem no term contains, and the closest terms (all at the smallest distance found)."""

    stem: str
    terms: tuple[str, ...]
    distance: int
    frequency: int


class Segment:
    """The documents of one kind: ids, inverted indexes over stems and title stems, order and visibility."""

    def __init__(self, kind: str, docs: Iterable[Doc], surface: dict[str, str] | None = None) -> None:
        self.kind = kind
        docs = list(docs)
        self.ids = np.fromiter((d.pk for d in docs), dtype=np.int64, count=len(docs))
        self.order = np.fromiter((d.order for d in docs), dtype=np.float64, count=len(docs))
        self.visible_from = np.fromiter((d.visible_from for d in docs), dtype=np.float64, count=len(docs))
        self.visible_until = np.fromiter((d.visible_until for d in docs), dtype=np.float64, count=len(docs))
        self.ends = np.fromiter((d.ends for d in docs), dtype=np.float64, count=len(docs))
        self.has_ends = bool(np.isfinite(self.ends).any())
        self.timed = bool(np.isfinite(self.visible_from).any() or np.isfinite(self.visible_until).any())
        # (term, document) pairs, then one stable sort: postings are slices, in document order.
        term_ids: dict[str, int] = {}
        pairs_term: list[int] = []
        pairs_doc: list[int] = []
        title_term: list[int] = []
        title_doc: list[int] = []
        setdefault = term_ids.setdefault
        for position, doc in enumerate(docs):
            ids = [setdefault(term, len(term_ids)) for term in set(doc.stems).union(doc.title_stems)]
            pairs_term += ids
            pairs_doc += [position] * len(ids)
            if doc.title_stems:
                ids = [term_ids[term] for term in set(doc.title_stems)]
                title_term += ids
                title_doc += [position] * len(ids)
        self.terms = list(term_ids)
        self.term_ids = term_ids
        self.postings, self.frequency = _group(pairs_term, pairs_doc, len(self.terms))
        title_postings, _counts = _group(title_term, title_doc, len(self.terms))
        self.title_postings = {i: docs_ for i, docs_ in enumerate(title_postings) if len(docs_)}
        # Spelling neighbours are looked up among terms of about the same length; numbers are never typos.
        self._by_length: dict[int, tuple[list[str], list[int]]] = {}
        for term_id, term in enumerate(self.terms):
            if not term.isdigit():
                terms, ids = self._by_length.setdefault(len(term), ([], []))
                terms.append(term)
                ids.append(term_id)
        # All terms in one string: a substring search over the vocabulary is one C-level scan.
        self._joined = "\n" + "\n".join(self.terms) + "\n"
        self._starts = []
        offset = 1
        for term in self.terms:
            self._starts.append(offset)
            offset += len(term) + 1
        self.surface = surface or {}

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, stem: str) -> bool:
        """Whether any term contains the stem."""
        return stem in self._joined

    def containing(self, stem: str) -> list[tuple[int, float]]:
        """Term ids containing the stem, each with how well it matches (exact, prefix, infix)."""
        found: dict[int, float] = {}
        joined, start = self._joined, 0
        while (position := joined.find(stem, start)) != -1:
            term_id = bisect.bisect_right(self._starts, position) - 1
            term_start = self._starts[term_id]
            term = self.terms[term_id]
            exact = position == term_start and len(term) == len(stem)
            weight = EXACT if exact else PREFIX if position == term_start else INFIX
            if weight > found.get(term_id, 0.0):
                found[term_id] = weight
            start = position + 1
        return list(found.items())

    def closest(self, stem: str) -> Correction | None:
        """The vocabulary terms nearest to a stem that no term contains, or None when none is near enough."""
        limit = max_typos(stem)
        if not limit or not self.terms:
            return None
        matches = []
        for length in range(len(stem) - limit, len(stem) + limit + 1):
            terms, ids = self._by_length.get(length, ((), ()))
            if terms:
                found = process.extract(
                    stem, terms, scorer=OSA.distance, score_cutoff=limit, limit=None, processor=None
                )
                matches += [(term, distance, ids[i]) for term, distance, i in found]
        if not matches:
            return None
        best = min(distance for _term, distance, _i in matches)
        nearest = [(term, i) for term, distance, i in matches if distance == best]
        nearest.sort(key=lambda item: (-int(self.frequency[item[1]]), item[0]))
        frequency = int(sum(self.frequency[i] for _term, i in nearest))
        return Correction(stem, tuple(term for term, _i in nearest), int(best), frequency)


def _group(terms: list[int], docs: list[int], n_terms: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Document positions per term id (ascending), and how many each has."""
    term_array = np.asarray(terms, dtype=np.int64)
    doc_array = np.asarray(docs, dtype=np.int64)
    order = np.argsort(term_array, kind="stable")
    counts = np.bincount(term_array, minlength=n_terms) if n_terms else np.zeros(0, dtype=np.int64)
    return np.split(doc_array[order], np.cumsum(counts)[:-1]) if n_terms else [], counts


@dataclass
class Clause:
    """One meaning of the query: any alternative (its stems all present) satisfies it.

    An alternative is a list of stems; a plain query word is one alternative of one stem, a word that names a
    topic or one of its synonyms brings the topic's other names as further alternatives, a mistyped word its
    nearest known terms (see `correct`).
    """

    words: tuple[str, ...]
    alternatives: list[tuple[str, ...]]
    # Whether an unknown stem may be replaced by known ones of similar spelling.
    fuzzy: bool = True
    # Scales the match scores: corrected words count less than words found as typed.
    weight: float = 1.0


@dataclass
class SegmentMatch:
    kind: str
    count: int
    # Positions into the segment, best first (all matches; callers slice).
    ranked: np.ndarray


def known_stems(segments: Iterable[Segment], clauses: Sequence[Clause]) -> set[str]:
    """Stems of the clauses that some term of some segment contains: these are never corrected."""
    segments = list(segments)
    all_stems = {stem for clause in clauses for alternative in clause.alternatives for stem in alternative}
    return {stem for stem in all_stems if any(segment.find(stem) for segment in segments)}


def correct(
    segments: Iterable[Segment], clauses: Sequence[Clause]
) -> tuple[list[Clause], dict[str, tuple[Correction, str]]]:
    """Replace every stem that no segment knows by its nearest terms, found over all segments.

    The replacements are then matched like typed stems in every segment, so `Fördermitel` finds the events
    about `Fördermittel` and also the offer `Fördermittelberatung` (a compound that contains the corrected
    term). Returns the new clauses and, per corrected stem, the correction and the kind it was found in.
    """
    segments = list(segments)
    known = known_stems(segments, clauses)
    best: dict[str, tuple[Correction, str]] = {}
    for clause in clauses:
        if not clause.fuzzy:
            continue
        for stem in {stem for alternative in clause.alternatives for stem in alternative} - known:
            for segment in segments:
                found = segment.closest(stem)
                current = best.get(stem)
                if found is not None and (
                    current is None
                    or (found.distance, -found.frequency) < (current[0].distance, -current[0].frequency)
                ):
                    best[stem] = (found, segment.kind)
    if not best:
        return list(clauses), {}
    result = []
    for clause in clauses:
        if not clause.fuzzy or not any(stem in best for alt in clause.alternatives for stem in alt):
            result.append(clause)
            continue
        alternatives = []
        for alternative in clause.alternatives:
            options = [
                best[stem][0].terms[:MAX_CORRECTIONS] if stem in best else (stem,) for stem in alternative
            ]
            alternatives += list(itertools.product(*options))
        result.append(Clause(clause.words, list(dict.fromkeys(alternatives)), fuzzy=False, weight=FUZZY))
    return result, best


def _stem_scores(segment: Segment, stem: str) -> tuple[np.ndarray | None, set[int]]:
    """Per-document score of one stem in a segment, or None if nothing in the segment matches it."""
    matches = segment.containing(stem)
    if not matches:
        return None, set()
    scores = np.zeros(len(segment), dtype=np.float32)
    for term_id, weight in matches:
        docs = segment.postings[term_id]
        scores[docs] = np.maximum(scores[docs], weight)
    return scores, {term_id for term_id, _w in matches}


def match(segment: Segment, clauses: Sequence[Clause], now: float) -> SegmentMatch:
    """Rank the segment's visible documents for the clauses; see the module docstring for the order."""
    n = len(segment)
    if not clauses or not n:
        return SegmentMatch(segment.kind, 0, np.zeros(0, dtype=np.int64))
    matched = np.zeros(n, dtype=np.int16)
    in_title = np.zeros(n, dtype=np.int16)
    total = np.zeros(n, dtype=np.float32)
    for clause in clauses:
        best = np.zeros(n, dtype=np.float32)
        title = np.zeros(n, dtype=bool)
        for alternative in clause.alternatives:
            combined = None
            title_all = None
            for stem in alternative:
                scores, term_ids = _stem_scores(segment, stem)
                if scores is None:
                    combined = None
                    break
                combined = scores if combined is None else np.minimum(combined, scores)
                hit = np.zeros(n, dtype=bool)
                for term_id in term_ids:
                    docs = segment.title_postings.get(term_id)
                    if docs is not None:
                        hit[docs] = True
                title_all = hit if title_all is None else title_all & hit
            if combined is not None:
                best = np.maximum(best, combined * clause.weight)
                if title_all is not None:
                    title |= title_all & (combined > 0)
        matched += best > 0
        in_title += title
        total += best
    needed = len(clauses) if len(clauses) <= ALL_CLAUSES_UP_TO else math.ceil(MIN_SHARE * len(clauses))
    keep = matched >= needed
    if segment.timed:
        keep &= (segment.visible_from <= now) & (segment.visible_until > now)
    positions = np.flatnonzero(keep)
    if not len(positions):
        return SegmentMatch(segment.kind, 0, positions)
    natural = segment.order[positions]
    if segment.has_ends:
        natural = np.where(segment.ends[positions] >= now, natural, PAST - natural)
    # lexsort: the last key is the primary one.
    order = np.lexsort(
        (
            segment.ids[positions],
            natural,
            -np.round(total[positions], 2),
            -in_title[positions],
            -matched[positions],
        )
    )
    return SegmentMatch(segment.kind, len(positions), positions[order])
