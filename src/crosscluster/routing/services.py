"""The routing engine's services: suggest organisations for a need, learn from handled inquiries, keep
embeddings and the per-process index current. See docs/routing.md.

- `suggest(text, region=…, top=…)` ranks the published organisations and explains each suggestion.
- `record_evidence(...)` / `forget_evidence(...)`: the inquiries app reports who handled what (and deletes it
  again when data protection requires it).
- `ensure_embeddings()` computes every missing embedding synchronously (import commands, tests, the worker).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from crosscluster.core.bilingual import with_english
from crosscluster.core.services import log_action
from crosscluster.core.signals import Drift, vectors_changed
from crosscluster.core.text import REQUEST_WORDS, STOPWORDS, clean_query, fold
from crosscluster.directory.models import Offer, Organization, Region, Topic
from crosscluster.directory.queries import published_organizations

from .encoders import Encoder, get_encoder
from .engine import EVIDENCE, OrgEntry, Passage, RoutingIndex
from .models import Embedding, Evidence, IndexVersion
from .passages import offer_texts, organization_passages

logger = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 5000
TOP_MAX = 20
MAX_REASONS = 3
MAX_REASON_WORDS = 3


# --- How well a suggestion fits, in words ----------------------------------------------------------------


class Fit:
    """The fit shown to people instead of a score ("passt sehr gut"); stored with an inquiry's suggestions."""

    VERY_GOOD = "very_good"
    GOOD = "good"
    MAYBE = "maybe"


FIT_LABELS = {
    Fit.VERY_GOOD: pgettext_lazy("routing fit", "fits very well"),
    Fit.GOOD: pgettext_lazy("routing fit", "fits well"),
    Fit.MAYBE: pgettext_lazy("routing fit", "may fit"),
}


@dataclass(frozen=True)
class FitThresholds:
    """When a suggestion is said to fit "very well" or "well" (docs/routing.md, "The fit in words").

    Both are in z units of the fused score, which is standardised over the candidate organisations of every
    query, so they mean the same for any directory and any query (a raw score or share does not):

    - `very_good_margin`: the first suggestion is this far ahead of the second (and the engine is
      confident). Chosen on the first half of the public routing set so that the first suggestion was
      right every time; on the held-out second half it was right in 100 % of the cases so labelled.
    - `good_z`: a suggestion's own standardised score is at least this (far above the typical candidate).
    """

    very_good_margin: float
    good_z: float


FIT_THRESHOLDS = FitThresholds(very_good_margin=1.75, good_z=1.5)


def fit_of(fused: float, *, first: bool, margin: float, confident: bool, thresholds: FitThresholds) -> str:
    """The fit in words of one suggestion from its standardised score and the ranking's margin."""
    if first and confident and margin >= thresholds.very_good_margin:
        return Fit.VERY_GOOD
    if confident and fused >= thresholds.good_z:
        return Fit.GOOD
    return Fit.MAYBE


def fit_label(fit: str | None) -> str:
    """The translated words for a stored fit ("" for suggestions stored before fits existed)."""
    label = FIT_LABELS.get(fit or "")
    return str(label) if label is not None else ""


@dataclass
class Suggestion:
    organization: Organization
    score: float
    reasons: list[str]
    # How well it fits, in words (a `Fit` value; `fit_label` translates it).
    fit: str = Fit.MAYBE
    # Its fused score in z units over the candidates (what `fit` is derived from).
    z: float = 0.0


@dataclass
class RoutingResult:
    results: list[Suggestion] = field(default_factory=list)
    # False: no organisation fits clearly, and the coordination office comes first.
    confident: bool = False
    # True: some embeddings were missing, so the ranking was partly lexical only (see docs/routing.md).
    degraded: bool = False
    # How far (z units) the first organisation is ahead of the second.
    margin: float = 0.0


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _from_bytes(data: bytes | memoryview, dim: int) -> np.ndarray | None:
    vector = np.frombuffer(bytes(data), dtype="<f4")
    return vector if vector.shape == (dim,) else None


# --- The version stamp ---------------------------------------------------------------------------------


def bump_index_version() -> None:
    """Tell every process that its index is out of date. Inside a transaction it takes effect on commit."""
    if not IndexVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now()):
        try:
            with transaction.atomic():
                IndexVersion.objects.create(pk=1, version=1)
        except IntegrityError:  # another process created it just now
            IndexVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())


def index_version() -> int:
    return IndexVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


