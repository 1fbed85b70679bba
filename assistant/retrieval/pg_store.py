"""The PostgreSQL index: a `Store` over pgvector (HNSW) and BM25 computed in SQL over Sudachi terms.

Shared by every API replica and worker pointed at the same database (`YAKUBA_INDEX_URL`); the ingest
pipeline writes it through `PgIndexTarget` (pg_target.py), one file per transaction, so a reader always
sees each file either before or after its change. Tables: pg_schema.py.

One search, inside one read transaction (a consistent snapshot):
- dense: the `depth` nearest chunks the filters allow, through the HNSW index (`ORDER BY embedding <=>`);
  pgvector 0.6 applies a WHERE clause after the index scan, so a selective filter can leave fewer than
  `depth` rows — the query is then re-run as an exact scan, and k visible chunks still come back;
- lexical: BM25 (bm25s's defaults: Lucene idf, k1 1.5, b 0.75, so the ranking is the local index's).
  Scoring every chunk that shares a word with the query grows with the corpus (600 ms p50 at 100k), so
  candidates come from the `postings` table instead: the `per_term` postings of highest impact of each
  query term (index (term, impact DESC)), summed with the terms' idf; the filters are applied to those,
  the best `shortlist` are scored exactly (term counts of the chunk, corpus statistics of now) and cut.
  Both widen (×4) until no chunk left out could outscore the k-th found — Fagin's threshold algorithm:
  a chunk missing from a term's list has at most that list's lowest impact there — and until the filters
  leave `depth` candidates; at the widest every posting of the query's terms is read, and the ranking is
  exactly bm25s's, as it always is on small indexes;
- both scores of every candidate, then the fusion of fusion.py, as in the local store.
The lexical ranking runs first, while another thread embeds the query (query_overlap.py).
Access filters (groups, 機密性, type, dates, excluded sources) are WHERE clauses of both rankers,
so they act before the top-k cut.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.backends.embedders import canonical_embedder
from assistant.retrieval.base import Filters, Hit
from assistant.retrieval.doc_summaries import SourceSummary, pg_count, pg_summaries
from assistant.retrieval.fusion import rank_hybrid, rank_single
from assistant.retrieval.pg_connection import connection, conninfo, engine_for, redacted  # noqa: F401 (re-exported)
from assistant.retrieval.pg_schema import FORMAT_VERSION, SCHEMA, read_meta
from assistant.retrieval.pg_sql import bm25_sql, filter_sql, lexical_top_sql
from assistant.retrieval.query_masking import outbound_embedder
from assistant.retrieval.query_overlap import embed_beside
from assistant.retrieval.tokenizer import get_tokenizer
from core.errors import IndexMismatch, IndexNotFound
from core.model import Chunk
from core.policy import allows

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy import Engine

    from assistant.retrieval.base import Embedder
    from assistant.retrieval.local_store import SearchMode
    from assistant.retrieval.tokenizer import JapaneseTokenizer

log = logging.getLogger(__name__)

_MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
# Lexical candidates: postings read per query term, and how many of the best by the impact estimate
# are scored exactly. Chosen by benchmarks/pg_store_search.py at 100k chunks (BM25 top-10 overlap with
# the local bm25s, tie-aware): 1000/200 → 0.875, 1000/500 → 0.93, 2000/500 → 0.968, 3000/1000 → 0.99.
PER_TERM = 2000
SHORTLIST = 500


_NOT_FOUND = "検索用の索引が見つかりません（PostgreSQL）。`yakuba ingest` で文書を取り込んでください。"


class PgIndex:
    """A live view of the PostgreSQL index: every search reads the current committed state."""

    def __init__(
        self,
        engine: Engine,
        meta: dict[str, Any],
        *,
        embedder: Embedder | None = None,
        tokenizer: JapaneseTokenizer | None = None,
        alpha: float | None = None,
        pool: int | None = None,
        policy: Mapping[int, list[str]] | None = None,
        location: str = "",
        per_term: int = PER_TERM,
        shortlist: int = SHORTLIST,
        widen: int | None = None,
    ) -> None:
        if alpha is None or pool is None:
            from assistant.config import get_settings

            settings = get_settings()
            alpha = settings.fusion_alpha if alpha is None else alpha
            pool = settings.candidate_pool if pool is None else pool
        self.alpha = alpha
        self.pool = pool
        self.policy = policy
        self.location = location
        self.per_term = per_term
        self.shortlist = shortlist
        if widen is None:
            from assistant.config import get_settings

            widen = get_settings().index_bm25_widen
        self.widen = widen
        self._engine = engine
        self._meta = meta
        self._embedder = embedder
        self._tokenizer = tokenizer

    @classmethod
    def open(
        cls,
        url: str,
        embedder: Embedder | None = None,
        *,
        alpha: float | None = None,
        pool: int | None = None,
        policy: Mapping[int, list[str]] | None = None,
        engine: Engine | None = None,
        per_term: int = PER_TERM,
        shortlist: int = SHORTLIST,
        widen: int | None = None,
    ) -> PgIndex:
        """Connect to the index at `url` (raises IndexNotFound when nothing was ingested there yet)."""
        import psycopg

        with psycopg.connect(conninfo(url), autocommit=True) as conn:  # no pool yet: `vector` may not exist
            meta = read_meta(conn)
        if meta is None:
            raise IndexNotFound(_NOT_FOUND)
        if meta["format_version"] != FORMAT_VERSION:
            raise IndexMismatch(
                f"索引の形式（版 {meta['format_version']}）がこのバージョン（版 {FORMAT_VERSION}）と異なります。"
                "`yakuba ingest --rebuild` で索引を全件作り直してください。"
            )
        if embedder is not None:
            check_embedder(meta, embedder)
        return cls(
            engine or engine_for(url),
            meta,
            embedder=embedder,
            alpha=alpha,
            pool=pool,
            policy=policy,
            location=redacted(url),
            per_term=per_term,
            shortlist=shortlist,
            widen=widen,
        )

    @property
    def embedder_name(self) -> str:
        return canonical_embedder(self._meta["embedder"])

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from assistant.backends.embedders import get_embedder

            embedder = get_embedder(self.embedder_name)
            check_embedder(self._meta, embedder)
            self._embedder = embedder
        return self._embedder

    @property
    def tokenizer(self) -> JapaneseTokenizer:
        if self._tokenizer is None:
            self._tokenizer = get_tokenizer(self._meta["tokenizer"])
        return self._tokenizer

    def __len__(self) -> int:
        with connection(self._engine) as conn:
            return int(conn.execute(f"SELECT n_chunks FROM {SCHEMA}.meta").fetchone()[0])

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """The chunks with these ids, in the given order; unknown ids are skipped."""
        with connection(self._engine) as conn:
            return _fetch_chunks(conn, chunk_ids)

    def chunks_of(self, source: str) -> list[Chunk]:
        """The chunks of one source file, in file order (index `chunks_source`)."""
        with connection(self._engine) as conn:
            rows = conn.execute(
                f"SELECT chunk FROM {SCHEMA}.chunks WHERE source = %s ORDER BY seq", (source,)
            )
            return sorted((Chunk.from_dict(r[0]) for r in rows), key=lambda c: c.ordinal)

    def documents(self, filters: Filters | None = None) -> list[SourceSummary]:
        """One summary per source file with chunks the filters allow (doc_summaries.py: GROUP BY in SQL)."""
        with connection(self._engine) as conn:
            return pg_summaries(conn, filters)

    def document_frequency(self, term: str) -> int:
        """How many chunks hold `term` (the `terms` table): answerability's IDF, as the local index's."""
        with connection(self._engine) as conn:
            row = conn.execute(f"SELECT df FROM {SCHEMA}.terms WHERE term = %s", (term,)).fetchone()
        return int(row[0]) if row else 0

    def count(self, filters: Filters | None = None) -> int:
        """How many chunks the filters allow."""
        with connection(self._engine) as conn:
            return pg_count(conn, filters)

    @property
    def manifest(self) -> dict[str, Any]:
        """As `LocalIndex.manifest`: embedder, tokenizer and the per-file record (read now)."""
        with connection(self._engine) as conn:
            files = dict(conn.execute(f"SELECT source, entry FROM {SCHEMA}.files").fetchall())
        meta = self._meta
        embedder = {"name": meta["embedder"], "dim": meta["dim"]}
        return {
            "version": FORMAT_VERSION,
            "embedder": embedder,
            "tokenizer": meta["tokenizer"],
            "files": files,
        }

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk (as `LocalIndex.chunks`): reads the whole table; prefer `chunks_of` and SQL."""
        with connection(self._engine) as conn:
            return [
                Chunk.from_dict(r[0]) for r in conn.execute(f"SELECT chunk FROM {SCHEMA}.chunks ORDER BY seq")
            ]

    # ------------------------------------------------------------------ searching

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        """The k best chunks the filters allow (fewer only if fewer are allowed, or BM25 finds fewer)."""
        return self.search_many([query], k, filters, mode)[0]

    def search_many(
        self, queries: list[str], k: int = 10, filters: Filters | None = None, mode: SearchMode = "hybrid"
    ) -> list[list[Hit]]:
        """`search` for many queries, embedded in one batch."""
        if mode not in ("hybrid", "bm25", "dense", "rrf"):
            raise ValueError(f"unknown search mode {mode!r}")
        if not queries:
            return []
        if k <= 0:
            return [[] for _ in queries]
        if mode != "bm25" and not self._may_embed_queries(filters):
            mode = "bm25"  # the query text must not reach this embedder: lexical search only
        if mode == "bm25":
            return [self._search_one(q, _ready(None), k, filters, mode) for q in queries]
        if len(queries) == 1:  # embedded while PostgreSQL ranks by BM25 (query_overlap.py)
            pending = embed_beside(self._embed, queries)
            return [self._search_one(queries[0], lambda: pending.result()[0], k, filters, mode)]
        vectors = self._embed(queries)
        return [self._search_one(q, _ready(v), k, filters, mode) for q, v in zip(queries, vectors, strict=True)]

    def _embed(self, queries: list[str]) -> list[np.ndarray]:
        embedder = outbound_embedder(self.embedder)  # personal data masked before an external embedder
        if len(queries) == 1:
            return [np.asarray(embedder.embed_query(queries[0]), dtype=np.float32)]
        batch = getattr(embedder, "embed_queries", None)
        matrix = batch(queries) if batch else np.vstack([embedder.embed_query(q) for q in queries])
        return list(np.asarray(matrix, dtype=np.float32))

    def _search_one(
        self, query: str, vector_of: Callable[[], np.ndarray | None], k: int, filters: Filters | None, mode: str
    ) -> list[Hit]:
        """One search; `vector_of()` gives the query vector (None for BM25 only), waited for only
        after the lexical ranking is done."""
        depth = max(self.pool, k)  # ties at the cut are broken by row order over candidates, as locally
        tokens = self.tokenizer.tokenize(query) if mode != "dense" else []
        where, params = filter_sql(filters)
        params.update(depth=depth, ef=_ef_search(depth, filtered=where != "TRUE"))
        with connection(self._engine) as conn, conn.transaction():
            # one snapshot for every statement of the search: a file committed meanwhile is not half seen
            conn.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
                f" SET LOCAL hnsw.ef_search = {int(params['ef'])}"
            )
            bm25 = bm25_sql(conn, tokens, params) if tokens else None
            lexical_top = self._lexical_top(conn, where, params, bm25, k) if bm25 else {}
            vector = params["qv"] = vector_of()
            # the dense ranker scores its candidates by BM25 too (bm25 is known by now); the lexical
            # ones it did not find get their cosine afterwards
            dense_top = self._dense_top(conn, where, params, bm25) if vector is not None else {}
            scores = {cid: [seq, cosine, lexical] for cid, (seq, cosine, lexical) in dense_top.items()}
            for cid, (seq, score) in lexical_top.items():
                scores.setdefault(cid, [seq, 0.0, 0.0])[2] = score
            missing = list(lexical_top.keys() - dense_top.keys()) if dense_top else []
            if missing:
                for cid, cosine in conn.execute(
                    f"SELECT c.chunk_id, 1 - (c.embedding <=> %(qv)s) FROM {SCHEMA}.chunks c"
                    " WHERE c.chunk_id = ANY(%(missing)s)",
                    {"qv": vector, "missing": missing},
                ):
                    scores[cid][1] = cosine
            if not scores:
                return []
            ids = sorted(scores, key=lambda cid: scores[cid][0])  # row order, as the local index's
            dense = np.array([scores[cid][1] for cid in ids], dtype=np.float32)
            lexical = np.array([scores[cid][2] for cid in ids], dtype=np.float32)
            if mode == "bm25":
                ranking = rank_single(lexical, k, positive_only=True)
            elif mode == "dense":
                ranking = rank_single(dense, k)
            else:
                method = "rrf" if mode == "rrf" else "weighted"
                ranking = rank_hybrid(dense, lexical, k, alpha=self.alpha, pool=self.pool, method=method)
            picked = [ids[int(r)] for r in ranking.rows]
            chunks = {c.chunk_id: c for c in _fetch_chunks(conn, picked)}
        hits = []
        for rank, row in enumerate(ranking.rows):
            extra: dict[str, Any] = {"rank": rank + 1}
            if mode != "dense":
                extra["bm25"] = float(lexical[row])
            if vector is not None:
                extra["cosine"] = float(dense[row])
            hits.append(
                Hit(
                    chunk=chunks[ids[int(row)]],
                    score=float(ranking.scores[rank]),
                    lexical=float(ranking.lexical[rank]) if mode != "dense" else None,
                    dense=float(ranking.dense[rank]) if mode != "bm25" else None,
                    extra=extra,
                )
            )
        return hits

    def _dense_top(
        self, conn: psycopg.Connection, where: str, params: dict, bm25: str | None
    ) -> dict[str, tuple[int, float, float]]:
        """The `depth` nearest chunks the filters allow: {chunk_id: (seq, cosine, bm25)}, nearest first
        (bm25 0 without query terms; computed for the returned rows only: the LIMIT is above it)."""
        sql = f"""SELECT c.chunk_id, c.seq, 1 - (c.embedding <=> %(qv)s), {bm25 or "0::float8"}
                  FROM {SCHEMA}.chunks c WHERE {where} ORDER BY c.embedding <=> %(qv)s LIMIT %(depth)s"""
        ids = conn.execute(sql, params).fetchall()
        depth, ef = params["depth"], params["ef"]
        if len(ids) < depth and ef < _MAX_EF_SEARCH:
            # HNSW + a filter can stop short of `depth` rows (pgvector 0.6 filters after the index scan,
            # which yields at most ef_search rows): first a wider graph search, sized by the share seen …
            share = max(len(ids), 1) / ef
            conn.execute(f"SET LOCAL hnsw.ef_search = {min(int(2 * depth / share), _MAX_EF_SEARCH)}")
            ids = conn.execute(sql, params).fetchall()
        if len(ids) < depth:
            # … then the exact scan, which returns every visible chunk up to `depth`. `+ 0` keeps the
            # planner off the HNSW index (a planner setting would not reach psycopg's prepared plans).
            exact = sql.replace("ORDER BY c.embedding <=> %(qv)s", "ORDER BY (c.embedding <=> %(qv)s) + 0")
            ids = conn.execute(exact, params).fetchall()
        return {cid: (seq, cosine, lexical) for cid, seq, cosine, lexical in ids}

    def _lexical_top(
        self, conn: psycopg.Connection, where: str, params: dict, bm25: str, k: int
    ) -> dict[str, tuple[int, float]]:
        """The BM25 top `depth` as {chunk_id: (seq, score)} (pg_sql.lexical_top_sql): candidates from the
        best `per_term` postings of each term, widened ×4 while the filters leave fewer than `depth` of them
        (up to every posting: exact), and at most `widen` times while a chunk left out could still outscore
        the k-th found (threshold algorithm: a chunk missing from a term's list gains at most that list's
        lowest impact read, so nothing is missed once the k-th exact score reaches the sum of those)."""
        depth = params["depth"]
        params = {**params, "shortlist": max(self.shortlist, depth)}
        per_term: int | None = self.per_term
        rounds = self.widen
        while True:
            if per_term is not None and per_term >= params["max_df"]:
                per_term = None  # every posting is read anyway: no LIMIT
            sql = lexical_top_sql(bm25, where, per_term, bound=rounds > 0)
            rows = conn.execute(sql, params).fetchall()
            top = {cid: (seq, score) for cid, seq, score, *_ in rows}
            if per_term is None:
                return top
            if len(rows) < depth:  # the filters hid too many: widen, as often as it takes
                per_term *= 4
                continue
            kth, bound = rows[min(k, len(rows)) - 1][2], rows[0][3]
            if kth >= bound or rounds <= 0:
                return top
            rounds -= 1
            per_term *= 4

    def _may_embed_queries(self, filters: Filters | None) -> bool:
        """As `LocalIndex._may_embed_queries`: a query counts as the highest level its caller may read
        (without a ceiling, the highest level the index holds); local embedders are always allowed."""
        if self.policy is None:
            return True
        embedder = self.embedder
        location = getattr(embedder, "data_location", "organisation")
        if location == "organisation":
            return True
        level = filters.max_classification if filters and filters.max_classification is not None else None
        if level is None:
            with connection(self._engine) as conn:
                level = conn.execute(f"SELECT max(classification) FROM {SCHEMA}.chunks").fetchone()[0] or 1
        if allows(self.policy, level, location, embedder.name):
            return True
        log.warning(
            "query embedding refused by the classification policy: level %s may not go to %s (%s); "
            "searching with BM25 only", level, embedder.name, location,
        )  # fmt: skip
        return False


