"""One search over organisations, offers, events and notices. See docs/search.md.

- `search(text, kinds=…, per_group=…, offset=…, past=…)` answers a query with groups by kind, a "did you
  mean" and whether the query reads like a need (then the page offers the inquiry form and the routing
  engine's suggestions).
- The database's full-text engine finds and scores the documents (backends.py); nothing is held in the
  process, so every app server sees a change the moment it is committed and needs no warm-up.
- Organisations and offers are ranked hybrid: the lexical score and the cosine of the query's embedding
  with their stored vectors (the routing engine's encoder and embeddings), each standardised over the
  candidates and added, as the router fuses its rankers. Events and notices: lexical, then upcoming first
  and soonest (events), urgent and newest (notices).
- Only published content: each kind is searched through its choke point (`published_organizations`,
  `published_offers`, `events.access.public_events`, `news.access.public_notices`), and the rows shown are
  read through the same choke point.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crosscluster.core.text import (
    MIN_PART,
    clean_query,
    closest,
    compound_candidates,
    looks_like_need,
    max_typos,
    split_compound,
)
from crosscluster.directory import queries as directory_queries
from crosscluster.directory.models import Topic
from crosscluster.events.access import public_events
from crosscluster.news.access import public_notices

from .backends import Backend, Row, get_backend
from .documents import COOPERATION, EVENT, NOTICE, OFFER, ORGANIZATION, encoder_name
from .query import (
    QUERY_MAX_LENGTH,
    Alternative,
    Clause,
    SynonymGroup,
    Token,
    clauses,
    probe,
    synonym_group,
    tokens,
)

logger = logging.getLogger(__name__)

KINDS = (ORGANIZATION, OFFER, EVENT, NOTICE, COOPERATION)
KIND_LABELS = {
    ORGANIZATION: _("Organisations"),
    OFFER: _("Offers"),
    EVENT: _("Events"),
    NOTICE: _("Notices"),
    COOPERATION: _("Cooperation profiles"),
}
PER_GROUP = 5
PER_GROUP_MAX = 50

# Hybrid ranking: weights of the standardised lexical and dense scores (see docs/search.md). Keywords name
# what they look for, so the words count as much as the meaning; a need in a sentence is ranked as the
# router ranks it (dense + 0.3 lexical), and any of its words is enough to be a candidate.
LEXICAL_WEIGHT = 1.0
DENSE_WEIGHT = 1.0
NEED_LEXICAL_WEIGHT = 0.3
# An offer's organisation's fit counts too, a little: among equal offers, those of the fitting organisation.
ORGANIZATION_WEIGHT = 0.5
# Organisations found by meaning alone (no word in common: an English query, a paraphrase) are shown when
# they stand out: at most `DENSE_ONLY_MAX`, each at least `DENSE_ONLY_Z` (z units) above the mean, and the
# last of them `DENSE_ONLY_GAP` ahead of the next. Gibberish and off-topic questions have no such group.
DENSE_ONLY_Z = 2.0
DENSE_ONLY_GAP = 0.4
DENSE_ONLY_MAX = 3
# Offers of such organisations are shown when this close (cosine) to the best of them.
DENSE_OFFER_MARGIN = 0.01
# An organisation's meaning is its profile (the centroid of its texts) and its best offer, as the router
# scores fields: the offers of this many organisations (the closest by profile, the best lexical) count.
DENSE_OFFER_ORGANIZATIONS = 20
# Offers ranked by the hybrid score: the best of the lexical matches (by score and their organisation's fit).
OFFER_POOL = 300
# Offers of this many best fitting organisations come first among offers with a query word in the title.
BEST_ORGANIZATIONS = 30
# Corrections tried per mistyped word.
MAX_CORRECTIONS = 5


class SearchError(Exception):
    """A query the search refuses; the message is translated and meant for the user."""


# --- Results ----------------------------------------------------------------------------------------------


@dataclass
class Group:
    kind: str
    label: str
    count: int
    items: list[Any]
    offset: int = 0
    # The page of all results of this kind; set by the view, which knows the URLs.
    more_url: str = ""


@dataclass
class SearchResult:
    query: str
    groups: list[Group] = field(default_factory=list)
    # The query with its unknown words replaced by the nearest known ones ("did you mean …?"), or "".
    suggestion: str = ""
    # Words of the query matched by their nearest spelling, as (typed, known) pairs.
    corrections: list[tuple[str, str]] = field(default_factory=list)
    need: bool = False
    past: bool = False

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


# --- From the query to clauses ------------------------------------------------------------------------------


def synonym_groups() -> list[SynonymGroup]:
    groups = []
    for topic in Topic.objects.only("pk", "name", "synonyms").order_by("pk"):
        group = synonym_group([topic.name, *topic.synonym_list()])
        if group is not None:
            groups.append(group)
    return groups


def resolve(backend: Backend, parsed: list[Clause]) -> tuple[list[Clause], list[tuple[Clause, str, str]]]:
    """Ask the vocabulary about each typed word: add the known parts of a compound as an alternative, and
    replace a word no document knows by its nearest known spellings (a typo), returned as corrections
    (clause, term, known spelling)."""
    typed = [clause for clause in parsed if clause.typed]
    exact: set[str] = {term for clause in parsed for term in clause.terms}
    for clause in typed:
        if len(clause.typed) >= 2 * MIN_PART:
            exact |= compound_candidates(clause.typed)
    prefixes = [clause.typed for clause in typed if probe(clause.typed).prefix]
    known = backend.known_terms(sorted(exact), prefixes)
    unknown = []
    for clause in typed:
        if clause.typed in known or any(t in known for t in clause.terms - {clause.typed}):
            continue
        # A compound no document has as such (`Wasserstoffspeicher`): its known parts, both required.
        split = split_compound(clause.typed, known) if len(clause.typed) >= 2 * MIN_PART else None
        if split:
            clause.alternatives.append(Alternative(tuple(probe(part) for part in split)))
        else:
            unknown.append(clause)
    if unknown:
        heads = backend.heads_known([clause.typed for clause in unknown if len(clause.typed) >= 5])
        unknown = [clause for clause in unknown if clause.typed not in heads]
    corrections = []
    for clause in unknown:
        if not max_typos(clause.typed):
            continue
        candidates = dict(backend.typo_candidates(clause.typed))
        nearest, _distance = closest(clause.typed, list(candidates))
        if not nearest:
            continue
        nearest = nearest[:MAX_CORRECTIONS]
        clause.alternatives = [Alternative((probe(found),)) for found in nearest]
        corrections.append((clause, nearest[0], candidates[nearest[0]]))
    return parsed, corrections


# --- Ranking each kind ------------------------------------------------------------------------------------


def _z(values: np.ndarray) -> np.ndarray:
    std = float(values.std()) if len(values) else 0.0
    if not math.isfinite(std) or std < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / std


class _Dense:
    """The query's embedding, computed once per search and only when some document has a vector."""

    def __init__(self, text: str) -> None:
        self.text = clean_query(text)
        self.model = encoder_name()
        self._vector: np.ndarray | None = None
        self._failed = False

    def vector(self) -> np.ndarray | None:
        if self._vector is None and not self._failed:
            from crosscluster.routing.encoders import get_encoder

            try:
                self._vector = get_encoder().encode_queries([self.text])[0].astype(np.float32)
            except Exception:
                logger.exception("search: the query could not be embedded; ranking lexically")
                self._failed = True
        return self._vector


