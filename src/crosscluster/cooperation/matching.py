"""Proposals between cooperation profiles: who fits whom, both ways, with reasons.

The one engine the model layer, the office's board, the API and `crosscluster match --batch` share. It works
on plain values (no models, no database), so the benchmark can treat a file as the whole pool. It reuses the
routing engine's text analysis (`core.text.Analyzer`: stems, compound parts, stop words), its TF-IDF, its
encoder (multilingual-e5-small, `routing.encoders.get_encoder`) and its way of fusing rankers (standardised
scores); it is not a second engine. Method and figures: docs/matching.md.

Interface (all functions pure; vectors are float32, L2-normalised, one row per profile):

- `ProfileText(id, kind, title, text, lang)`: what the engine reads of a profile; `kind` is one of `KINDS`.
- `guess_language(text)`: "de" or "en" by function words, for input without a language.
- `complements(kind)`: the kinds a profile of `kind` is matched with (offer ↔ request of the same nature;
  research partner search ↔ research partner search or technology offer). Symmetric.
- `profile_document(profile)`: the text whose embedding represents a profile ("title. text"). Store the
  vector of this text (e.g. in `routing.Embedding`, keyed by the SHA-256 of this text and the encoder's
  name) when a profile is published or changed, and hand it back to `Pool` / `match_batch`.
- `stored_vectors(profiles, encoder=None)`: their vectors from routing's embedding store, the missing ones
  computed and stored (needs the database; for the task that recomputes matches).
- `embed_profiles(profiles, encoder=None)`: their vectors, computed with the routing encoder (a task, never
  a request: about 40–50 ms of CPU per profile of ~190 tokens; documents are cut at `MAX_TOKENS`).
- `Pool(profiles, vectors=None, *, encoder=None)`: built once from the public profiles (vectors: an array
  in profile order; rows of NaN or `None` are computed). `pool.match(profile, top=5, vector=None)` → a
  `Proposal` for a profile of the pool or a new one (its own id is never proposed). Cheap to query
  (about 10 ms of CPU against 10,000 profiles, plus the profile's embedding when `vector` is not given);
  read-only once built, so one pool may serve several threads. Building it computes every profile's score
  statistics (about 4 s of CPU for 10,000): build it in the task that recomputes matches, not per request.
- `match_batch(profiles, *, top=5, vectors=None, encoder=None)`: every profile against the others of the
  same pool (what `crosscluster match --batch` prints). Without `vectors` every profile is embedded
  again: pass the stored ones.
- `Proposal(id, matches, no_good_match)`; `Match(profile, score, reasons)`. `matches` are always the best
  complementary profiles, best first (empty when the pool has no profile of a complementary kind).
  `score` lies in 0…1 and is comparable across the profiles of a pool: 0.5 is the threshold of a clear fit
  (`GOOD_SCORE`), so a board can show pairs with `score >= 0.5`. `no_good_match` is True when no candidate
  reaches it: show "no good match yet" instead of the list. The score of a pair is almost symmetric
  (both directions are averaged; each is standardised over its own candidates).
  `reasons` are translated strings (gettext, English msgids; the active language decides), one to three.
- `match_organizations(profile, top=3)`: the member organisations that can help, through the routing
  engine's `suggest` (needs the database); `match_texts(profile, items, top=3, vectors=None)`: the
  best of any other texts (coming events: `TextItem(id, title, text)`) by the same fusion, with reasons.

Pools of fewer than `Weights.min_centred_pool` (20) profiles are centred on typical profiles' language means
(`data/language_means.json`, for the default encoder) blended with their own; with another encoder they are
matched on raw cosines, where a pair must be clearer to count as a good match.

Why per-language centring: e5 places all texts of one language closer together, whatever they say, so a
German request's nearest offers are German ones. Subtracting each language's mean vector (of the pool)
removes that direction; German–English pairs then meet (docs/matching.md has the figures).

Why both ways: a request is proposed an offer when the offer stands out among the offers for this request
*and* the request stands out among the requests for this offer (mean of the two standardised scores), which
keeps "hub" profiles that resemble everything from being proposed to everybody.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from crosscluster.core.text import Analyzer, fold, folded_words, surface_words, words

# The kinds of profile, as the import/CLI format writes them.
TECHNOLOGY_OFFER = "technology-offer"
TECHNOLOGY_REQUEST = "technology-request"
BUSINESS_OFFER = "business-offer"
BUSINESS_REQUEST = "business-request"
RESEARCH_PARTNER = "research-partner"
KINDS = (TECHNOLOGY_OFFER, TECHNOLOGY_REQUEST, BUSINESS_OFFER, BUSINESS_REQUEST, RESEARCH_PARTNER)

# Offer ↔ request of the same nature; a research partner search ↔ another one (a consortium and a company
# that wants to join one) or a technology offer that fills a wanted role.
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    TECHNOLOGY_OFFER: (TECHNOLOGY_REQUEST, RESEARCH_PARTNER),
    TECHNOLOGY_REQUEST: (TECHNOLOGY_OFFER,),
    BUSINESS_OFFER: (BUSINESS_REQUEST,),
    BUSINESS_REQUEST: (BUSINESS_OFFER,),
    RESEARCH_PARTNER: (RESEARCH_PARTNER, TECHNOLOGY_OFFER),
}
OFFERS = (TECHNOLOGY_OFFER, BUSINESS_OFFER)
REQUESTS = (TECHNOLOGY_REQUEST, BUSINESS_REQUEST)

# A match is a clear fit from this score on (the mutual z-score `Weights.threshold`, mapped to 0.5).
GOOD_SCORE = 0.5
TOP_MAX = 50
# Profiles are embedded up to this many model tokens (see `embed_profiles`).
MAX_TOKENS = 256
MAX_REASON_WORDS = 4


def complements(kind: str) -> tuple[str, ...]:
    """The kinds a profile of `kind` is matched with (empty for an unknown kind)."""
    return COMPLEMENTS.get(kind, ())


@dataclass(frozen=True)
class ProfileText:
    """What the engine reads of a profile."""

    id: str
    kind: str
    title: str
    text: str
    lang: str = "de"


@dataclass(frozen=True)
class Match:
    profile: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    id: str
    matches: tuple[Match, ...]
    no_good_match: bool


@dataclass(frozen=True)
class TextItem:
    """Anything else a profile can be matched with by text (a coming event): its id, title and text."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Weights:
    """How the rankers are fused and when a match counts as clear; see docs/matching.md for the choice.

    - `lexical`: weight of the word ranker beside the dense one (both standardised), as in routing's fusion.
    - `language_shrink`: the mean vector of a language is shrunk towards the pool's mean by this many
      pseudo-profiles, so a language with few profiles is not centred on its own topics.
    - `min_centred_pool`: smaller pools are centred on shipped typical means (as this many pseudo-profiles
      per language) or, for another encoder, not at all: the mean of three vectors is their subjects.
    - `stats_prior` / `prior_*`: the mean and spread of a profile's scores are shrunk towards typical values
      by this many pseudo-candidates, so a pool of three still gives sensible z-scores.
    - `threshold`: the mutual z-score from which a match is a clear fit (score 0.5); `slope` spreads the
      scores around it.
    - `stats_sample`: a profile's own score distribution (for the reverse direction) is estimated on at
      most this many profiles of the pool.
    """

    lexical: float = 0.3
    language_shrink: float = 3.0
    min_centred_pool: int = 20
    stats_prior: float = 3.0
    prior_dense_centred: tuple[float, float] = (0.0, 0.08)
    prior_dense_raw: tuple[float, float] = (0.85, 0.02)
    prior_lexical: tuple[float, float] = (0.04, 0.03)
    threshold: float = 2.0
    slope: float = 1.5
    stats_sample: int = 2000
    # Both directions (the default); False scores the forward direction only (for comparison).
    mutual: bool = True
    # Centre vectors per language (the default); False compares raw e5 vectors (for comparison).
    centre: bool = True


