"""What the documents page lists: one summary per source file, computed inside the store.

The listing used to read every chunk of the index (`store.chunks`): fine for a sample, minutes for a
PostgreSQL index of a million chunks. Here the local index counts over its label columns and reads one
chunk per file (plus the chunks of records files, whose records are counted); PostgreSQL does it in
two GROUP BY queries. The access filters are the search's, so a file appears only with the chunks the
caller may see, and nothing is said about the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.pg_schema import SCHEMA
from assistant.retrieval.pg_sql import filter_sql

if TYPE_CHECKING:
    import psycopg

    from assistant.retrieval.base import Filters
    from assistant.retrieval.local_store import LocalIndex
    from core.model import Chunk


@dataclass
class SourceSummary:
    """A source file as far as the filters let the caller see it (title, type, groups: of its first
    visible chunk; classification: the highest of them; records: distinct 照会記録 of a records file)."""

    source: str
    title: str
    doc_type: str
    classification: int
    groups: list[str]
    chunks: int
    records: int | None = None


def record_key(chunk: Chunk) -> tuple:
    """One inquiry record: a long record spans several chunks with the same fields."""
    return tuple(sorted(chunk.fields.items())) or (chunk.title,)


def local_summaries(index: LocalIndex, filters: Filters | None) -> list[SourceSummary]:
    """Per source of a local index, in index order (first visible row of each file)."""
    allowed = index.visible_mask(filters)
    out: dict[str, SourceSummary] = {}
    records: dict[str, set[tuple]] = {}
    start = 0
    for seg, dead in index.segments:
        rows = np.arange(seg.rows) if allowed is None else np.flatnonzero(allowed[start : start + seg.rows])
        if allowed is None and dead is not None:
            rows = rows[~dead[rows]]
        start += seg.rows
        if not len(rows):
            continue
        _, firsts, inverse, counts = np.unique(
            seg.columns["source_id"][rows], return_index=True, return_inverse=True, return_counts=True
        )
        levels = np.zeros(len(firsts), dtype=np.int64)
        np.maximum.at(levels, inverse, seg.columns["classification"][rows])
        for j in np.argsort(firsts):  # files in the order of their first visible row
            chunk = seg.chunk(int(rows[firsts[j]]))
            count, level = int(counts[j]), int(levels[j])
            known = out.get(chunk.source)
            if known is None:
                out[chunk.source] = SourceSummary(
                    chunk.source, chunk.title, chunk.doc_type, level, sorted(chunk.groups), count
                )
            else:  # a source in two segments (not written so, but harmless)
                known.chunks += count
                known.classification = max(known.classification, level)
        for row in rows[seg.columns["inquiry"][rows]]:
            chunk = seg.chunk(int(row))
            records.setdefault(chunk.source, set()).add(record_key(chunk))
    for source, seen in records.items():
        out[source].records = len(seen)
    return list(out.values())


_PG_SUMMARIES = """WITH agg AS (
        SELECT c.source, count(*) AS n, max(c.classification) AS level, min(c.seq) AS first
        FROM {s}.chunks c WHERE {where} GROUP BY c.source)
    SELECT agg.source, f.chunk->>'title', f.doc_type, agg.level, f.groups, agg.n
    FROM agg JOIN {s}.chunks f ON f.seq = agg.first ORDER BY agg.first"""
# A record is its fields (jsonb equality ignores key order, as record_key sorts them), else its title.
_PG_RECORDS = """SELECT c.source, count(DISTINCT CASE WHEN c.chunk->'fields' <> '{{}}'::jsonb
        THEN c.chunk->'fields' ELSE to_jsonb(c.chunk->>'title') END)
    FROM {s}.chunks c WHERE {where} AND c.doc_type = 'inquiry' GROUP BY c.source"""


def pg_summaries(conn: psycopg.Connection, filters: Filters | None) -> list[SourceSummary]:
    """Per source of a PostgreSQL index, in index order; reads one chunk document per file."""
    where, params = filter_sql(filters)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        rows = conn.execute(_PG_SUMMARIES.format(s=SCHEMA, where=where), params).fetchall()
        records = dict(conn.execute(_PG_RECORDS.format(s=SCHEMA, where=where), params).fetchall())
    return [
        SourceSummary(source, title, doc_type, int(level), sorted(groups), int(n), records.get(source))
        for source, title, doc_type, level, groups, n in rows
    ]


def pg_count(conn: psycopg.Connection, filters: Filters | None) -> int:
    """How many chunks the filters allow."""
    where, params = filter_sql(filters)
    return int(conn.execute(f"SELECT count(*) FROM {SCHEMA}.chunks c WHERE {where}", params).fetchone()[0])