@dataclass
class Ranked:
    ids: list[int]
    count: int
    # Organisations only: id -> standardised fused score, those found by meaning alone, and the cosine of
    # the offers whose vectors were read (offer id -> (organisation id, cosine)).
    fit: dict[int, float] = field(default_factory=dict)
    dense_only: list[int] = field(default_factory=list)
    offers: dict[int, tuple[int, float]] = field(default_factory=dict)
    # The organisations that fit best, best first: offers are ordered by them among equal ones.
    best: list[int] = field(default_factory=list)


def _need_all(parsed: Sequence[Clause], need: bool) -> bool:
    """Keywords (up to three) must all match; a need or a longer query any of its words (ranked by how many
    and how rare, by the database's rank function)."""
    return not need and len(parsed) <= 3


def _cosines(data: Sequence[bytes], vector: np.ndarray) -> np.ndarray:
    """The cosines of stored vectors (float16, unit length, of one encoder) with the query's: one product."""
    if not data:
        return np.zeros(0, dtype=np.float32)
    matrix = np.frombuffer(b"".join(data), dtype="<f2").reshape(len(data), -1)
    # einsum, not `@`: a product this small costs BLAS more in waking its threads (about 5 ms of CPU for
    # 2,000 vectors) than in arithmetic (0.3 ms).
    return np.einsum("ij,j->i", matrix.astype(np.float32), vector)


def _order(*keys: np.ndarray) -> np.ndarray:
    """Indices sorted by the keys, the first the most significant, each ascending (numpy's lexsort)."""
    return np.lexsort(keys[::-1])


