"""One search over organisations, offers, events and notices. See docs/search.md.

- `search(text, kinds=…, per_group=…, offset=…)` answers a query with groups by kind, a "did you mean" and
  whether the query reads like a need (then the page offers the inquiry form and the routing engine).
- The index (`search.index`) lives in each process, built from the stored `search_text` columns. A cheap
  change detector (one query: counts and latest `updated_at` per model, the routing engine's version stamp,
  the unpublished organisations, merged duplicates) runs at most every `SEARCH_CHECK_SECONDS` and rebuilds
  the segments whose data changed (in a background thread once the process has an index), so bulk feed
  imports, the admin and the API are all noticed without signals.
- Only published content: segments are built through the apps' choke points (`published_organizations`,
  `published_offers`, `events.access.public_events`, `news.access.public_notices`), and the rows shown are
  read through the same choke points again, so a change between two checks never shows anything hidden.

The same code runs on SQLite and PostgreSQL: the database only answers plain reads.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crosscluster.core.text import MIN_TERM_LENGTH as MIN_STEM_LENGTH
from crosscluster.core.text import STOPWORDS, stem
from crosscluster.directory import queries as directory_queries
from crosscluster.directory.models import Offer, Organization, Topic
from crosscluster.events.access import public_events
from crosscluster.events.models import Event
from crosscluster.news.access import public_notices
from crosscluster.news.models import Notice
from crosscluster.routing.models import IndexVersion

from . import query as query_module
from .index import Correction, Doc, Segment, correct, match
from .query import QUERY_MAX_LENGTH, TOKEN, SynonymGroup, Token, looks_like_need, synonym_group, tokens

logger = logging.getLogger(__name__)

ORGANIZATION, OFFER, EVENT, NOTICE = "organization", "offer", "event", "notice"
KINDS = (ORGANIZATION, OFFER, EVENT, NOTICE)
KIND_LABELS = {
    ORGANIZATION: _("Organisations"),
    OFFER: _("Offers"),
    EVENT: _("Events"),
    NOTICE: _("Notices"),
}
# Events stay findable this long after their end (marked as past), so a talk of last week is found.
EVENTS_PAST_DAYS = 30
PER_GROUP = 5
PER_GROUP_MAX = 50


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

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


# --- Building segments from the database ------------------------------------------------------------------


def _epoch(value: dt.datetime | None, default: float) -> float:
    return value.timestamp() if value is not None else default


class _Analyzer:
    """Stems of many texts, fast: each distinct word is stemmed once per build (as `directory.search.stems`
    does), and the spellings of title words are counted for "did you mean"."""

    def __init__(self) -> None:
        self.cache: dict[str, str] = {}
        self.seen: Counter[str] = Counter()

    def stems(self, text: str, *, remember: bool = False) -> list[str]:
        words = TOKEN.findall(text)
        if remember:
            self.seen.update(words)
        cache, result = self.cache, []
        for word in words:
            word_stem = cache.get(word)
            if word_stem is None:
                folded = word.casefold()
                # Numbers have no word forms: not worth the stemmer's time.
                word_stem = folded if folded.isdigit() else "" if folded in STOPWORDS else stem(folded)
                word_stem = cache[word] = word_stem if len(word_stem) >= MIN_STEM_LENGTH else ""
            if word_stem:
                result.append(word_stem)
        return result

    def surface(self) -> dict[str, str]:
        """The most frequent spelling of each stem as written in titles and names."""
        best: dict[str, tuple[int, str]] = {}
        for word, count in self.seen.items():
            word_stem = self.cache.get(word)
            if word_stem and (word_stem not in best or count > best[word_stem][0]):
                best[word_stem] = (count, word)
        return {word_stem: word for word_stem, (_count, word) in best.items()}


def _name_order(names: Sequence[str]) -> list[float]:
    ranks = {name: float(i) for i, name in enumerate(sorted(set(names)))}
    return [ranks[name] for name in names]


def build_organizations() -> Segment:
    analyzer = _Analyzer()
    rows = list(
        directory_queries.published_organizations().values_list("pk", "name", "summary", "search_text")
    )
    order = _name_order([name.casefold() for _pk, name, _s, _t in rows])
    docs = []
    for (pk, name, summary, search_text), position in zip(rows, order, strict=True):
        title = analyzer.stems(name, remember=True)
        analyzer.stems(summary, remember=True)
        docs.append(Doc(pk, search_text.split(), title, position))
    return Segment(ORGANIZATION, docs, analyzer.surface())


def build_offers() -> Segment:
    analyzer = _Analyzer()
    topic_names: dict[int, list[str]] = {}
    for offer_id, name in Offer.topics.through.objects.filter(
        offer__organization__published=True
    ).values_list("offer_id", "topic__name"):
        topic_names.setdefault(offer_id, []).append(name)
    rows = list(
        directory_queries.published_offers().values_list(
            "pk", "title", "description", "organization__name", "position"
        )
    )
    order = _name_order([f"{org.casefold()}\x00{position:09d}" for _pk, _t, _d, org, position in rows])
    docs = []
    for (pk, title, description, organization, _position), position in zip(rows, order, strict=True):
        title_stems = analyzer.stems(title, remember=True)
        text = set(title_stems).union(analyzer.stems(description), analyzer.stems(organization))
        for name in topic_names.get(pk, ()):
            text.update(analyzer.stems(name))
        docs.append(Doc(pk, sorted(text), title_stems, position))
    return Segment(OFFER, docs, analyzer.surface())


def build_events(now: dt.datetime) -> Segment:
    """Public events not over for more than `EVENTS_PAST_DAYS`; they leave the results by time alone."""
    analyzer = _Analyzer()
    past = dt.timedelta(days=EVENTS_PAST_DAYS)
    rows = (
        public_events()
        .filter(end__gte=now - past)
        .values_list("pk", "title", "search_text", "start", "end")
        .iterator(chunk_size=5000)
    )
    docs = [
        Doc(
            pk,
            search_text.split(),
            analyzer.stems(title, remember=True),
            start.timestamp(),
            visible_until=(end + past).timestamp(),
            ends=end.timestamp(),
        )
        for pk, title, search_text, start, end in rows
    ]
    return Segment(EVENT, docs, analyzer.surface())


def build_notices(now: dt.datetime) -> tuple[Segment, float]:
    """Notices public now, and the moment the set changes by time alone (a notice becoming valid)."""
    analyzer = _Analyzer()
    rows = public_notices(now).values_list(
        "pk", "title", "search_text", "valid_from", "valid_until", "pinned"
    )
    docs = [
        # Pinned (urgent) notices first, then the newest.
        Doc(
            pk,
            search_text.split(),
            analyzer.stems(title, remember=True),
            -valid_from.timestamp() - (1e11 if pinned else 0.0),
            visible_until=_epoch(valid_until, math.inf),
        )
        for pk, title, search_text, valid_from, valid_until, pinned in rows
    ]
    upcoming = Notice.objects.filter(published=True, valid_from__gt=now).aggregate(first=Min("valid_from"))
    return Segment(NOTICE, docs, analyzer.surface()), _epoch(upcoming["first"], math.inf)


def build_synonyms() -> list[SynonymGroup]:
    groups = []
    for topic in Topic.objects.only("pk", "name", "synonyms").order_by("pk"):
        group = synonym_group([topic.name, *topic.synonym_list()])
        if group is not None:
            groups.append(group)
    return groups


# --- The change detector ----------------------------------------------------------------------------------


def _stamp_sql() -> str:
    """One query of scalar subqueries, each answered from an index (see migrations/0001 for the events').

    Table and column names are our own, quoted; nothing comes from outside.
    """
    q = connection.ops.quote_name
    org, event, notice = (q(m._meta.db_table) for m in (Organization, Event, Notice))
    version = q(IndexVersion._meta.db_table)
    updated, published, pk, duplicate = q("updated_at"), q("published"), q("id"), q("duplicate_of_id")
    hidden = f"FROM {org} WHERE {published} = %s"
    duplicates = f"FROM {event} WHERE {duplicate} IS NOT NULL"
    parts = [
        (f"MAX({q('version')})", f"FROM {version}"),
        ("COUNT(*)", f"FROM {org}"),
        (f"MAX({updated})", f"FROM {org}"),
        ("COUNT(*)", hidden),
        (f"SUM({pk})", hidden),
        ("COUNT(*)", f"FROM {event}"),
        (f"MAX({updated})", f"FROM {event}"),
        ("COUNT(*)", duplicates),
        (f"SUM({duplicate})", duplicates),
        ("COUNT(*)", f"FROM {notice}"),
        (f"MAX({updated})", f"FROM {notice}"),
    ]
    return " ".join(
        ["SELECT", ", ".join(" ".join(["(SELECT", value, source]) + ")" for value, source in parts)]
    )


def read_stamps() -> dict[str, tuple[Any, ...]]:
    """What each segment depends on, in one query; a segment is rebuilt when its part differs."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(), [False, False])
        (
            version,
            o_n,
            o_changed,
            o_hidden,
            o_hidden_ids,
            e_n,
            e_changed,
            e_dup,
            e_dup_ids,
            n_n,
            n_changed,
        ) = cursor.fetchone()
    hidden = (o_hidden, o_hidden_ids)
    directory = (version, o_n, str(o_changed), *hidden)
    return {
        ORGANIZATION: directory,
        OFFER: directory,
        EVENT: (e_n, str(e_changed), e_dup, e_dup_ids, *hidden),
        NOTICE: (n_n, str(n_changed), *hidden),
    }


# --- The per-process index ------------------------------------------------------------------------------


@dataclass
class SearchIndex:
    segments: dict[str, Segment]
    synonyms: list[SynonymGroup]
    stamps: dict[str, tuple[Any, ...]]
    # When the notices segment must be rebuilt although nothing was edited (a notice becomes valid).
    notices_expire: float = math.inf
    build_seconds: dict[str, float] = field(default_factory=dict)


_lock = threading.Lock()
_state: dict[str, Any] = {"index": None, "checked": -math.inf, "building": False}


def clear_index_cache() -> None:
    with _lock:
        _state["index"] = None
        _state["checked"] = -math.inf
        _state["building"] = False


def _rebuild(old: SearchIndex | None, stamps: dict[str, tuple[Any, ...]], now: dt.datetime) -> SearchIndex:
    segments = dict(old.segments) if old else {}
    synonyms = old.synonyms if old else []
    expire = old.notices_expire if old else math.inf
    seconds: dict[str, float] = {}
    for kind in KINDS:
        stale = old is None or old.stamps.get(kind) != stamps[kind]
        if kind == NOTICE and now.timestamp() >= expire:
            stale = True
        if not stale:
            continue
        started = time.perf_counter()
        if kind == ORGANIZATION:
            segments[kind] = build_organizations()
            synonyms = build_synonyms()
        elif kind == OFFER:
            segments[kind] = build_offers()
        elif kind == EVENT:
            segments[kind] = build_events(now)
        else:
            segments[kind], expire = build_notices(now)
        seconds[kind] = time.perf_counter() - started
    return SearchIndex(segments, synonyms, stamps, expire, seconds)


def _rebuild_in_background(old: SearchIndex, stamps: dict[str, tuple[Any, ...]], now: dt.datetime) -> None:
    try:
        index = _rebuild(old, stamps, now)
        with _lock:
            if _state["index"] is old:
                _state["index"] = index
    except Exception:
        logger.exception("search: rebuilding the index failed; the previous one stays in use")
    finally:
        _state["building"] = False
        connections.close_all()  # this thread's own connections


def get_index() -> SearchIndex:
    """This process's index; the database is asked for changes at most every `SEARCH_CHECK_SECONDS`.

    The first search of a process builds the index. Later changes are built in a background thread
    (`SEARCH_REBUILD_IN_BACKGROUND`) while searches go on with the previous index, so a feed import never
    makes a search wait for a rebuild of 100,000 events.
    """
    index = _state["index"]
    if index is not None and time.monotonic() - _state["checked"] < settings.SEARCH_CHECK_SECONDS:
        return index
    with _lock:
        index = _state["index"]
        if index is not None and time.monotonic() - _state["checked"] < settings.SEARCH_CHECK_SECONDS:
            return index
        # Stamps are read before the data: a change during the build triggers the next rebuild.
        stamps = read_stamps()
        now = timezone.now()
        if index is None:
            index = _state["index"] = _rebuild(None, stamps, now)
        elif index.stamps != stamps or now.timestamp() >= index.notices_expire:
            if not settings.SEARCH_REBUILD_IN_BACKGROUND:
                index = _state["index"] = _rebuild(index, stamps, now)
            elif not _state["building"]:
                _state["building"] = True
                threading.Thread(
                    target=_rebuild_in_background, args=(index, stamps, now), name="search-index", daemon=True
                ).start()
        _state["checked"] = time.monotonic()
    return index


# --- Reading the rows shown ------------------------------------------------------------------------------


def _fetch(kind: str, pks: list[int]) -> list[Any]:
    """The rows to show, through each kind's choke point, in the ranked order; rows hidden since the index
    was built are left out."""
    if not pks:
        return []
    if kind == ORGANIZATION:
        rows = directory_queries.published_organizations().filter(pk__in=pks)
    elif kind == OFFER:
        rows = directory_queries.published_offers().filter(pk__in=pks).select_related("organization")
    elif kind == EVENT:
        now = timezone.now()
        rows = public_events().filter(pk__in=pks, end__gte=now - dt.timedelta(days=EVENTS_PAST_DAYS))
    else:
        rows = public_notices().filter(pk__in=pks).select_related("organization")
    found = {row.pk: row for row in rows}
    return [found[pk] for pk in pks if pk in found]


# --- Searching --------------------------------------------------------------------------------------------


def _suggestion(
    query: str,
    query_tokens: Sequence[Token],
    index: SearchIndex,
    corrections: dict[str, tuple[Correction, str]],
) -> tuple[str, list[tuple[str, str]]]:
    """The query with each corrected word replaced by the best-known spelling of its nearest term."""
    replaced = query
    pairs = []
    for token in query_tokens:
        if token.stem not in corrections:
            continue
        correction, kind = corrections[token.stem]
        term = correction.terms[0]
        known = index.segments[kind].surface.get(term) or term
        if known.casefold() == token.folded:
            continue
        if token.text[:1].isupper() and known[:1].islower():
            known = known[:1].upper() + known[1:]
        pairs.append((token.text, known))
        replaced = replaced.replace(token.text, known, 1)
    return (replaced if pairs else ""), pairs


def search(
    text: str,
    *,
    kinds: Sequence[str] = KINDS,
    per_group: int = PER_GROUP,
    offset: int = 0,
) -> SearchResult:
    """Search every kind (or `kinds`) for `text`: for each kind the count and `per_group` rows from `offset`.

    Raises SearchError for a query longer than `QUERY_MAX_LENGTH`.
    """
    text = " ".join(text.split())
    if len(text) > QUERY_MAX_LENGTH:
        raise SearchError(
            _("The search text may have at most %(count)d characters.") % {"count": QUERY_MAX_LENGTH}
        )
    result = SearchResult(query=text, need=looks_like_need(text))
    query_tokens = tokens(text)
    if not query_tokens:
        return result
    index = get_index()
    clauses = query_module.clauses(query_tokens, index.synonyms)
    now = time.time()
    per_group = max(1, min(int(per_group), PER_GROUP_MAX))
    offset = max(0, int(offset))
    clauses, corrections = correct(index.segments.values(), clauses)
    matches = [match(index.segments[kind], clauses, now) for kind in kinds]
    result.suggestion, result.corrections = _suggestion(text, query_tokens, index, corrections)
    for segment_match in matches:
        segment = index.segments[segment_match.kind]
        positions = segment_match.ranked[offset : offset + per_group]
        pks = [int(pk) for pk in segment.ids[positions]]
        result.groups.append(
            Group(
                kind=segment_match.kind,
                label=str(KIND_LABELS[segment_match.kind]),
                count=segment_match.count,
                items=_fetch(segment_match.kind, pks),
                offset=offset,
            )
        )
    return result
