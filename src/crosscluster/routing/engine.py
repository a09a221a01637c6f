"""The ranking itself: an in-memory index of passages and the fusion of its rankers. No Django in here.

An organisation is represented by many short passages rather than one long text: its name, summary, each
sentence of its description, each offer, each topic, and each inquiry it has handled (evidence). A query is
scored against every passage by two rankers,

- dense: cosine similarity of sentence embeddings (any `Encoder`; multilingual-e5-small by default), which
  bridges the words of a company ("Zugtüren", "Elektrolyseur") and those of the directory;
- lexical: TF-IDF over word stems and the known parts of compounds, umlaut spellings folded, and query words
  unknown to the index mapped to the index word closest in spelling (typos);

then per field (offers, topics, description, …) the best passage of each organisation counts, each field's
organisation scores are standardised over the candidates (so a field with generally high similarities does
not drown the others), and fields and rankers are added with fixed weights. Evidence adds a nearest-neighbour
vote: organisations that handled similar inquiries before move up.

Why z-scores and not raw scores: cosine similarities of different rankers and fields live on different
scales (e5's lie between 0.7 and 0.9), and only "how far above the other candidates" is comparable.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from crosscluster.core.text import Analyzer, fold, words

# Passage fields, in the order reasons prefer them.
OFFER, TOPIC, NAME, SUMMARY, DESCRIPTION, EVIDENCE = (
    "offer",
    "topic",
    "name",
    "summary",
    "description",
    "evidence",
)
FIELDS = (OFFER, TOPIC, NAME, SUMMARY, DESCRIPTION)


@dataclass(frozen=True, slots=True)
class Passage:
    """One short text of an organisation; `label` is what a reason shows (an offer's title, a topic)."""

    org: int
    field: str
    text: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class OrgEntry:
    pk: int
    slug: str
    name: str
    kind: str
    region: int


@dataclass(frozen=True)
class Weights:
    """How much each ranker and each field counts; see docs/routing.md for how these were chosen."""

    dense: float = 1.0
    lexical: float = 0.3
    fields: dict[str, float] = field(
        default_factory=lambda: {OFFER: 1.0, TOPIC: 0.6, NAME: 0.5, SUMMARY: 0.8, DESCRIPTION: 1.0}
    )
    # The organisation as a whole as one more view: the centroid of its passage embeddings (dense) and all its
    # words together (lexical).
    profile: float = 1.0
    # Evidence: the k nearest handled inquiries vote for their organisations, each by how much closer it is
    # to the query than the directory's best passage; `evidence` z units at full strength, reached when the
    # votes add up to `evidence_full` (cosine units): a near-duplicate of a handled inquiry decides.
    evidence: float = 4.0
    evidence_full: float = 0.3
    evidence_k: int = 3
    # A query word unknown to the index borrows the tokens of the index word this similar in spelling
    # (difflib ratio: 0.88 lets one wrong letter in a word of nine pass, but not `brauchen` for `branchen`).
    fuzzy_min: float = 0.88
    evidence_allowance: float = 0.02
    # Softmax temperature (in z units) that turns fused scores into the shares reported as `score`.
    temperature: float = 1.0
    # Confident when the query has words the directory knows (sum of their idf), or else when the first
    # organisation is this far (z units) ahead of the second: a query of function words only ("who is in
    # charge?") or gibberish is not routed with confidence; a product the directory never names still is
    # when the meaning is clear. Calibrated so that no development inquiry (each has a fitting
    # organisation) counts as unsure.
    confident_information: float = 2.0
    confident_margin: float = 1.0


@dataclass
class Hit:
    org: int
    score: float
    fused: float
    # Passage indices of its offers and topics, best match first; query words found in its texts; and how
    # many of the handled inquiries that voted for it.
    offers: list[int]
    topics: list[int]
    terms: list[str]
    evidence: int


@dataclass
class Ranking:
    hits: list[Hit]
    confident: bool
    # The margin in z units between the first and the second candidate, and the first one's z-score.
    top_z: float
    margin: float
    degraded: bool


def _z(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    if not math.isfinite(std) or std < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / std


def _tfidf(counts: sparse.spmatrix) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Smoothed idf and the sublinear, L2-normalised TF-IDF rows (scikit-learn's formula, on our counts)."""
    counts = sparse.csr_matrix(counts, dtype=np.float32)
    n_rows = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
    idf = (np.log((1.0 + n_rows) / (1.0 + df)) + 1.0).astype(np.float32)
    matrix = counts.copy()
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = sparse.diags(1.0 / norms).astype(np.float32) @ matrix
    return idf, matrix.tocsr()


class _FieldGroups:
    """Passages of one field grouped by organisation, for a vectorised max per organisation."""

    def __init__(self, passage_ids: np.ndarray, orgs: np.ndarray) -> None:
        order = np.lexsort((passage_ids, orgs))
        self.ids = passage_ids[order]
        sorted_orgs = orgs[order]
        if len(sorted_orgs):
            self.starts = np.flatnonzero(np.r_[True, sorted_orgs[1:] != sorted_orgs[:-1]])
            self.orgs = sorted_orgs[self.starts]
        else:
            self.starts = np.zeros(0, dtype=np.int64)
            self.orgs = np.zeros(0, dtype=np.int64)

    def max(self, scores: np.ndarray, n_orgs: int) -> np.ndarray:
        """Best passage score per organisation; NaN for organisations without a passage in this field."""
        out = np.full(n_orgs, np.nan, dtype=np.float32)
        if len(self.ids):
            values = scores[self.ids]
            out[self.orgs] = np.maximum.reduceat(values, self.starts)
        return out


class RoutingIndex:
    """Everything a query needs, built once per process from stored texts and embeddings.

    `vectors` holds one L2-normalised embedding per passage, in passage order; a row of NaN marks a passage
    whose embedding is missing (it then takes part lexically only, and results are flagged `degraded`).
    """

    def __init__(
        self,
        orgs: Sequence[OrgEntry],
        passages: Sequence[Passage],
        vectors: np.ndarray,
        *,
        weights: Weights | None = None,
        coordination_kind: str = "coordination",
        rows: np.ndarray | None = None,
    ) -> None:
        """`vectors`: one row per passage, or per distinct text when `rows` maps each passage to its row."""
        self.orgs = list(orgs)
        self.passages = list(passages)
        self.weights = weights or Weights()
        self.coordination_kind = coordination_kind
        n = len(self.passages)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        self.dim = dim
        self.passage_org = np.fromiter((p.org for p in self.passages), dtype=np.int64, count=n)
        fields = np.array([p.field for p in self.passages], dtype=object)
        self.vector_rows = np.arange(n) if rows is None else rows
        missing_rows = ~np.isfinite(vectors).all(axis=1) if n else np.zeros(0, dtype=bool)
        missing = missing_rows[self.vector_rows] if n else missing_rows
        self.missing = int(missing.sum())
        if n:  # in place: the caller hands over a fresh array, and a copy would double the peak memory
            vectors = vectors.astype(np.float32, copy=False)
            vectors[missing_rows] = 0.0
        self.vectors = vectors
        self.has_vector = ~missing
        self.org_region = np.fromiter((o.region for o in self.orgs), dtype=np.int64, count=len(self.orgs))

        ids = np.arange(n)
        self.groups = {
            name: _FieldGroups(ids[fields == name], self.passage_org[fields == name]) for name in FIELDS
        }
        self.evidence_ids = ids[fields == EVIDENCE]
        self.org_passages: dict[str, dict[int, np.ndarray]] = {}
        for name in (OFFER, TOPIC):
            group = self.groups[name]
            bounds = np.r_[group.starts, len(group.ids)]
            self.org_passages[name] = {
                int(org): group.ids[bounds[i] : bounds[i + 1]] for i, org in enumerate(group.orgs)
            }

        # Centroid of each organisation's directory passages (not evidence: it describes needs, not offers).
        directory = (fields != EVIDENCE) & self.has_vector
        centroid = np.zeros((len(self.orgs), dim), dtype=np.float32)
        if n and dim:
            members = sparse.csr_matrix(  # organisation × vector row; a text used twice counts twice
                (
                    np.ones(int(directory.sum()), np.float32),
                    (self.passage_org[directory], self.vector_rows[directory]),
                ),
                shape=(len(self.orgs), len(vectors)),
            )
            centroid = np.asarray(members @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(centroid, axis=1, keepdims=True)
        self.centroids = np.divide(centroid, norms, out=np.zeros_like(centroid), where=norms > 0)
        self.has_centroid = norms.ravel() > 0

        self._build_lexical([p.text for p in self.passages])

    # --- lexical part -----------------------------------------------------------------------------------

    def _build_lexical(self, texts: list[str]) -> None:
        """Word-level TF-IDF twice: over passages, and over each organisation's passages taken together.

        Each distinct text and each distinct word is analysed once (stemming, compound parts), as texts such
        as topic names recur across organisations.
        """
        text_words: dict[str, list[str]] = {}
        for text in texts:
            if text not in text_words:
                text_words[text] = [word for word in words(text) if len(word) >= 3]
        distinct = {word for found in text_words.values() for word in found}
        self.analyzer = Analyzer(Analyzer.vocabulary_of_words(distinct))
        token_ids: dict[str, int] = {}
        word_tokens = {
            word: [token_ids.setdefault(token, len(token_ids)) for token in self.analyzer.analyze_word(word)]
            for word in distinct
        }
        rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for text, found in text_words.items():
            counter: dict[int, float] = {}
            for word in found:
                for token in word_tokens[word]:
                    counter[token] = counter.get(token, 0.0) + 1.0
            rows[text] = (
                np.fromiter(counter, np.int64, len(counter)),
                np.fromiter(counter.values(), np.float32),
            )
        lengths = np.fromiter((len(rows[text][0]) for text in texts), np.int64, len(texts))
        indptr = np.r_[0, np.cumsum(lengths)]
        indices = np.concatenate([rows[text][0] for text in texts]) if texts else np.zeros(0, np.int64)
        values = np.concatenate([rows[text][1] for text in texts]) if texts else np.zeros(0, np.float32)
        counts = sparse.csr_matrix(
            (values, indices, indptr), shape=(len(texts), len(token_ids)), dtype=np.float32
        )
        self.token_ids = token_ids
        directory = np.array([p.field != EVIDENCE for p in self.passages], dtype=bool)
        self.passage_idf, matrix = _tfidf(counts)
        # Token × passage, so that a query touches only the rows of its own tokens.
        self.words_by_token = matrix.T.tocsr()
        membership = sparse.csr_matrix(
            (directory.astype(np.float32), (self.passage_org, np.arange(len(texts)))),
            shape=(len(self.orgs), len(texts)),
        )
        self.org_tokens = (membership @ counts).tocsr()
        self.org_idf, org_matrix = _tfidf(self.org_tokens)
        self.org_words_by_token = org_matrix.T.tocsr()
        # Surface words of the index, for mapping misspelt query words to their nearest known word.
        self.surface_words = sorted({fold(word) for word in distinct if len(word) >= 4})
        self.trigrams = None
        if self.surface_words:
            self.trigrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), dtype=np.float32)
            self.trigram_matrix_t = self.trigrams.fit_transform(self.surface_words).T.tocsr()

    def _query_tokens(self, text: str) -> tuple[dict[str, float], dict[str, str]]:
        """Token weights of a query and token → query word.

        A word none of whose tokens the index knows is probably misspelt: it borrows the tokens of the index
        word closest in spelling (trigram candidates, confirmed by edit similarity), weighted by it.
        """
        counts: dict[str, float] = {}
        origin: dict[str, str] = {}
        unknown: list[str] = []
        for word in words(text):
            if len(word) < 3:
                continue
            known = [t for t in self.analyzer.analyze_word(word) if t in self.token_ids]
            for token in known:
                counts[token] = counts.get(token, 0.0) + 1.0
                origin.setdefault(token, word)
            if not known and len(word) >= 6:
                unknown.append(word)
        if unknown and self.trigrams is not None:
            folded = [fold(w) for w in unknown]
            similarity = (self.trigrams.transform(folded) @ self.trigram_matrix_t).toarray()
            for word, spelling, row in zip(unknown, folded, similarity, strict=True):
                best_ratio, best = 0.0, ""
                for candidate in np.argsort(-row)[:5]:
                    if row[candidate] <= 0:
                        break
                    other = self.surface_words[candidate]
                    if (
                        other[0] != spelling[0]
                    ):  # typos rarely hit the first letter; this keeps real words apart
                        continue
                    ratio = difflib.SequenceMatcher(None, spelling, other).ratio()
                    if ratio > best_ratio:
                        best_ratio, best = ratio, other
                if best_ratio >= self.weights.fuzzy_min:
                    for token in self.analyzer.analyze_word(best):
                        if token in self.token_ids and token not in counts:
                            counts[token] = best_ratio
                            origin.setdefault(token, word)
        return counts, origin

    def lexical_scores(self, text: str) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
        """TF-IDF cosine of the query with every passage and every organisation; token id → query word."""
        counts, origin = self._query_tokens(text)
        if not counts:
            return np.zeros(len(self.passages), np.float32), np.zeros(len(self.orgs), np.float32), {}
        ids = np.array([self.token_ids[t] for t in counts], dtype=np.int64)
        tf = np.array([(1.0 + math.log(c)) if c >= 1 else c for c in counts.values()], dtype=np.float32)
        result = []
        for idf, by_token in (
            (self.passage_idf, self.words_by_token),
            (self.org_idf, self.org_words_by_token),
        ):
            weights = tf * idf[ids]
            weights /= float(np.linalg.norm(weights)) or 1.0
            query = sparse.csr_matrix(
                (weights, (np.zeros(len(ids)), ids)), shape=(1, len(idf)), dtype=np.float32
            )
            result.append(np.asarray((query @ by_token).todense()).ravel())
        return result[0], result[1], {self.token_ids[t]: origin[t] for t in counts}

    # --- ranking ----------------------------------------------------------------------------------------

    def candidates(self, regions: Iterable[int] | None) -> np.ndarray:
        if regions is None:
            return np.arange(len(self.orgs))
        return np.flatnonzero(np.isin(self.org_region, list(regions)))

    def _fields(self, scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Weighted sum over fields of each organisation's standardised best-passage score."""
        n_orgs = len(self.orgs)
        total = np.zeros(len(candidates), dtype=np.float32)
        for name, weight in self.weights.fields.items():
            if not weight:
                continue
            best = self.groups[name].max(scores, n_orgs)[candidates]
            present = np.isfinite(best)
            if not present.any():
                continue
            # An organisation without such passages counts as the weakest of those that have some.
            best = np.where(present, best, np.nanmin(best))
            total += weight * _z(best)
        return _z(total)

    def rank(
        self,
        text: str,
        vector: np.ndarray | None,
        *,
        regions: Iterable[int] | None = None,
        top: int = 5,
    ) -> Ranking:
        """The `top` best organisations of `regions` (all when None) for a query and its vector."""
        weights = self.weights
        candidates = self.candidates(regions)
        if len(candidates) == 0:
            return Ranking([], False, 0.0, 0.0, bool(self.missing))
        lexical, lexical_org, token_words = self.lexical_scores(text)
        lexical_fused = self._fields(lexical, candidates)
        if weights.profile:
            lexical_fused = _z(lexical_fused + weights.profile * _z(lexical_org[candidates]))
        fused = weights.lexical * lexical_fused
        dense: np.ndarray | None = None
        if vector is not None and self.dim and len(self.passages):
            vector = vector.astype(np.float32)
            dense = (self.vectors @ vector)[self.vector_rows]
            if self.missing:
                dense = np.where(self.has_vector, dense, np.nan).astype(np.float32)
            dense_fused = self._fields(np.nan_to_num(dense, nan=-1.0) if self.missing else dense, candidates)
            if weights.profile:
                centroid = np.where(
                    self.has_centroid[candidates], self.centroids[candidates] @ vector, np.nan
                )
                if np.isfinite(centroid).any():
                    centroid = np.where(np.isfinite(centroid), centroid, np.nanmin(centroid))
                    dense_fused = _z(dense_fused + weights.profile * _z(centroid))
            fused = fused + weights.dense * dense_fused

        votes, neighbours = self._evidence_votes(dense, lexical, candidates)
        if votes is not None:
            fused = fused + weights.evidence * votes
        fused = _z(fused)

        order = np.argsort(-fused, kind="stable")
        top_z = float(fused[order[0]])
        margin = float(fused[order[0]] - fused[order[1]]) if len(order) > 1 else top_z
        # How much the directory can say about the query at all: the idf of the query words it knows.
        information = float(sum(self.org_idf[token] for token in token_words))
        confident = len(order) <= 2 or (
            information >= weights.confident_information or margin >= weights.confident_margin
        )
        if not confident:
            # No clear fit: the coordination office, whose job is exactly this, goes first.
            fallback = [i for i in order if self.orgs[candidates[i]].kind == self.coordination_kind]
            if fallback:
                order = np.r_[fallback[:1], [i for i in order if i != fallback[0]]]
        shares = np.exp((fused - fused.max()) / weights.temperature)
        shares /= shares.sum()

        hits = []
        for position in order[:top]:
            org = int(candidates[position])
            offers, topics = self._matching_passages(org, dense, lexical)
            hits.append(
                Hit(
                    org=org,
                    score=float(shares[position]),
                    fused=float(fused[position]),
                    offers=offers,
                    topics=topics,
                    terms=self._terms(org, token_words),
                    evidence=sum(1 for j in neighbours if self.passage_org[j] == org),
                )
            )
        return Ranking(hits, confident, top_z, margin, bool(self.missing) or dense is None)

    # --- evidence ---------------------------------------------------------------------------------------

    def _evidence_votes(
        self, dense: np.ndarray | None, lexical: np.ndarray, candidates: np.ndarray
    ) -> tuple[np.ndarray | None, list[int]]:
        """The k most similar handled inquiries vote for the organisations that handled them.

        A vote counts only as far as the inquiry is closer to the query than the directory's best passage
        (minus a small allowance): evidence should decide where the directory's own texts do not.
        """
        ids = self.evidence_ids
        if not len(ids):
            return None, []
        ids = ids[np.isin(self.passage_org[ids], candidates)]
        if not len(ids):
            return None, []
        if dense is not None:
            similarity = np.nan_to_num(dense[ids], nan=-1.0)
            directory = np.nan_to_num(dense, nan=-1.0)
            directory[self.evidence_ids] = -1.0
            baseline = float(directory.max()) - self.weights.evidence_allowance
        else:
            similarity = lexical[ids]
            baseline = 0.0
        k = min(self.weights.evidence_k, len(ids))
        nearest = ids[np.argsort(-similarity, kind="stable")[:k]]
        strength = np.sort(similarity)[::-1][:k] - baseline
        votes = np.zeros(len(self.orgs), dtype=np.float32)
        voters = []
        for j, value in zip(nearest, strength, strict=True):
            if value > 0:
                votes[self.passage_org[j]] += value
                voters.append(int(j))
        votes = votes[candidates]
        if not votes.any():
            return None, []
        return np.minimum(votes / self.weights.evidence_full, 1.0), voters

    # --- reasons ----------------------------------------------------------------------------------------

    def _matching_passages(
        self, org: int, dense: np.ndarray | None, lexical: np.ndarray
    ) -> tuple[list[int], list[int]]:
        """The organisation's offers and its topics, each best match first, by both rankers together."""
        result = []
        for name in (OFFER, TOPIC):
            ids = self.org_passages[name].get(org)
            if ids is None or not len(ids):
                result.append([])
                continue
            score = self.weights.lexical * lexical[ids]
            if dense is not None:
                score = score + self.weights.dense * np.nan_to_num(dense[ids], nan=0.0)
            result.append([int(i) for i in ids[np.argsort(-score, kind="stable")]])
        return result[0], result[1]

    def _terms(self, org: int, token_words: dict[int, str]) -> list[str]:
        """Query words (as the company wrote them) that occur in some form in the organisation's texts."""
        if not token_words:
            return []
        row = self.org_tokens[org]
        present = set(row.indices.tolist())
        found = sorted(
            ((float(self.org_idf[token]), word) for token, word in token_words.items() if token in present),
            reverse=True,
        )
        return list(dict.fromkeys(word for _idf, word in found))