def rank_organizations(
    backend: Backend, parsed: list[Clause], dense: _Dense, *, need: bool = False
) -> Ranked:
    visible = directory_queries.published_organizations()
    rows = backend.rank(ORGANIZATION, parsed, visible=visible, need_all=_need_all(parsed, need), titled=False)
    lexical = {row.object_id: row.score for row in rows}
    stored = backend.vectors(ORGANIZATION, visible=visible, model=dense.model)
    vector = dense.vector() if stored else None
    if vector is None:
        return Ranked([row.object_id for row in rows], len(rows))
    stored_ids = [pk for pk, _data in stored]
    known = set(stored_ids)
    ids = stored_ids + [pk for pk in lexical if pk not in known]
    position = {pk: i for i, pk in enumerate(ids)}
    ids_array = np.array(ids, dtype=np.int64)
    similarity = np.full(len(ids), np.nan, dtype=np.float32)
    # One matrix product over all profiles (the stored come first in `ids`).
    similarity[: len(stored)] = _cosines([data for _pk, data in stored], vector)
    similarity = np.where(np.isfinite(similarity), similarity, np.nanmin(similarity))
    lexical_scores = np.zeros(len(ids), dtype=np.float32)
    if rows:
        lexical_scores[[position[row.object_id] for row in rows]] = [row.score for row in rows]
    # The best offer of the organisations in question (closest profiles, best lexical matches).
    near = ids_array[np.argsort(-similarity, kind="stable")[:DENSE_OFFER_ORGANIZATIONS]].tolist()
    near += [row.object_id for row in rows[:DENSE_OFFER_ORGANIZATIONS]]
    offer_rows = backend.offer_vectors(sorted(set(near)), dense.model)
    offer_cosines = _cosines([data for _pk, _org, data in offer_rows], vector).tolist()
    offers: dict[int, tuple[int, float]] = {}
    best_offer = np.full(len(ids), np.nan, dtype=np.float32)
    for (offer, organization, _data), cosine in zip(offer_rows, offer_cosines, strict=True):
        offers[offer] = (organization, cosine)
        i = position.get(organization)
        if i is not None and not cosine <= best_offer[i]:
            best_offer[i] = cosine
    dense_score = _z(similarity)
    if np.isfinite(best_offer).any():
        best_offer = np.where(np.isfinite(best_offer), best_offer, np.nanmin(best_offer))
        dense_score = dense_score + _z(best_offer)
    dense_z = _z(dense_score)
    fused = (NEED_LEXICAL_WEIGHT if need else LEXICAL_WEIGHT) * _z(lexical_scores) + DENSE_WEIGHT * dense_z
    order = np.argsort(-dense_z, kind="stable")
    standing = [i for i in order[:DENSE_ONLY_MAX] if dense_z[i] >= DENSE_ONLY_Z]
    following = float(dense_z[order[len(standing)]]) if len(order) > len(standing) else -math.inf
    if standing and float(dense_z[standing[-1]]) - following < DENSE_ONLY_GAP:
        standing = []
    by_meaning = [ids[i] for i in standing if ids[i] not in lexical]
    shown = np.array([position[pk] for pk in [*lexical, *by_meaning]], dtype=np.int64)
    # Ties (the same words matched) are broken by meaning, never by the alphabet.
    rounded = np.round(fused.astype(np.float64), 6)
    if len(shown):
        shown = shown[_order(-rounded[shown], -dense_z[shown], ids_array[shown])]
    fit = dict(zip(ids, fused.tolist(), strict=True))
    # The best fitting organisations (their offers come first among equal ones), ties by id.
    best = ids_array[_order(-fused.astype(np.float64), ids_array)[:BEST_ORGANIZATIONS]].tolist()
    return Ranked(ids_array[shown].tolist(), len(shown), fit, by_meaning, offers, best)