# --- What the index is made of ---------------------------------------------------------------------------


def _ordered_topics(
    through: Any, owner: str, ids: set[int] | None = None
) -> dict[int, list[tuple[str, list[str]]]]:
    """Owner id → its topics as (name, synonyms), in the taxonomy's order (of the organisations `ids`, or
    of all: a few organisations, as the search documents of one save need, read only theirs)."""
    topics: dict[int, list[tuple[str, list[str]]]] = {}
    rows = through.objects.order_by("topic__position", "topic__name", "pk")
    if ids is not None and len(ids) < 500:
        organization = owner.removesuffix("_id")
        rows = rows.filter(**{f"{organization}__in": ids})
    # The German name, whatever language the request is in; an English name counts as a synonym.
    rows = rows.values_list(owner, "topic__name_de", "topic__synonyms", "topic__name_en")
    for owner_id, name, synonyms, name_en in rows:
        synonym_list = Topic(synonyms=with_english(synonyms, name_en)).synonym_list()
        topics.setdefault(owner_id, []).append((name, synonym_list))
    return topics


def directory_passages(
    organizations: Iterable[Organization] | None = None,
) -> tuple[list[OrgEntry], list[Passage]]:
    """Organisations and their passages, read with a fixed number of queries (published ones by default)."""
    if organizations is None:
        organizations = published_organizations().order_by("pk")
    orgs = list(organizations)
    ids = {org.pk for org in orgs}
    org_topics = _ordered_topics(Organization.topics.through, "organization_id", ids)
    offer_topics = _ordered_topics(Offer.topics.through, "offer__organization_id", ids)
    offers: dict[int, list[tuple[str, str]]] = {}
    rows = Offer.objects.filter(organization__in=ids) if len(ids) < 500 else Offer.objects.all()
    # German texts plus the English ones where present (core/bilingual.py), whatever the request's language.
    for organization_id, *texts in rows.order_by("organization_id", "position", "pk").values_list(
        "organization_id", "title_de", "description_de", "title_en", "description_en"
    ):
        if organization_id in ids:
            offers.setdefault(organization_id, []).append(offer_texts(*texts))
    entries, passages = [], []
    for position, org in enumerate(orgs):
        entries.append(OrgEntry(org.pk, org.slug, org.name_de, org.kind, org.region_id))
        topics = org_topics.get(org.pk, []) + offer_topics.get(org.pk, [])
        for item in organization_passages(
            name=org.name_de,
            summary=with_english(org.summary_de, org.summary_en),
            description=with_english(org.description_de, org.description_en),
            topics=topics,
            offers=offers.get(org.pk, []),
        ):
            passages.append(Passage(position, item.field, item.text, item.label))
    return entries, passages


# --- Embeddings ------------------------------------------------------------------------------------------


def _stored_hashes(encoder: Encoder, hashes: set[str]) -> set[str]:
    """Which of `hashes` have a stored embedding of `encoder`."""
    rows = Embedding.objects.filter(model=encoder.name, dim=encoder.dim)
    if len(hashes) < 900:
        return set(rows.filter(text_hash__in=list(hashes)).values_list("text_hash", flat=True))
    return {digest for digest in rows.values_list("text_hash", flat=True).iterator(2000) if digest in hashes}


def _fill_stored_vectors(encoder: Encoder, positions: dict[str, list[int]], vectors: np.ndarray) -> set[str]:
    """Copy the stored embeddings of the hashes in `positions` into their rows of `vectors`; return the found.

    Straight into the one array: a dictionary of per-text arrays would hold a second copy of the whole index
    while it is built (that was a quarter of an app server's peak memory).
    """
    found = set()
    rows = Embedding.objects.filter(model=encoder.name, dim=encoder.dim)
    for digest, data in rows.values_list("text_hash", "vector").iterator(chunk_size=2000):
        rows_of_text = positions.get(digest)
        if rows_of_text is not None:
            vector = _from_bytes(data, encoder.dim)
            if vector is not None:
                vectors[rows_of_text] = vector
                found.add(digest)
    return found


def _store(encoder: Encoder, texts: list[str], batch_size: int = 64) -> dict[str, np.ndarray]:
    """Embed texts as passages and store them; returns hash → vector."""
    computed: dict[str, np.ndarray] = {}
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        vectors = encoder.encode_passages(batch)
        rows = []
        for text, vector in zip(batch, vectors, strict=True):
            digest = text_hash(text)
            computed[digest] = vector
            rows.append(
                Embedding(model=encoder.name, text_hash=digest, dim=encoder.dim, vector=_to_bytes(vector))
            )
        Embedding.objects.bulk_create(rows, ignore_conflicts=True)
    return computed