# Frequent function words of German and English: tell the two apart where a profile's language is missing.
_GERMAN_MARKERS_TEXT = "der die das und ist für mit von den dem des ein eine einer wir sie nicht auf im zu"
_ENGLISH_MARKERS_TEXT = "the and is for with of to a an we our in on are this that by"
_GERMAN_MARKERS = frozenset(_GERMAN_MARKERS_TEXT.split())
_ENGLISH_MARKERS = frozenset(_ENGLISH_MARKERS_TEXT.split())


def guess_language(text: str) -> str:
    """ "en" when a text has more frequent English than German function words, else "de" (the default)."""
    found = re.findall(r"[^\W\d_]+", text.casefold())
    english = sum(word in _ENGLISH_MARKERS for word in found)
    german = sum(word in _GERMAN_MARKERS for word in found)
    return "en" if english > german else "de"


def profile_document(profile: ProfileText) -> str:
    """The text whose embedding stands for a profile: its title and its text."""
    title, text = profile.title.strip(), profile.text.strip()
    if not title:
        return text
    separator = " " if title.endswith((".", "!", "?", ":")) else ". "
    return f"{title}{separator}{text}" if text else title


def embed_profiles(profiles: Sequence[ProfileText], encoder=None) -> np.ndarray:
    """(n, dim) vectors of `profile_document` with the routing encoder (the settings' one by default).

    Documents longer than `MAX_TOKENS` model tokens are cut to whole words within it first (the encoder's
    time grows with the length; the public profiles have about 190 tokens and are not cut).
    """
    if encoder is None:
        from crosscluster.routing.encoders import get_encoder

        encoder = get_encoder()
    if not profiles:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    documents = [_cut(encoder, profile_document(p)) for p in profiles]
    return np.asarray(encoder.encode_passages(documents), dtype=np.float32)


