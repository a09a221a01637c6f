"""The database's own full-text engine behind one interface, one implementation per vendor.

Both find the matching documents of a kind with their full-text index and rank them with their own rank
function, the title counting most and the back parts of compounds least: PostgreSQL `ts_rank` over a
generated `tsvector` (GIN index per kind), SQLite FTS5's `bm25` (one table per kind, keyed by the object's
id). Each candidate is joined with the kind's own table through the app's choke point (only published,
listed, valid objects), so visibility is never stored twice. Whether a document has a query word in its
title is returned too (events and notices are ordered by it, then by time). The vocabulary
(`search_term`) gives typo candidates: by `pg_trgm` similarity, or by an FTS5 trigram index; the nearest are
chosen by edit distance (core.text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from .query import Clause, Probe


@dataclass
class Row:
    object_id: int
    score: float
    in_title: bool
    extra: tuple[Any, ...]
    total: int


KINDS = ("organization", "offer", "event", "notice", "cooperation")


def _fts_table(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    return f"search_fts_{kind}"


def _visible_condition(queryset: QuerySet, column: str) -> tuple[str, tuple[Any, ...]]:
    """`column` is the primary key of an object the choke point's queryset has: one set of the visible ids
    (a hash or a temporary index), for conditions on all rows of a kind."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return f"{column} IN ({sql})", tuple(params)