def _ready(vector: np.ndarray | None) -> Callable[[], np.ndarray | None]:
    return lambda: vector


def _ef_search(depth: int, *, filtered: bool) -> int:
    """hnsw.ef_search for `depth` neighbours: pgvector 0.6 (pgserver's build; no iterative scans, which
    came with 0.8) yields at most ef_search rows and filters after, so a filtered search starts at
    twice the depth — enough while the filters let half the chunks through, one graph search."""
    return min(max(depth, 40) * (2 if filtered else 1), _MAX_EF_SEARCH)


def _fetch_chunks(conn: psycopg.Connection, chunk_ids: list[str]) -> list[Chunk]:
    if not chunk_ids:
        return []
    rows = conn.execute(
        f"SELECT chunk_id, chunk FROM {SCHEMA}.chunks WHERE chunk_id = ANY(%s::text[])", (list(chunk_ids),)
    ).fetchall()
    found = {cid: Chunk.from_dict(data) for cid, data in rows}
    return [found[i] for i in chunk_ids if i in found]


def check_embedder(meta: dict[str, Any], embedder: Embedder) -> None:
    same = canonical_embedder(embedder.name) == canonical_embedder(meta["embedder"])
    if not same or int(embedder.dim) != int(meta["dim"]):
        raise IndexMismatch(
            f"この索引は埋め込みモデル「{meta['embedder']}」（{meta['dim']}次元）で作成されています。"
            f"「{embedder.name}」（{embedder.dim}次元）では検索できません。"
            f"設定 YAKUBA_EMBEDDER を「{meta['embedder']}」に戻すか、`yakuba ingest --rebuild` で索引を全件作り直してください。"
        )
