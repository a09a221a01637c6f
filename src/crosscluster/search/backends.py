"""The database's own full-text engine behind one interface, one implementation per vendor.

Both find the candidate documents with their full-text index (PostgreSQL: `tsvector @@ tsquery` on a GIN
index per kind; SQLite: an FTS5 `MATCH`), join each kind's own table through the app's choke point (only
published, listed, valid objects), and score every candidate the same way in SQL, so that both databases
rank alike: per clause the best alternative, an exact word in the title 2.0, a word beginning with the term
in the title 1.7, an exact word elsewhere 1.0, a word beginning with it 0.85, the back part of a compound
0.6 (an alternative of several terms, e.g. a split compound or a topic's name: 0.9 when all occur), times
the alternative's and the clause's weight. The vocabulary (`search_term`) gives typo candidates: by
`pg_trgm` similarity, or by an FTS5 trigram index; the nearest are chosen by edit distance (core.text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from .query import Alternative, Clause, Probe

# Scores of a probe by where and how it matches (see the module docstring).
TITLE, TITLE_PREFIX, BODY, BODY_PREFIX, PART, ALL_OF = 2.0, 1.7, 1.0, 0.85, 0.6, 0.9


@dataclass
class Row:
    object_id: int
    score: float
    matched: int
    extra: tuple[Any, ...]
    total: int


def _sql_of(queryset: QuerySet) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.values("pk").query.sql_with_params()
    return sql, tuple(params)


class Backend:
    vendor = ""

    # --- to implement ---------------------------------------------------------------------------------

    def match(self, kind: str, clauses: Sequence[Clause], need_all: bool) -> tuple[str, list[Any]]:
        """A condition on document `d`: it matches the clauses (all, or any when not `need_all`)."""
        raise NotImplementedError

    def probe_score(self, item: Probe) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def all_present(self, probes: Sequence[Probe]) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def greatest(self, parts: list[str]) -> str:
        raise NotImplementedError

    def typo_candidates(self, word: str, limit: int = 40) -> list[tuple[str, str]]:
        raise NotImplementedError

    def heads_known(self, words: Sequence[str]) -> set[str]:
        """Which of `words` occur as the back part of some document's compound."""
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------------

    def alternative_score(self, alternative: Alternative) -> tuple[str, list[Any]]:
        if len(alternative.probes) == 1:
            sql, params = self.probe_score(alternative.probes[0])
        else:
            condition, params = self.all_present(alternative.probes)
            sql = f"CASE WHEN {condition} THEN {ALL_OF} ELSE 0 END"
        return (f"({sql}) * {alternative.weight!r}" if alternative.weight != 1 else sql), params

    def clause_score(self, clause: Clause) -> tuple[str, list[Any]]:
        parts, params = [], []
        for alternative in clause.alternatives:
            sql, found = self.alternative_score(alternative)
            parts.append(sql)
            params += found
        sql = self.greatest(parts) if len(parts) > 1 else parts[0]
        return (f"({sql}) * {clause.weight!r}" if clause.weight != 1 else sql), params

    def rank(
        self,
        kind: str,
        clauses: Sequence[Clause],
        *,
        table: str,
        visible: QuerySet,
        needed: int,
        columns: Sequence[str] = (),
        order: str = "",
        order_params: Sequence[Any] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Row]:
        """The visible documents of `kind` that match at least `needed` clauses, with their scores.

        `columns` are expressions on the object's row `s` returned with each document; `order` sorts after
        the matched clauses and the score (default: by score alone); without `limit` all are returned.
        """
        q = connection.ops.quote_name
        match_sql, match_params = self.match(kind, clauses, need_all=needed >= len(clauses))
        scores, score_params = [], []
        for i, clause in enumerate(clauses):
            sql, params = self.clause_score(clause)
            scores.append(f"{sql} AS c{i}")
            score_params += params
        visible_sql, visible_params = _sql_of(visible)
        extra = "".join(f", {column} AS x{i}" for i, column in enumerate(columns))
        total = " + ".join(f"y.c{i}" for i in range(len(clauses)))
        matched = " + ".join(f"CASE WHEN y.c{i} > 0 THEN 1 ELSE 0 END" for i in range(len(clauses)))
        extra_names = "".join(f", x.x{i}" for i in range(len(columns)))
        sql = (
            f"SELECT x.object_id, x.score, x.matched{extra_names}, COUNT(*) OVER () FROM ("  # noqa: S608
            f" SELECT y.*, {total} AS score, {matched} AS matched FROM ("
            f"  SELECT d.object_id{extra}, {', '.join(scores)}"
            f"  FROM search_document d JOIN {q(table)} s ON s.{q('id')} = d.object_id"
            f"  WHERE d.kind = %s AND {match_sql} AND s.{q('id')} IN ({visible_sql})"
            f" ) y"
            f") x WHERE x.matched >= %s"
            f" ORDER BY x.matched DESC, ROUND(x.score, 2) DESC{', ' + order if order else ''}, x.object_id"
        )
        params = [*score_params, kind, *match_params, *visible_params, needed, *order_params]
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        n = len(columns)
        return [Row(int(r[0]), float(r[1]), int(r[2]), tuple(r[3 : 3 + n]), int(r[3 + n])) for r in rows]

    def vectors(self, kind: str, *, table: str, visible: QuerySet, model: str) -> list[tuple[int, bytes]]:
        """(object id, vector) of every visible document of `kind` with a vector of encoder `model`."""
        q = connection.ops.quote_name
        visible_sql, visible_params = _sql_of(visible)
        sql = (
            f"SELECT d.object_id, d.vector FROM search_document d JOIN {q(table)} s"  # noqa: S608
            f" ON s.{q('id')} = d.object_id WHERE d.kind = %s AND d.vector_model = %s"
            f" AND d.vector IS NOT NULL AND s.{q('id')} IN ({visible_sql})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [kind, model, *visible_params])
            return [(int(pk), bytes(data)) for pk, data in cursor.fetchall()]

    def offer_vectors(self, organizations: Sequence[int], model: str) -> list[tuple[int, int, bytes]]:
        """(offer id, organisation id, vector) of the offers of these organisations."""
        if not organizations:
            return []
        placeholders = ", ".join(["%s"] * len(organizations))
        sql = (
            "SELECT d.object_id, s.organization_id, d.vector FROM search_document d"  # noqa: S608
            " JOIN directory_offer s ON s.id = d.object_id WHERE d.kind = 'offer' AND d.vector_model = %s"
            f" AND d.vector IS NOT NULL AND s.organization_id IN ({placeholders})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [model, *organizations])
            return [(int(pk), int(org), bytes(data)) for pk, org, data in cursor.fetchall()]

    def vectors_of(self, kind: str, ids: Sequence[int], model: str) -> dict[int, bytes]:
        if not ids:
            return {}
        placeholders = ", ".join(["%s"] * len(ids))
        sql = (
            "SELECT object_id, vector FROM search_document WHERE kind = %s AND vector_model = %s"  # noqa: S608
            f" AND vector IS NOT NULL AND object_id IN ({placeholders})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [kind, model, *ids])
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

    @staticmethod
    def _probe_query(item: Probe, weights: str = "") -> str:
        if item.prefix:
            return (
                f"('{item.term}':*{weights or 'AB'} | '{item.term}':D)"
                if not weights
                else f"'{item.term}':*{weights}"
            )
        return f"'{item.term}':{weights or 'ABD'}"

    def _tsquery(self, clauses: Sequence[Clause], need_all: bool) -> str:
        parts = []
        for clause in clauses:
            options = [
                " & ".join(self._probe_query(p) for p in alternative.probes)
                for alternative in clause.alternatives
            ]
            parts.append("(" + " | ".join(f"({option})" for option in options) + ")")
        return (" & " if need_all else " | ").join(parts)

    def match(self, kind: str, clauses: Sequence[Clause], need_all: bool) -> tuple[str, list[Any]]:
        return "d.terms @@ %s::tsquery", [self._tsquery(clauses, need_all)]

    def probe_score(self, item: Probe) -> tuple[str, list[Any]]:
        levels = [(f"'{item.term}':A", TITLE)]
        if item.prefix:
            levels.append((f"'{item.term}':*A", TITLE_PREFIX))
        levels.append((f"'{item.term}':B", BODY))
        if item.prefix:
            levels.append((f"'{item.term}':*B", BODY_PREFIX))
        levels.append((f"'{item.term}':D", PART))
        cases = " ".join(f"WHEN d.terms @@ %s::tsquery THEN {score}" for _query, score in levels)
        return f"CASE {cases} ELSE 0 END", [query for query, _score in levels]

    def all_present(self, probes: Sequence[Probe]) -> tuple[str, list[Any]]:
        return "d.terms @@ %s::tsquery", [" & ".join(self._probe_query(p) for p in probes)]

    def greatest(self, parts: list[str]) -> str:
        return f"GREATEST({', '.join(parts)})"

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
                cursor.execute(
                    "SELECT 1 FROM search_document WHERE terms @@ %s::tsquery LIMIT 1", [f"'{word}':D"]
                )
                if cursor.fetchone():
                    found.add(word)
        return found


class SQLiteBackend(Backend):
    vendor = "sqlite"

    @staticmethod
    def _probe_match(item: Probe) -> str:
        if item.prefix:
            return f'({{title body}} : "{item.term}"* OR parts : "{item.term}")'
        return f'{{title body parts}} : "{item.term}"'

    def match(self, kind: str, clauses: Sequence[Clause], need_all: bool) -> tuple[str, list[Any]]:
        parts = []
        for clause in clauses:
            options = [
                "(" + " AND ".join(self._probe_match(p) for p in alternative.probes) + ")"
                for alternative in clause.alternatives
            ]
            parts.append("(" + " OR ".join(options) + ")")
        expression = (" AND " if need_all else " OR ").join(parts)
        return (
            "d.id IN (SELECT rowid FROM search_document_fts WHERE search_document_fts MATCH %s)",
            [f'kind : "{kind}" AND ({expression})'],
        )

    def probe_score(self, item: Probe) -> tuple[str, list[Any]]:
        t = item.term
        levels = [("(' ' || d.title || ' ') LIKE %s", f"% {t} %", TITLE)]
        if item.prefix:
            levels.append(("(' ' || d.title) LIKE %s", f"% {t}%", TITLE_PREFIX))
        levels.append(("(' ' || d.body || ' ') LIKE %s", f"% {t} %", BODY))
        if item.prefix:
            levels.append(("(' ' || d.body) LIKE %s", f"% {t}%", BODY_PREFIX))
        levels.append(("(' ' || d.parts || ' ') LIKE %s", f"% {t} %", PART))
        cases = " ".join(f"WHEN {condition} THEN {score}" for condition, _pattern, score in levels)
        return f"CASE {cases} ELSE 0 END", [pattern for _condition, pattern, _score in levels]

    def all_present(self, probes: Sequence[Probe]) -> tuple[str, list[Any]]:
        conditions, params = [], []
        for item in probes:
            words = "(' ' || d.title || ' ' || d.body || ' ')"
            if item.prefix:
                conditions.append(f"({words} LIKE %s OR (' ' || d.parts || ' ') LIKE %s)")
                params += [f"% {item.term}%", f"% {item.term} %"]
            else:
                conditions.append(f"({words} || d.parts || ' ') LIKE %s")
                params.append(f"% {item.term} %")
        return "(" + " AND ".join(conditions) + ")", params

    def greatest(self, parts: list[str]) -> str:
        return f"MAX({', '.join(parts)})"

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
                cursor.execute(
                    "SELECT 1 FROM search_document_fts WHERE search_document_fts MATCH %s LIMIT 1",
                    [f'parts : "{word}"'],
                )
                if cursor.fetchone():
                    found.add(word)
        return found


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"search: no backend for {connection.vendor}")