class Backend:
    vendor = ""
    # Join the matches with the visible objects by a lookup per match (PostgreSQL's LATERAL).
    lateral = False

    # --- to implement ---------------------------------------------------------------------------------

    def matches(
        self, kind: str, clauses: Sequence[Clause], need_all: bool, scored: bool = True, titled: bool = True
    ) -> tuple[str, list[Any]]:
        """A SELECT of the matching documents of `kind`: `object_id`, `score` (the engine's rank, higher is
        better; 0 unless `scored`) and `in_title` (a query word is in the title; false unless `titled`), with
        its parameters."""
        raise NotImplementedError

    def typo_candidates(self, word: str, limit: int = 40) -> list[tuple[str, str]]:
        raise NotImplementedError

    def ids(self, kind: str, clauses: Sequence[Clause]) -> tuple[str, list[Any]]:
        """A SELECT of the ids of the objects of `kind` whose documents match every clause."""
        raise NotImplementedError

    def heads_known(self, words: Sequence[str]) -> set[str]:
        """Which of `words` occur as the back part of some document's compound."""
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------------

    def rank(
        self,
        kind: str,
        clauses: Sequence[Clause],
        *,
        visible: QuerySet,
        need_all: bool,
        fields: Sequence[str] = (),
        order: str = "",
        order_params: Sequence[Any] = (),
        limit: int | None = None,
        offset: int = 0,
        scored: bool = True,
        titled: bool = True,
    ) -> list[Row]:
        """The visible objects of `kind` that match the clauses (all of them, or any when not `need_all`),
        with their rank, whether a query word is in their title, and the values of `fields` of the object.
        Sorted by `order` (expressions on `x.in_title`, `x.score`, `x.x0`… for the fields), else by score;
        without `limit` all are returned; each row carries the total count.

        The matching documents are found first (the full-text index, a materialised CTE), then joined with
        the choke point's queryset by primary key: the database never lists every visible object.
        """
        q = connection.ops.quote_name
        matches, match_params = self.matches(kind, clauses, need_all, scored, titled)
        pk_field = visible.model._meta.pk
        pk = q(pk_field.column)
        visible = visible.order_by()
        if self.lateral:
            # Per match one lookup by primary key (LATERAL, kept apart by OFFSET 0), not a hash of every
            # visible object: PostgreSQL misjudges how few documents a full-text query matches.
            table = q(visible.model._meta.db_table)
            visible = visible.extra(where=[f"{table}.{pk} = m.object_id"])  # noqa: S610 (our own names)
        visible_sql, visible_params = visible.values(pk_field.name, *fields).query.sql_with_params()
        joined = (
            f"CROSS JOIN LATERAL ({visible_sql} OFFSET 0) s"
            if self.lateral
            else f"JOIN ({visible_sql}) s ON s.{pk} = m.object_id"
        )
        columns = [visible.model._meta.get_field(name).column for name in fields]
        extra = "".join(f", s.{q(column)} AS x{i}" for i, column in enumerate(columns))
        extra_names = "".join(f", x.x{i}" for i in range(len(columns)))
        sql = (
            f"WITH m AS MATERIALIZED ({matches}) "  # noqa: S608
            f"SELECT x.object_id, x.score, x.in_title{extra_names}, COUNT(*) OVER () FROM ("
            f" SELECT m.object_id, m.score, m.in_title{extra} FROM m {joined}"
            f") x ORDER BY {order or 'x.score DESC'}, x.object_id"
        )
        params = [*match_params, *visible_params, *order_params]
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        n = len(columns)
        return [
            Row(int(r[0]), float(r[1] or 0), bool(r[2]), tuple(r[3 : 3 + n]), int(r[3 + n])) for r in rows
        ]

    def vectors(self, kind: str, *, visible: QuerySet, model: str) -> list[tuple[int, bytes]]:
        """(object id, vector) of every visible document of `kind` with a vector of encoder `model`."""
        visible_sql, visible_params = _visible_condition(visible, "d.object_id")
        sql = (
            "SELECT d.object_id, d.vector FROM search_document d WHERE d.kind = %s"  # noqa: S608
            f" AND d.vector_model = %s AND d.vector IS NOT NULL AND {visible_sql}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [kind, model, *visible_params])
            return [(int(pk), bytes(data)) for pk, data in cursor.fetchall()]

    def offer_vectors(self, organizations: Sequence[int], model: str) -> list[tuple[int, int, bytes]]:
        """(offer id, organisation id, vector) of the offers of these organisations."""
        if not organizations:
            return []
        among, among_params = self._in("organization_id", organizations)
        # The few offers first, then their vectors by id (two queries): in one join PostgreSQL misjudged how
        # many documents have vectors (kind, encoder and vector are correlated) and read every offer's.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, organization_id FROM directory_offer WHERE {among}", among_params)  # noqa: S608
            owners = {int(pk): int(org) for pk, org in cursor.fetchall()}
        vectors = self.vectors_of("offer", list(owners), model)
        return [(pk, owners[pk], data) for pk, data in vectors.items()]

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """`column IN (…)`, its parameters."""
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)

    def vectors_of(self, kind: str, ids: Sequence[int], model: str) -> dict[int, bytes]:
        if not ids:
            return {}
        among, among_params = self._in("object_id", ids)
        sql = (
            "SELECT object_id, vector FROM search_document WHERE kind = %s AND vector_model = %s"  # noqa: S608
            f" AND vector IS NOT NULL AND {among}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [kind, model, *among_params])
            return {int(pk): bytes(data) for pk, data in cursor.fetchall()}

    def known_terms(self, exact: Sequence[str], prefixes: Sequence[str]) -> set[str]:
        """Which of `exact` are terms of the vocabulary, and which of `prefixes` begin some term."""
        found: set[str] = set()
        with connection.cursor() as cursor:
            if exact:
                placeholders = ", ".join(["%s"] * len(exact))
                cursor.execute(f"SELECT term FROM search_term WHERE term IN ({placeholders})", list(exact))  # noqa: S608
                found.update(row[0] for row in cursor.fetchall())
            for prefix in prefixes:
                if prefix in found:
                    continue
                # A range on the unique index: every term that begins with the prefix.
                cursor.execute(
                    "SELECT 1 FROM search_term WHERE term >= %s AND term < %s LIMIT 1",
                    [prefix, prefix + "\uffff"],
                )
                if cursor.fetchone():
                    found.add(prefix)
        return found


class PostgresBackend(Backend):
    vendor = "postgresql"
    lateral = True
    # ts_rank's weights of D (back parts of compounds), C (unused), B (body) and A (title).
    WEIGHTS = "{0.05, 0.1, 0.3, 1.0}"

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s::bigint[])", [list(values)]

    def vectors_of(self, kind: str, ids: Sequence[int], model: str) -> dict[int, bytes]:
        # By the unique index on (kind, object_id), the encoder checked here: with the encoder and vector
        # in the condition the planner took the covering vector index and filtered all 20,000 offers'
        # vectors by id (12–60 ms), as it estimates a handful of documents per encoder.
        if not ids:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT object_id, vector_model, vector FROM search_document WHERE kind = %s"
                " AND object_id = ANY(%s::bigint[])",
                [kind, list(ids)],
            )
            return {
                int(pk): bytes(data)
                for pk, name, data in cursor.fetchall()
                if name == model and data is not None
            }

    @staticmethod
    def _probe_query(item: Probe, weights: str = "") -> str:
        if item.prefix:
            return f"('{item.term}':*{weights or 'AB'} | '{item.term}':D)"
        return f"'{item.term}':{weights or 'ABD'}"

    def _tsquery(self, clauses: Sequence[Clause], need_all: bool, weights: str = "") -> str:
        parts = []
        for clause in clauses:
            options = [
                " & ".join(self._probe_query(p, weights) for p in alternative.probes)
                for alternative in clause.alternatives
            ]
            parts.append("(" + " | ".join(f"({option})" for option in options) + ")")
        return (" & " if need_all else " | ").join(parts)

    def matches(
        self, kind: str, clauses: Sequence[Clause], need_all: bool, scored: bool = True, titled: bool = True
    ) -> tuple[str, list[Any]]:
        _fts_table(kind)  # a known kind
        title = " | ".join(
            f"'{p.term}':{'*' if p.prefix else ''}A"
            for clause in clauses
            for alternative in clause.alternatives
            for p in alternative.probes
        )
        query = self._tsquery(clauses, need_all)
        score, score_params = (
            ("ts_rank(%s::float4[], d.terms, %s::tsquery)", [self.WEIGHTS, query]) if scored else ("0", [])
        )
        in_title, title_params = ("d.terms @@ %s::tsquery", [title]) if titled else ("false", [])
        # The kind as a literal (a known one), so that the planner picks its partial GIN index.
        sql = (
            f"SELECT d.object_id, {score} AS score, {in_title} AS in_title"  # noqa: S608
            f" FROM search_document d WHERE d.kind = '{kind}' AND d.terms @@ %s::tsquery"
        )
        return sql, [*score_params, *title_params, query]

    def ids(self, kind: str, clauses: Sequence[Clause]) -> tuple[str, list[Any]]:
        _fts_table(kind)  # a known kind, as a literal for its partial index
        sql = f"SELECT object_id FROM search_document WHERE kind = '{kind}' AND terms @@ %s::tsquery"  # noqa: S608
        return sql, [self._tsquery(clauses, need_all=True)]

    def typo_candidates(self, word: str, limit: int = 40) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT term, surface FROM search_term WHERE term %% %s ORDER BY similarity(term, %s) DESC,"
                " term LIMIT %s",
                [word, word, limit],
            )
            return list(cursor.fetchall())

    def heads_known(self, words: Sequence[str]) -> set[str]:
        found = set()
        with connection.cursor() as cursor:
            for word in words:
                for kind in KINDS:
                    # The kind as a literal, so that its partial GIN index answers (without it, a scan of
                    # every document: 150 ms).
                    sql = f"SELECT 1 FROM search_document WHERE kind = '{kind}' AND terms @@ %s::tsquery"  # noqa: S608
                    cursor.execute(sql + " LIMIT 1", [f"'{word}':D"])
                    if cursor.fetchone():
                        found.add(word)
                        break
        return found


