"""The PostgreSQL index as the ingest pipeline's `IndexTarget` (ingest/target.py).

The pipeline hands over the complete next state (every chunk, every vector, the per-file record); only
what changed is written, one source file per transaction:
- a file whose record (fingerprint, labels, chunk ids) is unchanged is not touched;
- a changed file has its chunks deleted and the new ones inserted in the same transaction, with the
  BM25 statistics (document frequencies, chunk and token counts) adjusted in it too — a crash leaves
  the previous state of that file, and readers see the file either before or after;
- a file that is no longer in the record leaves the index (its own transaction).
So the write cost follows the change, not the index size. The first load of an empty index (and a
rebuild with another embedder) is one transaction that builds the search indexes after the COPY.

Reading the previous state (`open_previous`) still loads every chunk and vector, because the pipeline's
protocol asks for them (to reuse vectors of unchanged text); `chunks`/`vectors` are loaded on first use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from psycopg.types.json import Jsonb

from assistant.config import get_settings
from assistant.retrieval.pg_schema import (
    FORMAT_VERSION,
    SCHEMA,
    create_search_indexes,
    create_tables,
    drop_all,
    ensure_extension,
    read_meta,
)
from assistant.retrieval.pg_sql import BM25_B, BM25_K1, filter_dates
from assistant.retrieval.pg_store import connection, conninfo, engine_for, redacted
from assistant.retrieval.tokenizer import get_tokenizer
from core.errors import IndexMismatch
from core.model import Chunk

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy import Engine

    from assistant.retrieval.tokenizer import JapaneseTokenizer

_LOCK_KEY = "yakuba_index.ingest"
_COPY = f"""COPY {SCHEMA}.chunks (chunk_id, source, doc_type, classification, groups, filter_dates,
    n_tokens, term_freqs, chunk, embedding) FROM STDIN"""


class PgPrevious:
    """The live state of the PostgreSQL index, as the pipeline's `PreviousGeneration`."""

    def __init__(self, engine: Engine, meta: dict[str, Any], files: dict[str, dict]) -> None:
        self._engine = engine
        self._meta = meta
        self._files = files

    @property
    def manifest(self) -> dict[str, Any]:
        return {"files": self._files, "embedder": {"name": self._meta["embedder"], "dim": self._meta["dim"]}}

    @property
    def embedder_name(self) -> str:
        from assistant.backends.embedders import canonical_embedder

        return canonical_embedder(self._meta["embedder"])

    @property
    def generation(self) -> str | None:
        return f"rev-{self._meta['revision']}"

    @property
    def chunk_count(self) -> int:
        return int(self._meta["n_chunks"])

    def stored(self, sources: set[str]) -> tuple[list[Chunk], np.ndarray]:
        """The chunks of these sources with their vectors, in index order: an ingest reads only the files it
        replaces or removes, never the whole index."""
        dim = int(self._meta["dim"])
        if not sources:
            return [], np.zeros((0, dim), np.float32)
        with connection(self._engine) as conn, conn.cursor(binary=True) as cur:
            rows = cur.execute(
                f"SELECT chunk, embedding FROM {SCHEMA}.chunks WHERE source = ANY(%s) ORDER BY seq",
                (sorted(sources),),
            ).fetchall()
        chunks = [Chunk.from_dict(r[0]) for r in rows]
        vectors = (
            np.vstack([r[1].to_numpy() for r in rows]).astype(np.float32)
            if rows
            else np.zeros((0, dim), np.float32)
        )
        return chunks, vectors