def stored_vectors(profiles: Sequence[ProfileText], *, encoder=None) -> np.ndarray:
    """The profiles' vectors from routing's embedding store (`routing.Embedding`, keyed by encoder name and
    the SHA-256 of the embedded text, so equal texts share one row); missing ones are computed and stored.

    Needs the database. Call it in the task that recomputes matches and hand the result to `Pool` or
    `match_batch`: an unchanged profile is then never embedded twice. (`routing.services.prune_embeddings`
    would delete these rows as unused by the directory; it is not run automatically, and a pruned vector
    is simply computed again here.)
    """
    from crosscluster.routing.models import Embedding
    from crosscluster.routing.services import _from_bytes, _store, text_hash

    if encoder is None:
        from crosscluster.routing.encoders import get_encoder

        encoder = get_encoder()
    vectors = np.full((len(profiles), encoder.dim), np.nan, dtype=np.float32)
    documents: dict[str, str] = {}
    positions: dict[str, list[int]] = {}
    for i, profile in enumerate(profiles):
        document = _cut(encoder, profile_document(profile))
        digest = text_hash(document)
        documents[digest] = document
        positions.setdefault(digest, []).append(i)
    digests = list(positions)
    found: set[str] = set()
    for start in range(0, len(digests), 500):
        rows = Embedding.objects.filter(
            model=encoder.name, dim=encoder.dim, text_hash__in=digests[start : start + 500]
        ).values_list("text_hash", "vector")
        for digest, data in rows:
            vector = _from_bytes(data, encoder.dim)
            if vector is not None:
                vectors[positions[digest]] = vector
                found.add(digest)
    missing = [documents[digest] for digest in digests if digest not in found]
    for digest, vector in _store(encoder, missing).items():
        vectors[positions[digest]] = vector
    return vectors