class SQLiteBackend(Backend):
    vendor = "sqlite"
    # bm25 weights of the columns title, body, parts.
    WEIGHTS = "10.0, 3.0, 0.5"

    @staticmethod
    def _probe_match(item: Probe, columns: str = "") -> str:
        if columns:
            return f'{{{columns}}} : "{item.term}"{"*" if item.prefix else ""}'
        if item.prefix:
            return f'({{title body}} : "{item.term}"* OR parts : "{item.term}")'
        return f'"{item.term}"'

    def _expression(self, clauses: Sequence[Clause], need_all: bool, columns: str = "") -> str:
        parts = []
        for clause in clauses:
            options = [
                "(" + " AND ".join(self._probe_match(p, columns) for p in alternative.probes) + ")"
                for alternative in clause.alternatives
            ]
            parts.append("(" + " OR ".join(options) + ")")
        return (" AND " if need_all else " OR ").join(parts)

    def matches(
        self, kind: str, clauses: Sequence[Clause], need_all: bool, scored: bool = True, titled: bool = True
    ) -> tuple[str, list[Any]]:
        table = _fts_table(kind)
        title = " OR ".join(
            self._probe_match(p, "title")
            for clause in clauses
            for alternative in clause.alternatives
            for p in alternative.probes
        )
        # Table names from `_fts_table` (a known kind), terms from core.text (letters and digits only).
        score = f"-bm25({table}, {self.WEIGHTS})" if scored else "0"
        inner = f"SELECT rowid FROM {table} WHERE {table} MATCH %s"  # noqa: S608
        in_title, title_params = (f"rowid IN ({inner})", [title]) if titled else ("0", [])
        sql = (
            f"SELECT rowid AS object_id, {score} AS score, {in_title} AS in_title"  # noqa: S608
            f" FROM {table} WHERE {table} MATCH %s"
        )
        return sql, [*title_params, self._expression(clauses, need_all)]

    def ids(self, kind: str, clauses: Sequence[Clause]) -> tuple[str, list[Any]]:
        table = _fts_table(kind)
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH %s"  # noqa: S608
        return sql, [self._expression(clauses, need_all=True)]

    def typo_candidates(self, word: str, limit: int = 40) -> list[tuple[str, str]]:
        trigrams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        if not trigrams:
            return []
        expression = " OR ".join(f'"{trigram}"' for trigram in trigrams)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.term, t.surface FROM search_term_fts f JOIN search_term t ON t.id = f.rowid"
                " WHERE search_term_fts MATCH %s ORDER BY f.rank LIMIT %s",
                [expression, limit],
            )
            return list(cursor.fetchall())

    def heads_known(self, words: Sequence[str]) -> set[str]:
        found = set()
        with connection.cursor() as cursor:
            for word in words:
                for kind in KINDS:
                    table = _fts_table(kind)
                    sql = f"SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT 1"  # noqa: S608
                    cursor.execute(sql, [f'parts : "{word}"'])
                    if cursor.fetchone():
                        found.add(word)
                        break
        return found


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"search: no backend for {connection.vendor}")