def rank_offers(
    backend: Backend,
    parsed: list[Clause],
    dense: _Dense,
    organizations: Ranked,
    limit: int,
    *,
    need: bool = False,
) -> Ranked:
    best = organizations.best
    order, order_params = "", []
    if best:
        order = (
            "CASE x.x0 " + " ".join(f"WHEN %s THEN {i}" for i in range(len(best))) + f" ELSE {len(best)} END"
        )
        order_params = best
    rows = backend.rank(
        OFFER,
        parsed,
        visible=directory_queries.published_offers(),
        need_all=_need_all(parsed, need),
        fields=["organization_id"],
        order=f"x.in_title DESC, {order + ', ' if order else ''}x.score DESC",
        order_params=order_params,
        limit=max(OFFER_POOL, limit),
    )
    count = rows[0].total if rows else 0
    vector = dense.vector() if organizations.fit else None
    if vector is None:
        return Ranked([row.object_id for row in rows], count)
    # Offers of organisations found by meaning alone: their vectors were read with the organisations'.
    found = {row.object_id for row in rows}
    meaning = set(organizations.dense_only)
    by_meaning = [
        Row(pk, 0.0, False, (organization,), 0)
        for pk, (organization, _cosine) in organizations.offers.items()
        if organization in meaning and pk not in found
    ]
    pool = [*rows, *by_meaning]
    cosines = {pk: cosine for pk, (_organization, cosine) in organizations.offers.items()}
    missing = [row.object_id for row in pool if row.object_id not in cosines]
    read = backend.vectors_of(OFFER, missing, dense.model)
    cosines.update(zip(read, _cosines(list(read.values()), vector).tolist(), strict=True))
    similarity = np.array([cosines.get(row.object_id, np.nan) for row in pool], dtype=np.float32)
    if not np.isfinite(similarity).any():
        return Ranked([row.object_id for row in rows], count)
    similarity = np.where(np.isfinite(similarity), similarity, np.nanmin(similarity))
    keep = list(range(len(rows)))
    if by_meaning:
        start = len(rows)
        best_similarity = float(similarity[start:].max())
        keep += [
            start + i
            for i in range(len(by_meaning))
            if similarity[start + i] >= best_similarity - DENSE_OFFER_MARGIN
        ]
    lexical = np.array([row.score for row in pool], dtype=np.float32)
    fit = np.array([organizations.fit.get(row.extra[0], 0.0) for row in pool], dtype=np.float32)
    fused = LEXICAL_WEIGHT * _z(lexical) + DENSE_WEIGHT * _z(similarity) + ORGANIZATION_WEIGHT * fit
    keep_array = np.array(keep, dtype=np.int64)
    pool_ids = np.array([row.object_id for row in pool], dtype=np.int64)
    rounded = np.round(fused.astype(np.float64), 6)
    keep_array = keep_array[_order(-rounded[keep_array], -similarity[keep_array], pool_ids[keep_array])]
    return Ranked(pool_ids[keep_array].tolist(), count + len(keep) - len(rows))


def rank_events(
    backend: Backend,
    parsed: list[Clause],
    *,
    now: dt.datetime,
    past: bool,
    limit: int,
    offset: int,
    need: bool = False,
) -> tuple[list[int], int]:
    """Upcoming events first (soonest first), then, when asked for, past ones (latest first)."""
    visible: QuerySet = public_events()
    if not past:
        visible = visible.filter(end__gte=now)
    rows = backend.rank(
        EVENT,
        parsed,
        visible=visible,
        need_all=_need_all(parsed, need),
        fields=["start", "end"],
        scored=False,
        order=(
            "CASE WHEN x.x1 >= %s THEN 0 ELSE 1 END, x.in_title DESC, CASE WHEN x.x1 >= %s THEN x.x0 END,"
            " x.x0 DESC"
        ),
        order_params=[now, now],
        limit=limit,
        offset=offset,
    )
    return [row.object_id for row in rows], (rows[0].total if rows else 0)


def rank_notices(
    backend: Backend, parsed: list[Clause], *, now: dt.datetime, limit: int, offset: int, need: bool = False
) -> tuple[list[int], int]:
    """Urgent (pinned) notices first, then the newest."""
    rows = backend.rank(
        NOTICE,
        parsed,
        visible=public_notices(now),
        need_all=_need_all(parsed, need),
        fields=["pinned", "valid_from"],
        scored=False,
        order="x.in_title DESC, x.x0 DESC, x.x1 DESC",
        limit=limit,
        offset=offset,
    )
    return [row.object_id for row in rows], (rows[0].total if rows else 0)


def rank_cooperation_profiles(
    backend: Backend, parsed: list[Clause], *, limit: int, offset: int, need: bool = False
) -> tuple[list[int], int]:
    """Public cooperation profiles, those with the words in their title first, then the newest."""
    from crosscluster.cooperation.access import public_profiles

    rows = backend.rank(
        COOPERATION,
        parsed,
        visible=public_profiles(),
        need_all=_need_all(parsed, need),
        fields=["published_at"],
        scored=False,
        order="x.in_title DESC, x.x0 DESC",
        limit=limit,
        offset=offset,
    )
    return [row.object_id for row in rows], (rows[0].total if rows else 0)


# --- Reading the rows shown ------------------------------------------------------------------------------


def _fetch(kind: str, pks: list[int], now: dt.datetime) -> list[Any]:
    """The rows to show, through each kind's choke point, in the ranked order."""
    if not pks:
        return []
    found = {row.pk: row for row in _rows(kind, pks, now)}
    return [found[pk] for pk in pks if pk in found]