def _embed_evidence(encoder: Encoder, rows: list[Evidence]) -> None:
    if not rows:
        return
    vectors = encoder.encode_queries([row.text for row in rows])
    for row, vector in zip(rows, vectors, strict=True):
        Evidence.objects.filter(pk=row.pk, text=row.text).update(
            embedding=_to_bytes(vector), embedding_model=encoder.name
        )


def ensure_embeddings(
    *, organization_ids: Iterable[int] | None = None, encoder: Encoder | None = None
) -> int:
    """Compute and store every missing embedding, synchronously; returns how many were computed.

    Covers the directory texts of all organisations (unpublished ones too, so that publishing routes at full
    quality at once) or of `organization_ids`, and all evidence. Bumps the index version when it computed
    anything, so that processes rebuild with the new vectors. Safe to run twice, and beside a worker.
    """
    encoder = encoder or get_encoder()
    queryset = Organization.objects.order_by("pk")
    if organization_ids is not None:
        organization_ids = list(organization_ids)
        queryset = queryset.filter(pk__in=organization_ids)
    entries, passages = directory_passages(queryset)
    texts = {text_hash(p.text): p.text for p in passages}
    have = _stored_hashes(encoder, set(texts))
    missing = [text for digest, text in texts.items() if digest not in have]
    missing_texts = set(missing)
    renewed = list(dict.fromkeys(entries[p.org].pk for p in passages if p.text in missing_texts))
    _store(encoder, missing)
    evidence = list(
        Evidence.objects.filter(Q(embedding__isnull=True) | ~Q(embedding_model=encoder.name)).only(
            "pk", "text"
        )
    )
    _embed_evidence(encoder, evidence)
    computed = len(missing) + len(evidence)
    if computed:
        bump_index_version()
    if missing:
        # The search documents carry the organisations' and offers' vectors: store those of the
        # organisations that have a new one (a centroid changes with any of its passages).
        vectors_changed.send(sender=Organization, ids=renewed)
        logger.info("routing: computed %d embeddings with %s", computed, encoder.name)
    return computed


def prune_embeddings(*, encoder: Encoder | None = None) -> int:
    """Delete stored embeddings of texts that no organisation uses any more (edited or deleted ones) and
    those of another encoder; `crosscluster check-derived` runs it (check_embeddings)."""
    return len(_stale_embeddings(encoder or get_encoder(), delete=True))


def _stale_embeddings(encoder: Encoder, *, delete: bool) -> list[int]:
    _entries, passages = directory_passages(Organization.objects.order_by("pk"))
    used = {text_hash(p.text) for p in passages}
    current = (encoder.name, encoder.dim)
    stale = [
        pk
        for pk, digest, model, dim in Embedding.objects.values_list("pk", "text_hash", "model", "dim")
        if digest not in used or (model, dim) != current
    ]
    if delete:
        for start in range(0, len(stale), 500):
            Embedding.objects.filter(pk__in=stale[start : start + 500]).delete()
    return stale


def check_embeddings(*, repair: bool) -> Drift:
    """Compare the stored embeddings with the directory's passages. A passage without a vector of the
    current encoder is drift (the embedding task should have computed it; with `repair` it is queued
    again). Vectors of texts nobody uses any more are expected after every edit, until they are pruned
    here (`prune_embeddings`, with `repair`): counted as pruned, not as drift."""
    encoder = get_encoder()
    _entries, passages = directory_passages(Organization.objects.order_by("pk"))
    texts = {text_hash(p.text) for p in passages}
    missing = texts - _stored_hashes(encoder, texts)
    stale = _stale_embeddings(encoder, delete=repair)
    drift = Drift("routing: Embedding", checked=len(texts), found=len(missing))
    drift.examples = [f"{len(missing)} passage(s) without a vector"]
    drift.notes = [f"{len(stale)} vector(s) of unused texts{' pruned' if repair else ''}"]
    if repair and missing:
        enqueue_embeddings()
        drift.repaired = len(missing)
    return drift


# --- The per-process index --------------------------------------------------------------------------------