class PgIndexTarget:
    """Where an ingest run reads the previous state of a PostgreSQL index from and writes the next one."""

    def __init__(self, url: str, *, tokenizer: JapaneseTokenizer | None = None) -> None:
        self.url = url
        self._tokenizer = tokenizer
        self._engine: Engine | None = None
        self._rebuild = False

    @property
    def location(self) -> str:
        return redacted(self.url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            import psycopg

            with psycopg.connect(conninfo(self.url), autocommit=True) as conn:
                ensure_extension(conn)  # before the pool: its connections register the `vector` type
            self._engine = engine_for(self.url, pool_size=1)
        return self._engine

    @property
    def tokenizer(self) -> JapaneseTokenizer:
        if self._tokenizer is None:
            self._tokenizer = get_tokenizer()
        return self._tokenizer

    @contextmanager
    def lock(self) -> Iterator[None]:
        """A PostgreSQL advisory lock: one ingest at a time per database, from any machine. The run's
        connections are closed when it ends (an API process builds a target per upload)."""
        try:
            with connection(self.engine) as conn:
                conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (_LOCK_KEY,))
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (_LOCK_KEY,))
        finally:
            self.close()

    def close(self) -> None:
        """Close this target's connections (a later use opens new ones)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def open_previous(self, *, rebuild: bool) -> PgPrevious | None:
        self._rebuild = rebuild
        with connection(self.engine) as conn:
            meta = read_meta(conn)
            if meta is None:
                return None
            if meta["format_version"] != FORMAT_VERSION or meta["tokenizer"] != self.tokenizer.name:
                if rebuild:
                    return None
                raise IndexMismatch(
                    f"索引の形式（版 {meta['format_version']}、字句解析 {meta['tokenizer']}）がこのバージョンと異なります。"
                    "`yakuba ingest --rebuild` で索引を全件作り直してください。"
                )
            files = dict(conn.execute(f"SELECT source, entry FROM {SCHEMA}.files").fetchall())
        return PgPrevious(self.engine, meta, files)

    def write_generation(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        *,
        embedder_name: str,
        dim: int,
        files: dict[str, dict[str, Any]],
    ) -> str:
        """Bring the index to this state, file by file (see the module docstring); returns `rev-<n>`."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), dim)
        rows: dict[str, list[int]] = {}
        for i, chunk in enumerate(chunks):
            rows.setdefault(chunk.source, []).append(i)
        with connection(self.engine) as conn:
            meta = read_meta(conn)
            fresh = (
                meta is None
                or meta["format_version"] != FORMAT_VERSION
                or meta["tokenizer"] != self.tokenizer.name
                or meta["embedder"] != embedder_name
                or int(meta["dim"]) != int(dim)
            )
            stored = (
                {} if fresh else dict(conn.execute(f"SELECT source, entry FROM {SCHEMA}.files").fetchall())
            )
        if fresh:
            self.bulk_load(chunks, vectors, embedder_name=embedder_name, dim=dim, files=files)
        else:
            for source, entry in files.items():
                if self._rebuild or stored.get(source) != entry:
                    picked = rows.get(source, [])
                    self.replace_file(source, entry, [chunks[i] for i in picked], vectors[picked])
            for source in stored.keys() - files.keys():
                self.remove_file(source)
        with connection(self.engine) as conn:
            return self.revision(conn)

    # ------------------------------------------------------------------ per-file writes

    def replace_file(
        self,
        source: str,
        entry: dict[str, Any],
        chunks: list[Chunk],
        vectors: np.ndarray,
        *,
        tokens: list[list[str]] | None = None,
    ) -> None:
        """Replace every chunk of `source` in one transaction (`tokens`: the chunks' terms, if known)."""
        tokens = (
            tokens if tokens is not None else self.tokenizer.tokenize_many([c.search_text for c in chunks])
        )
        with connection(self.engine) as conn, conn.transaction():
            _delete_chunks(conn, source)
            conn.execute(
                f"INSERT INTO {SCHEMA}.files (source, entry) VALUES (%s, %s)"
                " ON CONFLICT (source) DO UPDATE SET entry = excluded.entry",
                (source, Jsonb(entry)),
            )
            _insert_chunks(conn, chunks, vectors, tokens)

    def remove_file(self, source: str) -> None:
        """Remove `source` and its chunks in one transaction."""
        with connection(self.engine) as conn, conn.transaction():
            _delete_chunks(conn, source)
            conn.execute(f"DELETE FROM {SCHEMA}.files WHERE source = %s", (source,))

    def bulk_load(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        *,
        embedder_name: str,
        dim: int,
        files: dict[str, dict[str, Any]],
        tokens: list[list[str]] | None = None,
    ) -> None:
        """Replace the whole index in one transaction; the search indexes are built after the COPY."""
        tokens = (
            tokens if tokens is not None else self.tokenizer.tokenize_many([c.search_text for c in chunks])
        )
        with connection(self.engine) as conn, conn.transaction():
            drop_all(conn)
            create_tables(conn, dim)
            conn.execute(
                f"INSERT INTO {SCHEMA}.meta (id, format_version, embedder, dim, tokenizer) VALUES (1, %s, %s, %s, %s)",
                (FORMAT_VERSION, embedder_name, int(dim), self.tokenizer.name),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {SCHEMA}.files (source, entry) VALUES (%s, %s)",
                    [(source, Jsonb(entry)) for source, entry in files.items()],
                )
                missing = {c.source for c in chunks} - files.keys()
                cur.executemany(  # chunks always belong to a file row (foreign key)
                    f"INSERT INTO {SCHEMA}.files (source, entry) VALUES (%s, '{{}}')", [(s,) for s in missing]
                )
            _insert_chunks(conn, chunks, vectors, tokens)
            create_search_indexes(conn, get_settings().index_build_memory)
        with connection(self.engine) as conn:  # VACUUM: the visibility map lets postings be read index-only
            conn.execute(f"VACUUM (ANALYZE) {SCHEMA}.chunks, {SCHEMA}.postings, {SCHEMA}.terms")

    @staticmethod
    def revision(conn: psycopg.Connection) -> str:
        return f"rev-{conn.execute(f'SELECT revision FROM {SCHEMA}.meta').fetchone()[0]}"