def _rows(kind: str, pks: list[int], now: dt.datetime) -> QuerySet:
    if kind == ORGANIZATION:
        rows = directory_queries.published_organizations().filter(pk__in=pks)
    elif kind == OFFER:
        rows = directory_queries.published_offers().filter(pk__in=pks).select_related("organization")
    elif kind == EVENT:
        rows = public_events().filter(pk__in=pks)
    elif kind == COOPERATION:
        from crosscluster.cooperation.access import public_profiles

        rows = public_profiles().filter(pk__in=pks)
    else:
        rows = public_notices(now).filter(pk__in=pks).select_related("organization")
    return rows


def prepare() -> None:
    """Build the SQL of the search's querysets once, without running them (core.startup): Django and
    modeltranslation resolve each model's fields and lookups on their first query, 50–100 ms of the
    first search of a process."""
    now = timezone.now()
    visible = (
        directory_queries.published_organizations(),
        directory_queries.published_offers(),
        public_events().filter(end__gte=now),
        public_notices(now),
    )
    for queryset in visible:
        queryset.order_by().values("pk").query.sql_with_params()
    for kind in KINDS:
        _rows(kind, [0], now).query.sql_with_params()
    Topic.objects.only("pk", "name", "synonyms").order_by("pk").query.sql_with_params()


# --- Searching --------------------------------------------------------------------------------------------


def _suggestion(
    query: str, query_tokens: Sequence[Token], corrections: list[tuple[Clause, str, str]]
) -> tuple[str, list[tuple[str, str]]]:
    """The query with each corrected word replaced by the known spelling of its nearest term."""
    replaced, pairs = query, []
    for clause, _term, known in corrections:
        typed = clause.words[0]
        if known.casefold() == typed.casefold():
            continue
        if typed[:1].isupper() and known[:1].islower():
            known = known[:1].upper() + known[1:]
        pairs.append((typed, known))
        replaced = replaced.replace(typed, known, 1)
    return (replaced if pairs else ""), pairs


def search(
    text: str,
    *,
    kinds: Sequence[str] = KINDS,
    per_group: int = PER_GROUP,
    offset: int = 0,
    past: bool = False,
) -> SearchResult:
    """Search every kind (or `kinds`) for `text`: for each kind the count and `per_group` rows from `offset`.

    Events are those not over yet, and with `past` also past ones (after the upcoming ones). Raises
    SearchError for a query longer than `QUERY_MAX_LENGTH`.
    """
    text = " ".join(text.split())
    if len(text) > QUERY_MAX_LENGTH:
        raise SearchError(
            _("The search text may have at most %(count)d characters.") % {"count": QUERY_MAX_LENGTH}
        )
    result = SearchResult(query=text, need=looks_like_need(text), past=past)
    query_tokens = tokens(text)
    if not query_tokens:
        return result
    parsed = clauses(query_tokens, synonym_groups())
    if not parsed:
        return result
    backend = get_backend()
    parsed, corrections = resolve(backend, parsed)
    result.suggestion, result.corrections = _suggestion(text, query_tokens, corrections)
    per_group = max(1, min(int(per_group), PER_GROUP_MAX))
    offset = max(0, int(offset))
    now = timezone.now()
    dense = _Dense(text)
    organizations: Ranked | None = None
    need = result.need
    for kind in kinds:
        if kind in (ORGANIZATION, OFFER):
            if organizations is None:
                organizations = rank_organizations(backend, parsed, dense, need=need)
            ranked = organizations
            if kind == OFFER:
                ranked = rank_offers(backend, parsed, dense, organizations, offset + per_group, need=need)
            pks, count = ranked.ids[offset : offset + per_group], ranked.count
        elif kind == EVENT:
            ranking = {"now": now, "past": past, "need": need}
            pks, count = rank_events(backend, parsed, limit=per_group, offset=offset, **ranking)
            if not pks and offset:
                count = rank_events(backend, parsed, limit=1, offset=0, **ranking)[1]
        elif kind == COOPERATION:
            pks, count = rank_cooperation_profiles(backend, parsed, limit=per_group, offset=offset, need=need)
            if not pks and offset:
                count = rank_cooperation_profiles(backend, parsed, limit=1, offset=0, need=need)[1]
        else:
            pks, count = rank_notices(backend, parsed, now=now, limit=per_group, offset=offset, need=need)
            if not pks and offset:
                count = rank_notices(backend, parsed, now=now, limit=1, offset=0, need=need)[1]
        result.groups.append(
            Group(
                kind=kind,
                label=str(KIND_LABELS[kind]),
                count=count,
                items=_fetch(kind, pks, now),
                offset=offset,
            )
        )
    return result