@dataclass
class _Cached:
    index: RoutingIndex
    version: int
    key: tuple[Any, ...]
    built_at: float

    def current(self, version: int, key: tuple[Any, ...]) -> bool:
        """Same data and configuration; an index with missing embeddings is retried every half minute."""
        retry = self.index.missing and time.monotonic() - self.built_at > DEGRADED_RETRY_SECONDS
        return self.version == version and self.key == key and not retry


_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()
DEGRADED_RETRY_SECONDS = 30


def build_index(encoder: Encoder | None = None) -> RoutingIndex:
    """Build the in-memory index from stored texts and embeddings.

    A few missing embeddings (at most `ROUTING_SYNC_EMBED_MAX`, e.g. an offer saved a moment ago whose task
    has not run yet) are computed on the spot and stored; more are logged, and the passages concerned take
    part lexically only, which the results report as `degraded` until the worker has caught up.
    """
    encoder = encoder or get_encoder()
    orgs, passages = directory_passages()
    hashes = [text_hash(p.text) for p in passages]
    evidence: list[Evidence] = []
    if settings.ROUTING_LEARN_FROM_HISTORY:
        position = {entry.pk: i for i, entry in enumerate(orgs)}
        evidence = list(
            Evidence.objects.filter(organization_id__in=list(position))
            .only("pk", "organization_id", "text", "embedding", "embedding_model")
            .order_by("pk")
        )
        passages += [Passage(position[row.organization_id], EVIDENCE, row.text) for row in evidence]
    # One row per distinct text (a topic's name recurs in hundreds of organisations), then one per evidence.
    row_of: dict[str, int] = {}
    rows = [row_of.setdefault(digest, len(row_of)) for digest in hashes]
    positions = {digest: [row] for digest, row in row_of.items()}
    rows += range(len(row_of), len(row_of) + len(evidence))
    vectors = np.full((len(row_of) + len(evidence), encoder.dim), np.nan, dtype=np.float32)
    found = _fill_stored_vectors(encoder, positions, vectors)
    missing = sorted({p.text for p, digest in zip(passages, hashes, strict=False) if digest not in found})
    unembedded = [row for row in evidence if row.embedding is None or row.embedding_model != encoder.name]
    if (missing or unembedded) and len(missing) + len(unembedded) <= settings.ROUTING_SYNC_EMBED_MAX:
        for digest, vector in _store(encoder, missing).items():
            vectors[positions[digest]] = vector
        _embed_evidence(encoder, unembedded)
        for row in unembedded:
            row.refresh_from_db(fields=["embedding", "embedding_model"])
        missing, unembedded = [], []
    if missing or unembedded:
        logger.warning(
            "routing: %d embeddings are missing; ranking is partly lexical until the worker computes them "
            "(or run `crosscluster route --embed`)",
            len(missing) + len(unembedded),
        )
    offset = len(row_of)
    for i, row in enumerate(evidence):
        if row.embedding is not None and row.embedding_model == encoder.name:
            stored = _from_bytes(row.embedding, encoder.dim)
            if stored is not None:
                vectors[offset + i] = stored
    return RoutingIndex(
        orgs,
        passages,
        vectors,
        rows=np.array(rows, dtype=np.int64),
        coordination_kind=Organization.Kind.COORDINATION,
    )


def get_index() -> RoutingIndex:
    """This process's index, rebuilt when the stored version stamp (or the configuration) has changed."""
    version = index_version()
    key = (settings.ROUTING_ENCODER, settings.ROUTING_LEARN_FROM_HISTORY)
    cached = _cache.get("index")
    if cached is not None and cached.current(version, key):
        return cached.index
    with _cache_lock:
        cached = _cache.get("index")
        if cached is None or not cached.current(version, key):
            # The version is read before the data: a change during the build triggers the next rebuild.
            version = index_version()
            index = build_index()
            _cache["index"] = cached = _Cached(index, version, key, time.monotonic())
    return cached.index


def clear_index_cache() -> None:
    _cache.clear()


# --- Suggestions -----------------------------------------------------------------------------------------