def _cut(encoder, text: str, limit: int | None = None) -> str:
    """The longest prefix of whole words within `limit` tokens (when the encoder can count them)."""
    limit = MAX_TOKENS if limit is None else limit
    count = getattr(encoder, "token_count", None)
    if count is None or len(text) < limit or count(text) <= limit:  # a token has at least one letter
        return text
    pieces = text.split()
    low, high = 1, len(pieces)
    while low < high:
        middle = (low + high + 1) // 2
        if count(" ".join(pieces[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return " ".join(pieces[:low])


def _tfidf(counts: sparse.spmatrix) -> tuple[np.ndarray, sparse.csr_matrix]:
    from crosscluster.routing.engine import _tfidf as routing_tfidf

    return routing_tfidf(counts)


def _moments_stats(count, total, squares, prior: tuple[float, float], weight: float):
    """Mean and standard deviation from count, sum and sum of squares (scalars or arrays), shrunk towards
    `prior` by `weight` pseudo-values with the prior's mean and spread."""
    mean0, sd0 = prior
    mean = (total + weight * mean0) / (count + weight)
    variance = (squares + weight * (sd0**2 + mean0**2)) / (count + weight) - mean**2
    return mean, np.sqrt(np.maximum(variance, 1e-12))


def _z_others(values: np.ndarray, prior: tuple[float, float], weight: float) -> np.ndarray:
    """Each value standardised by the mean and spread of the *other* values (and the prior): in a pool of
    three, the one fitting candidate should not lower its own z-score by being part of the statistics."""
    count = len(values) - 1
    total, squares = float(values.sum()) - values, float((values**2).sum()) - values**2
    mean, sd = _moments_stats(count, total, squares, prior, weight)
    return (values - mean) / sd


_PRIOR_MEANS: dict[str, dict[str, np.ndarray] | None] = {}


def _prior_means(encoder_name: str, dim: int) -> dict[str, np.ndarray] | None:
    """Mean vectors of typical profiles per language (and `*` for all) under `encoder_name`, shipped in
    `data/language_means.json` (the e5 vectors of the public benchmark's 60 profile texts; no labels), or
    None for another encoder. Only pools smaller than `Weights.min_centred_pool` use them."""
    if encoder_name not in _PRIOR_MEANS:
        path = Path(__file__).with_name("data") / "language_means.json"
        found = None
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("encoder") == encoder_name:
                found = {lang: np.asarray(v, dtype=np.float32) for lang, v in data["means"].items()}
        _PRIOR_MEANS[encoder_name] = found
    found = _PRIOR_MEANS[encoder_name]
    if found is None or "*" not in found or any(v.shape != (dim,) for v in found.values()):
        return None
    return found


class _Lexicon:
    """Word-level TF-IDF of a set of texts over the routing analyzer's tokens (stems and compound parts)."""

    def __init__(self, texts: Sequence[str]) -> None:
        text_words = [[w for w in words(text) if len(w) >= 3] for text in texts]
        distinct = {w for found in text_words for w in found}
        self.analyzer = Analyzer(Analyzer.vocabulary_of_words(distinct))
        self.token_ids: dict[str, int] = {}
        indptr: list[int] = [0]
        indices: list[int] = []
        values: list[float] = []
        for found in text_words:
            counter: dict[int, float] = {}
            for word in found:
                for token in self.analyzer.analyze_word(word):
                    token_id = self.token_ids.setdefault(token, len(self.token_ids))
                    counter[token_id] = counter.get(token_id, 0.0) + 1.0
            indices += counter.keys()
            values += counter.values()
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.array(values, np.float32), np.array(indices, np.int64), np.array(indptr, np.int64)),
            shape=(len(texts), max(len(self.token_ids), 1)),
        )
        self.idf, self.matrix = _tfidf(counts)
        self.by_token = self.matrix.T.tocsr()

    def query(self, text: str) -> tuple[sparse.csr_matrix, dict[int, str]]:
        """The L2-normalised TF-IDF row of a text over this lexicon's tokens, and token id → first word."""
        counts: dict[int, float] = {}
        origin: dict[int, str] = {}
        for word in words(text):
            if len(word) < 3:
                continue
            for token in self.analyzer.analyze_word(word):
                token_id = self.token_ids.get(token)
                if token_id is not None:
                    counts[token_id] = counts.get(token_id, 0.0) + 1.0
                    origin.setdefault(token_id, word)
        ids = np.fromiter(counts, np.int64, len(counts))
        weights = (1.0 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))) * self.idf[ids]
        norm = float(np.linalg.norm(weights)) or 1.0
        row = sparse.csr_matrix(
            (weights / norm, (np.zeros(len(ids), np.int64), ids)), shape=(1, self.matrix.shape[1])
        )
        return row, origin

    def scores(self, row: sparse.csr_matrix) -> np.ndarray:
        return np.asarray((row @ self.by_token).todense(), dtype=np.float32).ravel()