def _delete_chunks(conn: psycopg.Connection, source: str) -> None:
    """Delete the chunks of `source` and their postings, taking their terms and tokens out of the BM25
    statistics. A term whose count falls to 0 keeps its row: it has no posting, so it never scores.
    """
    conn.execute(
        f"""WITH gone AS (DELETE FROM {SCHEMA}.chunks WHERE source = %(source)s RETURNING seq, n_tokens),
                 posts AS (DELETE FROM {SCHEMA}.postings p USING gone WHERE p.seq = gone.seq
                           RETURNING p.term_id),
                 counts AS (SELECT term_id, count(*) AS n FROM posts GROUP BY term_id),
                 terms AS (UPDATE {SCHEMA}.terms t SET df = t.df - counts.n FROM counts WHERE t.id = counts.term_id)
            UPDATE {SCHEMA}.meta SET n_chunks = n_chunks - (SELECT count(*) FROM gone),
                   n_tokens = n_tokens - (SELECT coalesce(sum(n_tokens), 0) FROM gone),
                   revision = revision + 1, updated = now()""",
        {"source": source},
    )


def _insert_chunks(
    conn: psycopg.Connection, chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]]
) -> None:
    """COPY the chunks in, add their terms and tokens to the BM25 statistics, then their postings.

    The postings are derived in SQL from the rows just written (their term_freqs), with the impact
    computed against the corpus's average length after this insert: no per-posting Python loop.
    """
    if len(chunks) != len(vectors) or len(chunks) != len(tokens):
        raise ValueError(f"{len(chunks)} chunks, {len(vectors)} vectors and {len(tokens)} token lists differ")
    df: Counter[str] = Counter()
    total = 0
    with conn.cursor() as cur, cur.copy(_COPY) as copy:
        for chunk, vector, terms in zip(chunks, vectors, tokens, strict=True):
            freqs = Counter(terms)
            df.update(freqs.keys())
            total += len(terms)
            copy.write_row((
                chunk.chunk_id, chunk.source, chunk.doc_type, chunk.classification, list(chunk.groups),
                filter_dates(chunk), len(terms), Jsonb(freqs), Jsonb(chunk.to_dict()),
                np.asarray(vector, dtype=np.float32),
            ))  # fmt: skip
    ordered = sorted(df)
    conn.execute(
        f"""INSERT INTO {SCHEMA}.terms (term, df) SELECT * FROM unnest(%s::text[], %s::int[])
            ON CONFLICT (term) DO UPDATE SET df = {SCHEMA}.terms.df + excluded.df""",
        (ordered, [df[t] for t in ordered]),
    )
    conn.execute(
        f"UPDATE {SCHEMA}.meta SET n_chunks = n_chunks + %s, n_tokens = n_tokens + %s,"
        " revision = revision + 1, updated = now()",
        (len(chunks), total),
    )
    conn.execute(
        f"""INSERT INTO {SCHEMA}.postings (term_id, seq, tf, impact)
            SELECT t.id, c.seq, e.value::int, e.value::int / (e.value::int + {BM25_K1} * (1 - {BM25_B}
                   + {BM25_B} * c.n_tokens / greatest(m.n_tokens::float8 / greatest(m.n_chunks, 1), 1e-9)))
            FROM {SCHEMA}.chunks c CROSS JOIN {SCHEMA}.meta m, jsonb_each_text(c.term_freqs) e
                 JOIN {SCHEMA}.terms t ON t.term = e.key
            WHERE c.chunk_id = ANY(%s::text[])""",
        ([c.chunk_id for c in chunks],),
    )