# Words a company writes that say nothing about its need, beyond the stop words the ranking drops already:
# German pronominal adverbs ("dafür", "darüber", "womit", "hierzu") and the words of asking for help. Generic
# grammar, chosen from no query; `reason_words` also drops anything shorter than four letters.
_PRONOMINAL_PREFIXES = ("da", "dar", "wo", "wor", "hier")
_PRONOMINAL_PREPOSITIONS_TEXT = """
    an auf aus bei durch für fur gegen hin hinter in mit nach neben über uber um unter von vor zu zwischen
"""
# Common adverbs and particles (a writer who does not capitalise nouns would keep them otherwise).
_PARTICLES_TEXT = """
    deshalb deswegen daher darum dennoch trotzdem außerdem ausserdem sowie erst bereits schon mal gern gerne
    endlich überhaupt eigentlich leider vielleicht irgendwie irgendwo jemand jemanden etwa ganz gleich immer
    wirklich genau bisher aktuell derzeit momentan demnächst also really maybe already someone somebody
    anyone currently
"""
FUNCTION_WORDS = frozenset(
    {
        prefix + preposition
        for prefix in _PRONOMINAL_PREFIXES
        for preposition in _PRONOMINAL_PREPOSITIONS_TEXT.split()
    }
    | set(_PARTICLES_TEXT.split())
)
_FOLDED_IGNORED = frozenset(fold(word) for word in STOPWORDS | REQUEST_WORDS | FUNCTION_WORDS)
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = ".!?:;\n"
# A text in which at least this share of the words inside sentences is capitalised follows German
# orthography, which capitalises nouns: there its capitalised words are the meaningful ones.
NOUN_CAPITALS_MIN_SHARE = 0.15


def _nouns(query: str) -> set[str] | None:
    """The folded words written with a capital inside a sentence (nouns and names), when the text capitalises
    its nouns as German does; None for English or all-lower-case texts, where case says nothing."""
    inside, capitalised = 0, set()
    for match in _WORD.finditer(query):
        before = query[: match.start()].rstrip()
        if not before or before[-1] in _SENTENCE_END:
            continue  # the first word of a sentence is capitalised anyway
        inside += 1
        if match.group(0)[0].isupper():
            capitalised.add(fold(match.group(0)))
    occurrences = sum(
        1
        for match in _WORD.finditer(query)
        if match.group(0)[0].isupper() and fold(match.group(0)) in capitalised
    )
    if not inside or occurrences / inside < NOUN_CAPITALS_MIN_SHARE:
        return None
    return capitalised


def reason_words(query: str, terms: list[str]) -> list[str]:
    """The company's meaningful words among `terms`, as it wrote them (case included), at most three.

    `terms` are the engine's matching query words (lower case, rarest first). Function words, words of asking
    and short words are left out, and in a text that capitalises its nouns (German) only its nouns and names
    are kept; each word is shown in the spelling of its first occurrence in the query.
    """
    nouns = _nouns(query)
    result: list[str] = []
    seen: set[str] = set()
    for term in terms:
        folded = fold(term)
        if len(term) < 4 or folded in _FOLDED_IGNORED or folded in seen:
            continue
        parts = {fold(part) for part in term.split("-")}
        if nouns is not None and not (parts & nouns):
            continue
        if len(parts) > 1 and parts & seen:  # "Games-Studio" after "Studio" says nothing new
            continue
        match = re.search(rf"(?<![^\W\d_]){re.escape(term)}(?![^\W\d_])", query, flags=re.IGNORECASE)
        result.append(match.group(0) if match else term)
        seen |= {folded, *parts}
        if len(result) == MAX_REASON_WORDS:
            break
    return result


def _reasons(
    index: RoutingIndex, hit: Any, organization: Organization, fallback: bool, query: str
) -> list[str]:
    """One to three reasons in the directory's words: handled inquiries, offer titles, topics, and the
    company's own meaningful words (never stems or function words)."""
    reasons = []
    if fallback:
        reasons.append(_("No organisation fits clearly; the coordination office finds the right partner."))
    if hit.evidence:
        reasons.append(_("Similar inquiries handled: %(count)d") % {"count": hit.evidence})
    if hit.offers:
        reasons.append(_("Offer “%(title)s”") % {"title": index.passages[hit.offers[0]].label})
    if hit.topics:
        reasons.append(_("Topic %(name)s") % {"name": index.passages[hit.topics[0]].label})
    if own := reason_words(query, hit.terms):
        reasons.append(_("Your words: %(words)s") % {"words": ", ".join(own)})
    if len(hit.offers) > 1:
        reasons.append(_("Offer “%(title)s”") % {"title": index.passages[hit.offers[1]].label})
    if not reasons:
        reasons.append(_("Profile: %(name)s") % {"name": organization.name})
    return reasons[:MAX_REASONS]