class Pool:
    """The profiles proposals are chosen from, with everything a query needs; built once, queried often.

    Dense ranker: cosine of the profiles' e5 vectors after removing each language's mean vector (e5 puts
    texts of one language closer together whatever they say; once each language's mean is removed, a German
    offer and an English request on the same subject meet). Word ranker: TF-IDF over stems and compound parts,
    compared only between profiles of the same language (across languages it knows nothing and lets the
    dense ranker speak). Each ranker is standardised over the candidates (complementary kinds), fused as in
    routing (`dense + 0.3 × words`), in both directions, and the two directions are averaged.
    """

    def __init__(
        self,
        profiles: Sequence[ProfileText],
        vectors: np.ndarray | None = None,
        *,
        encoder=None,
        weights: Weights | None = None,
    ) -> None:
        self.profiles = list(profiles)
        self.weights = weights or Weights()
        self.encoder = encoder
        n = len(self.profiles)
        self.position = {p.id: i for i, p in enumerate(self.profiles)}
        self.kinds = np.array([p.kind for p in self.profiles], dtype=object)
        self.langs = np.array([(p.lang or "").lower()[:2] for p in self.profiles], dtype=object)
        self.kind_masks = {kind: self.kinds == kind for kind in KINDS}

        vectors = None if vectors is None else np.array(vectors, dtype=np.float32, copy=True)
        if vectors is None or vectors.shape[0] != n:
            if vectors is not None:
                raise ValueError(f"{vectors.shape[0]} vectors for {n} profiles")
            vectors = embed_profiles(self.profiles, self._encoder()) if n else np.zeros((0, 1), np.float32)
        else:
            missing = ~np.isfinite(vectors).all(axis=1)
            if missing.any():
                todo = [self.profiles[i] for i in np.flatnonzero(missing)]
                vectors[missing] = embed_profiles(todo, self._encoder())
        self.dim = vectors.shape[1]
        self.raw = vectors
        self.centred_space = self.weights.centre and n >= self.weights.min_centred_pool
        self.global_mean = vectors.mean(axis=0) if n else np.zeros(self.dim, np.float32)
        self.language_means: dict[str, np.ndarray] = {}
        if self.centred_space:
            k = self.weights.language_shrink
            for lang in set(self.langs.tolist()):
                rows = vectors[self.langs == lang]
                self.language_means[lang] = (rows.sum(axis=0) + k * self.global_mean) / (len(rows) + k)
        elif (
            self.weights.centre and n and (prior := _prior_means(self._encoder_name(), self.dim)) is not None
        ):
            # A small pool: its own means are its subjects; typical profiles' means (shipped) count as
            # `min_centred_pool` pseudo-profiles of each language.
            self.centred_space = True
            k = self.weights.min_centred_pool
            self.global_mean = (vectors.sum(axis=0) + k * prior["*"]) / (n + k)
            for lang in set(self.langs.tolist()):
                rows = vectors[self.langs == lang]
                self.language_means[lang] = (rows.sum(axis=0) + k * prior.get(lang, prior["*"])) / (
                    len(rows) + k
                )
        self.vectors = vectors
        if n:
            pairs = zip(vectors, self.langs, strict=True)
            self.vectors = np.stack([self._centre(vector, lang) for vector, lang in pairs])
        self.lexicon = _Lexicon([profile_document(p) for p in self.profiles])
        self._reverse_stats()

    # --- the space -------------------------------------------------------------------------------------

    def _encoder_name(self) -> str:
        """The encoder's name without loading the model (the settings' class carries it)."""
        if self.encoder is not None:
            return str(getattr(self.encoder, "name", ""))
        from django.conf import settings
        from django.utils.module_loading import import_string

        try:
            return str(getattr(import_string(settings.ROUTING_ENCODER), "name", ""))
        except ImportError:
            return ""

    def _encoder(self):
        if self.encoder is None:
            from crosscluster.routing.encoders import get_encoder

            self.encoder = get_encoder()
        return self.encoder

    def _centre(self, vector: np.ndarray, lang: str) -> np.ndarray:
        """The vector without its language's mean (the pool's mean for a language the pool lacks)."""
        if not self.centred_space:
            return vector.astype(np.float32)
        centred = vector - self.language_means.get(lang, self.global_mean)
        norm = float(np.linalg.norm(centred))
        return (centred / norm if norm > 1e-9 else centred).astype(np.float32)

    @property
    def _dense_prior(self) -> tuple[float, float]:
        w = self.weights
        return w.prior_dense_centred if self.centred_space else w.prior_dense_raw

    def candidates(self, kind: str, exclude: int | None = None) -> np.ndarray:
        """Positions of the pool's profiles of the complementary kinds."""
        mask = np.zeros(len(self.profiles), dtype=bool)
        for other in complements(kind):
            mask |= self.kind_masks.get(other, False)
        if exclude is not None:
            mask[exclude] = False
        return np.flatnonzero(mask)

    def _reverse_stats(self) -> None:
        """For every profile, count, sum and sum of squares of its dense and word scores over its own
        candidates (on a fixed sample of the pool when it is large): what the reverse direction needs."""
        n = len(self.profiles)
        w = self.weights
        self.dense_moments = np.zeros((3, n), np.float64)
        self.lex_moments = np.zeros((3, n), np.float64)
        self.sample = np.arange(n)
        if n > w.stats_sample:
            self.sample = np.sort(np.random.default_rng(16).choice(n, w.stats_sample, replace=False))
        self.in_sample = np.zeros(n, dtype=bool)
        self.in_sample[self.sample] = True
        if not n:
            return
        sample = self.sample
        sample_kinds = self.kinds[sample]
        sample_langs = self.langs[sample]
        lex_sample = self.lexicon.matrix[sample].T.tocsc()
        for start in range(0, n, 512):
            block = np.arange(start, min(start + 512, n))
            dense = self.vectors[block] @ self.vectors[sample].T
            lexical = (self.lexicon.matrix[block] @ lex_sample).toarray()
            for row, i in enumerate(block):
                mask = np.isin(sample_kinds, complements(self.kinds[i])) & (sample != i)
                values = dense[row, mask].astype(np.float64)
                self.dense_moments[:, i] = (len(values), values.sum(), (values**2).sum())
                values = lexical[row, mask & (sample_langs == self.langs[i])].astype(np.float64)
                self.lex_moments[:, i] = (len(values), values.sum(), (values**2).sum())

    def _reverse_z(
        self, values: np.ndarray, moments: np.ndarray, candidates: np.ndarray, own: np.ndarray | None, prior
    ) -> np.ndarray:
        """`values` standardised by each candidate's own statistics, without the query where it counted."""
        count, total, squares = (moments[:, candidates]).copy()
        if own is not None:
            count, total, squares = count - own, total - own * values, squares - own * values**2
        mean, sd = _moments_stats(count, total, squares, prior, self.weights.stats_prior)
        return (values - mean) / sd

    # --- matching --------------------------------------------------------------------------------------

    def vector_of(self, profile: ProfileText) -> np.ndarray:
        position = self.position.get(profile.id)
        if position is not None and self.profiles[position] == profile:
            return self.raw[position]
        return embed_profiles([profile], self._encoder())[0]

    def scores(
        self, profile: ProfileText, *, vector: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, str]]:
        """Candidates (positions), their mutual z-scores, dense and word scores, and token id → query word."""
        w = self.weights
        position = self.position.get(profile.id)
        candidates = self.candidates(profile.kind, exclude=position)
        lang = (profile.lang or "").lower()[:2]
        if vector is None:
            vector = self.vector_of(profile)
        query = self._centre(np.asarray(vector, dtype=np.float32), lang)
        row, origin = self.lexicon.query(profile_document(profile))
        if not len(candidates):
            empty = np.zeros(0, np.float32)
            return candidates, empty, empty, empty, origin
        dense = self.vectors[candidates] @ query
        lexical = self.lexicon.scores(row)[candidates]
        same = self.langs[candidates] == lang

        # Forward: how far each candidate stands out among the other candidates of this profile.
        dense_z = _z_others(dense, self._dense_prior, w.stats_prior)
        lexical_z = dense_z.copy()
        lexical_z[same] = _z_others(lexical[same], w.prior_lexical, w.stats_prior)
        forward = dense_z + w.lexical * lexical_z
        # Reverse: how far this profile stands out among each candidate's own candidates (a profile of the
        # pool is one of them: its value is taken out again).
        own = None
        if position is not None and self.in_sample[position]:
            own = np.ones(len(candidates))
        dense_r = self._reverse_z(dense, self.dense_moments, candidates, own, self._dense_prior)
        lex_own = None if own is None else same.astype(np.float64)
        lexical_r = self._reverse_z(lexical, self.lex_moments, candidates, lex_own, w.prior_lexical)
        lexical_r = np.where(same, lexical_r, dense_r)
        reverse = dense_r + w.lexical * lexical_r
        if not w.mutual:
            reverse = forward
        mutual = (forward + reverse) / (2 * (1 + w.lexical))
        return candidates, mutual.astype(np.float32), dense, lexical, origin

    def score_of(self, mutual: float) -> float:
        """A mutual z-score as a number in 0…1; `GOOD_SCORE` (0.5) at the threshold of a clear fit."""
        w = self.weights
        return 1.0 / (1.0 + math.exp(-w.slope * (mutual - w.threshold)))

    def match(self, profile: ProfileText, *, top: int = 5, vector: np.ndarray | None = None) -> Proposal:
        """The best complementary profiles of the pool for `profile` (of the pool or new), with reasons."""
        top = max(1, min(int(top), TOP_MAX))
        candidates, mutual, _dense, _lexical, origin = self.scores(profile, vector=vector)
        order = np.argsort(-mutual, kind="stable")[:top]
        matches = []
        for i in order:
            other = self.profiles[int(candidates[i])]
            score = round(self.score_of(float(mutual[i])), 4)
            matches.append(Match(other.id, score, tuple(self.reasons(profile, other, origin))))
        no_good = not matches or matches[0].score < GOOD_SCORE
        return Proposal(profile.id, tuple(matches), no_good)

    # --- reasons ---------------------------------------------------------------------------------------

    def shared_words(self, profile: ProfileText, other: ProfileText, origin: dict[int, str]) -> list[str]:
        """The profile's meaningful words (as it wrote them) whose stems or compound parts `other` also
        uses, rarest first (the routing engine's choice of a company's own words)."""
        from crosscluster.routing.services import reason_words

        position = self.position.get(other.id)
        if position is None or not origin:
            return []
        present = set(self.lexicon.matrix[position].indices.tolist())
        found = sorted(
            ((float(self.lexicon.idf[t]), word) for t, word in origin.items() if t in present), reverse=True
        )
        document = profile_document(profile)
        # `words` case-folds (ß becomes ss); the reason shows the spelling of the text.
        spelling: dict[str, str] = {}
        for word in surface_words(document):
            spelling.setdefault(word.casefold(), word)
        terms = list(dict.fromkeys(spelling.get(word, word) for _idf, word in found))
        if (profile.lang or "")[:2] != (other.lang or "")[:2]:
            # Across languages a shared stem is often a false friend (`handle`, `Handel`): only words the
            # other text contains as they are (`Food`, `Shopify`) are shown.
            theirs = set(folded_words(profile_document(other)))
            terms = [term for term in terms if all(fold(part) in theirs for part in term.split("-"))]
        chosen = reason_words(document, terms)
        return chosen[:MAX_REASON_WORDS]

    def reasons(self, profile: ProfileText, other: ProfileText, origin: dict[int, str]) -> list[str]:
        """In words people understand: what the other side offers or seeks, and what both texts share."""
        from django.utils.translation import gettext as _

        result = []
        title = other.title.strip() or other.text.strip()[:80]
        if other.kind in OFFERS:
            result.append(_("Offers: %(title)s") % {"title": title})
        elif other.kind in REQUESTS:
            result.append(_("Seeks: %(title)s") % {"title": title})
        else:
            result.append(_("Seeks partners: %(title)s") % {"title": title})
        shared = self.shared_words(profile, other, origin)
        lang, other_lang = (profile.lang or "")[:2], (other.lang or "")[:2]
        if shared:
            result.append(_("Shared terms: %(words)s") % {"words": ", ".join(shared)})
        if lang != other_lang:
            if other_lang == "en":
                result.append(_("Similar subject; the profile is written in English"))
            elif other_lang == "de":
                result.append(_("Similar subject; the profile is written in German"))
            else:
                result.append(_("Similar subject in another language"))
        elif not shared:
            result.append(_("Similar subject"))
        if profile.kind == RESEARCH_PARTNER and other.kind == TECHNOLOGY_OFFER:
            result.append(_("Could fill a role the consortium seeks"))
        elif profile.kind == TECHNOLOGY_OFFER and other.kind == RESEARCH_PARTNER:
            result.append(_("The consortium seeks a partner with such a technology"))
        return result[:3]


