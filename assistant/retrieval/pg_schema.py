"""Tables of the PostgreSQL index (pgvector + per-chunk Sudachi term counts), created idempotently.

Everything lives in its own PostgreSQL schema `yakuba_index`, so the index can share a database with
the records (Alembic only looks at the default schema) or sit in a database of its own.

    meta    one row: format version, embedder name and dimension, tokenizer name, revision counter,
            corpus statistics for BM25 (chunk count, token count)
    files   one row per ingested source file: the pipeline's record of it (fingerprint, chunk ids …)
    chunks  one row per chunk: filter columns (source, type, 機密性, groups, dates), the Chunk as JSON,
            the BM25 side (token count and {term: count} as JSONB, read for exact scores of candidates),
            the vector (pgvector, HNSW with cosine distance)
    terms   id and document frequency of every term, kept up to date by the writer
    postings one row per (term, chunk): tf and an impact — the BM25 term-frequency part with the chunk's
            length normalisation at write time, tf / (tf + k1·(1 − b + b·dl/avgdl)) — indexed by
            (term, impact DESC), so a query reads only the best postings of each of its terms
            (candidate selection; exact scores come from `chunks`, see pg_sql.py)

The driver is psycopg 3 (the project's PostgreSQL driver for the records) with pgvector's adapter,
so vectors travel as binary float32 arrays.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

SCHEMA = "yakuba_index"
FORMAT_VERSION = 2  # 2: postings table with impacts (1: GIN over term_freqs)

# HNSW build parameters (pgvector defaults); ef_search is set per query from the candidate pool.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64

_TABLES = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.meta (
    id              integer PRIMARY KEY CHECK (id = 1),
    format_version  integer NOT NULL,
    embedder        text NOT NULL,
    dim             integer NOT NULL,
    tokenizer       text NOT NULL,
    revision        bigint NOT NULL DEFAULT 0,
    n_chunks        bigint NOT NULL DEFAULT 0,
    n_tokens        bigint NOT NULL DEFAULT 0,
    updated         timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.files (
    source  text PRIMARY KEY,
    entry   jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.chunks (
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    chunk_id        text PRIMARY KEY,
    source          text NOT NULL REFERENCES {s}.files (source) ON DELETE CASCADE,
    doc_type        text NOT NULL,
    classification  smallint NOT NULL,
    groups          text[] NOT NULL,
    filter_dates    text[] NOT NULL,
    n_tokens        integer NOT NULL,
    term_freqs      jsonb NOT NULL,
    chunk           jsonb NOT NULL,
    embedding       vector({dim}) NOT NULL
);
-- BM25 reads term_freqs of every matching row: kept inline and uncompressed where it fits (MAIN); the
-- chunk JSON, read for the k results only, goes out of line (EXTERNAL) so that rows stay small.
ALTER TABLE {s}.chunks ALTER COLUMN term_freqs SET STORAGE MAIN, ALTER COLUMN chunk SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS chunks_source ON {s}.chunks (source);
CREATE INDEX IF NOT EXISTS chunks_classification ON {s}.chunks (classification);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_seq ON {s}.chunks (seq);
CREATE TABLE IF NOT EXISTS {s}.terms (
    term  text PRIMARY KEY,
    id    integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    df    integer NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.postings (
    term_id  integer NOT NULL,
    seq      bigint NOT NULL,
    tf       integer NOT NULL,
    impact   real NOT NULL
);
"""

# Built after a bulk load rather than row by row (pgvector: building on loaded data is much faster).
_SEARCH_INDEXES = """
CREATE INDEX IF NOT EXISTS postings_impact ON {s}.postings (term_id, impact DESC) INCLUDE (seq);
CREATE INDEX IF NOT EXISTS postings_seq ON {s}.postings (seq);
CREATE INDEX IF NOT EXISTS chunks_hnsw ON {s}.chunks
    USING hnsw (embedding vector_cosine_ops) WITH (m = {m}, ef_construction = {ef});
"""


def ensure_extension(conn: psycopg.Connection) -> None:
    """`CREATE EXTENSION vector` once per database (needs the right to create extensions)."""
    with conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
        if not exists:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def create_tables(conn: psycopg.Connection, dim: int) -> None:
    """Tables and plain indexes (no-op when present). Run inside the caller's transaction."""
    conn.execute(_TABLES.format(s=SCHEMA, dim=int(dim)))


def create_search_indexes(conn: psycopg.Connection, memory: str = "512MB") -> None:
    """The postings (terms) and HNSW (vectors) indexes (no-op when present), built with `memory` as
    maintenance_work_mem (a PostgreSQL size such as '2GB', validated by the settings)."""
    if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", memory):
        raise ValueError(f"not a PostgreSQL memory size: {memory!r} (e.g. 2GB)")
    conn.execute(f"SET LOCAL maintenance_work_mem = '{memory}'")
    conn.execute(_SEARCH_INDEXES.format(s=SCHEMA, m=HNSW_M, ef=HNSW_EF_CONSTRUCTION))


def drop_all(conn: psycopg.Connection) -> None:
    """Remove the whole index (a rebuild with another embedder). Run inside the caller's transaction."""
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def read_meta(conn: psycopg.Connection) -> dict | None:
    """The meta row as a dict, or None when the index was never written."""
    present = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.meta",)).fetchone()[0]
    if present is None:
        return None
    cur = conn.execute(
        f"SELECT format_version, embedder, dim, tokenizer, revision, n_chunks, n_tokens FROM {SCHEMA}.meta"
    )
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d.name for d in cur.description], row, strict=True))