def suggest(text: str, *, region: Region | None = None, top: int = 5) -> RoutingResult:
    """The `top` published organisations (of `region`, or all) that fit a need described in free text.

    `confident` is False when none fits clearly; the coordination office then comes first.
    """
    top = max(1, min(int(top), TOP_MAX))
    query = clean_query(text[:TEXT_MAX_LENGTH])
    if not query:
        return RoutingResult()
    index = get_index()
    encoder = get_encoder()
    vector = encoder.encode_queries([query])[0] if index.dim else None
    ranking = index.rank(query, vector, regions=[region.pk] if region is not None else None, top=top)
    organizations = Organization.objects.select_related("region").in_bulk(
        [index.orgs[h.org].pk for h in ranking.hits]
    )
    results = []
    for position, hit in enumerate(ranking.hits):
        organization = organizations.get(index.orgs[hit.org].pk)
        if organization is None:  # deleted since the index was built
            continue
        fallback = (
            not ranking.confident and position == 0 and organization.kind == Organization.Kind.COORDINATION
        )
        results.append(
            Suggestion(
                organization=organization,
                score=round(hit.score, 4),
                reasons=_reasons(index, hit, organization, fallback, query),
                fit=fit_of(
                    hit.fused,
                    first=position == 0,
                    margin=ranking.margin,
                    confident=ranking.confident and not fallback,
                    thresholds=FIT_THRESHOLDS,
                ),
                z=round(hit.fused, 3),
            )
        )
    if ranking.degraded:
        logger.warning("routing: degraded result (missing embeddings or no encoder vector)")
    return RoutingResult(
        results=results, confident=ranking.confident, degraded=ranking.degraded, margin=ranking.margin
    )


# --- Learning from handled inquiries ------------------------------------------------------------------------


class RoutingError(Exception):
    """A request the routing engine refuses; the message is translated and meant for the user."""


@transaction.atomic
def record_evidence(
    organization: Organization, text: str, *, source: str, source_id: str = ""
) -> Evidence | None:
    """Remember that `organization` handled `text` (e.g. a resolved inquiry); ranking learns from it.

    Idempotent per (source, source_id): recording again updates the row (another organisation, edited text)
    or changes nothing. Does nothing when `ROUTING_LEARN_FROM_HISTORY` is off. The embedding is computed in
    the background after commit.
    """
    if not settings.ROUTING_LEARN_FROM_HISTORY:
        return None
    text = clean_query(text[:TEXT_MAX_LENGTH])
    if not text or not source:
        raise RoutingError(_("Evidence needs a text and a source."))
    evidence = (
        Evidence.objects.select_for_update().filter(source=source, source_id=source_id).first()
        if source_id
        else None
    )
    if evidence is not None:
        if evidence.organization_id == organization.pk and evidence.text == text:
            return evidence
        if evidence.text != text:
            evidence.embedding, evidence.embedding_model = None, ""
        evidence.organization, evidence.text = organization, text
        evidence.save()
        action = "routing.evidence.updated"
    else:
        evidence = Evidence.objects.create(
            organization=organization, text=text, source=source, source_id=source_id
        )
        action = "routing.evidence.recorded"
    log_action(
        action, obj=evidence, organization=organization, data={"source": source, "source_id": source_id}
    )
    bump_index_version()
    transaction.on_commit(lambda: enqueue_embeddings(organization_ids=[]))
    return evidence


@transaction.atomic
def forget_evidence(source: str, source_id: str) -> int:
    """Delete the evidence of one source item (text and embedding alike); returns how many rows went."""
    rows = list(Evidence.objects.filter(source=source, source_id=source_id).select_related("organization"))
    for evidence in rows:
        log_action(
            "routing.evidence.forgotten",
            obj=evidence,
            organization=evidence.organization,
            data={"source": source, "source_id": source_id},
        )
    deleted, _detail = Evidence.objects.filter(source=source, source_id=source_id).delete()
    if deleted:
        bump_index_version()
    return deleted


def enqueue_embeddings(*, organization_ids: Iterable[int] | None = None) -> None:
    """Compute missing embeddings (of these organisations, or all; always of evidence) in the background.

    A failing queue only delays them: queries compute a few on the spot or flag their result as degraded.
    """
    from .tasks import compute_embeddings

    try:
        compute_embeddings.enqueue(sorted(organization_ids) if organization_ids is not None else None)
    except Exception:
        logger.exception("routing: could not enqueue the embedding task")