def match_batch(
    profiles: Sequence[ProfileText],
    *,
    top: int = 5,
    vectors: np.ndarray | None = None,
    encoder=None,
    weights: Weights | None = None,
) -> list[Proposal]:
    """Match every profile against the others of the same pool (in input order)."""
    pool = Pool(profiles, vectors, encoder=encoder, weights=weights)
    return [pool.match(profile, top=top, vector=pool.raw[i]) for i, profile in enumerate(pool.profiles)]


def match_texts(
    profile: ProfileText,
    items: Sequence[TextItem],
    *,
    top: int = 3,
    vector: np.ndarray | None = None,
    vectors: np.ndarray | None = None,
    encoder=None,
    min_score: float = GOOD_SCORE,
) -> list[Match]:
    """The items (e.g. coming events) that fit a profile, best first, only those at least `min_score`.

    The same fusion in one direction (dense plus words, standardised over the items); items are embedded
    as "title. text" like profiles. `vectors`: stored ones, in item order.
    """
    from django.utils.translation import gettext as _

    from crosscluster.routing.services import reason_words

    if not items:
        return []
    documents = [ProfileText(item.id, "", item.title, item.text, profile.lang) for item in items]
    if vectors is None:
        vectors = embed_profiles(documents, encoder)
    if vector is None:
        vector = embed_profiles([profile], encoder)[0]
    w = Weights()
    dense = np.asarray(vectors, np.float32) @ np.asarray(vector, np.float32)
    lexicon = _Lexicon([profile_document(d) for d in documents])
    row, origin = lexicon.query(profile_document(profile))
    lexical = lexicon.scores(row)
    dense_z = _z_others(dense, w.prior_dense_raw, w.stats_prior)
    lexical_z = _z_others(lexical, w.prior_lexical, w.stats_prior)
    fused = (dense_z + w.lexical * lexical_z) / (1 + w.lexical)
    result = []
    for i in np.argsort(-fused, kind="stable")[: max(1, top)]:
        score = 1.0 / (1.0 + math.exp(-w.slope * (float(fused[i]) - w.threshold)))
        if score < min_score:
            break
        present = set(lexicon.matrix[int(i)].indices.tolist())
        shared = sorted(
            ((float(lexicon.idf[t]), word) for t, word in origin.items() if t in present), reverse=True
        )
        chosen = reason_words(profile_document(profile), list(dict.fromkeys(word for _idf, word in shared)))
        reasons = [_("Shared terms: %(words)s") % {"words": ", ".join(chosen)}] if chosen else []
        reasons = reasons or [_("Similar subject")]
        result.append(Match(items[int(i)].id, round(score, 4), tuple(reasons)))
    return result


def match_organizations(profile: ProfileText, *, top: int = 3):
    """The member organisations that can help with a profile: the routing engine's suggestions for its
    text (a `routing.services.RoutingResult`; needs the database and the routing index)."""
    from crosscluster.routing.services import suggest

    return suggest(profile_document(profile), top=top)
