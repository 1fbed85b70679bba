"""The one evaluation-index builder: a SQuAD-format file → the project's real chunker → an in-memory index.

Every paragraph becomes a `Document` (its article title as the heading, source `squad/<pid>`), goes
through `ingest.chunking.chunk_documents` and into an in-memory `LocalIndex` (`build_in_memory`: the
same BM25 + dense search as a real index, nothing written to disk). Chunk texts are embedded once, in
batches, optionally cached as a .npy file keyed by the embedder and the exact texts. Each chunk maps
back to its paragraph id, the gold item of the paragraph's questions.

Used by `yakuba eval retrieval` (evals/retrieval.py) and the JSQuAD benchmarks.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.model import Chunk, Document
from evals.datasets.squad import Paragraph, Question, load_squad

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder, Hit
    from assistant.retrieval.local_store import LocalIndex

SOURCE_PREFIX = "squad/"
EMBED_BATCH = 256  # texts per embed_documents call (the embedder batches further inside)


def paragraph_documents(paragraphs: Iterable[Paragraph], *, with_title: bool = True) -> list[Document]:
    """One document per paragraph; the article title becomes the chunk heading unless `with_title=False`."""
    return [
        Document(text=p.text, source=f"{SOURCE_PREFIX}{p.pid}", title=p.title if with_title else "")
        for p in paragraphs
    ]


def embed_in_batches(
    embedder: Embedder,
    texts: list[str],
    *,
    batch_size: int = EMBED_BATCH,
    log: Callable[[str], None] | None = None,
) -> np.ndarray:
    """(len(texts), dim) float32: `embed_documents` over consecutive batches, stacked."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive (got {batch_size})")
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    started = time.perf_counter()
    parts = []
    for start in range(0, len(texts), batch_size):
        parts.append(
            np.asarray(embedder.embed_documents(texts[start : start + batch_size]), dtype=np.float32)
        )
        if log and len(texts) > batch_size:
            log(
                f"embedded {min(start + batch_size, len(texts))}/{len(texts)} texts "
                f"({time.perf_counter() - started:.0f} s)"
            )
    return np.vstack(parts)


def vector_cache_path(cache_dir: Path, embedder_name: str, texts: list[str]) -> Path:
    """`<cache_dir>/<embedder>-<hash of embedder name and texts>.npy` (same scheme as the old benchmark cache)."""
    key = hashlib.sha256("\x00".join([embedder_name, *texts]).encode()).hexdigest()[:16]
    safe = embedder_name.replace("/", "_").replace(":", "_")
    return Path(cache_dir) / f"{safe}-{key}.npy"


@dataclass
class EvalIndex:
    """An in-memory index over a SQuAD file's paragraphs, with the way back from chunks to paragraphs."""

    index: LocalIndex
    paragraphs: list[Paragraph]
    questions: list[Question]
    pid_of: dict[str, str]  # chunk_id → paragraph id
    embedder: Embedder
    seconds: float  # chunking + embedding + BM25, i.e. what building the index cost
    embed_seconds: float  # the embedding part (0 when the vectors came from the cache)

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    @property
    def titles(self) -> dict[str, str]:
        """Paragraph id → article title."""
        return {p.pid: p.title for p in self.paragraphs}

    def paragraph_ids(self, hits: Iterable[Hit]) -> list[str]:
        """The hits' paragraph ids in rank order, each once (several chunks may share a paragraph)."""
        return list(dict.fromkeys(self.pid_of[h.chunk.chunk_id] for h in hits))

    def with_query_embedder(self, embedder: Embedder) -> LocalIndex:
        """The same chunks and vectors searched with another query embedder of the same model
        (e.g. one serving precomputed query vectors). Nothing is embedded again."""
        from assistant.retrieval.local_store import build_in_memory

        return build_in_memory(
            self.chunks, embedder, vectors=self.index.vectors, alpha=self.index.alpha, pool=self.index.pool
        )


def build_document_index(
    documents: list[Document],
    embedder: str | Embedder,
    *,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    batch_size: int = EMBED_BATCH,
    cache_dir: Path | str | None = None,
    alpha: float | None = None,
    pool: int | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[LocalIndex, float]:
    """Chunk `documents` with the real chunker, embed once (in batches, cached), index in memory.

    Returns the index and the seconds spent embedding. `embedder`: a registry address or an embedder object.
    `chunk_size`/`chunk_overlap`/`alpha`/`pool` default to the settings. `cache_dir`: keep the chunk vectors as
    .npy there and reuse them when the embedder and the chunk texts are unchanged. `log` receives progress lines.
    """
    from assistant.retrieval.local_store import build_in_memory
    from ingest.chunking import chunk_documents

    if chunk_size is None or chunk_overlap is None:
        from assistant.config import get_settings

        settings = get_settings()
        chunk_size = settings.chunk_size if chunk_size is None else chunk_size
        chunk_overlap = settings.chunk_overlap if chunk_overlap is None else chunk_overlap
    model = get_embedder(embedder) if isinstance(embedder, str) else embedder
    chunks = chunk_documents(documents, size=chunk_size, overlap=chunk_overlap)
    texts = [c.search_text for c in chunks]
    cache = vector_cache_path(Path(cache_dir), model.name, texts) if cache_dir is not None else None
    embed_started = time.perf_counter()
    if cache is not None and cache.exists():
        vectors = np.load(cache)
        embed_seconds = 0.0
        if log:
            log(f"chunk vectors from {cache}")
    else:
        vectors = embed_in_batches(model, texts, batch_size=batch_size, log=log)
        embed_seconds = time.perf_counter() - embed_started
        if log:
            log(f"embedded {len(texts)} chunks in {embed_seconds:.0f} s")
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, vectors)
    return build_in_memory(chunks, model, vectors=vectors, alpha=alpha, pool=pool), embed_seconds


def build_eval_index(
    path: Path | str,
    embedder: str | Embedder,
    *,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    with_title: bool = True,
    batch_size: int = EMBED_BATCH,
    cache_dir: Path | str | None = None,
    alpha: float | None = None,
    pool: int | None = None,
    log: Callable[[str], None] | None = None,
) -> EvalIndex:
    """Load `path` (SQuAD format) and index every paragraph with `build_document_index`."""
    paragraphs, questions = load_squad(Path(path))
    model = get_embedder(embedder) if isinstance(embedder, str) else embedder
    started = time.perf_counter()
    index, embed_seconds = build_document_index(
        paragraph_documents(paragraphs, with_title=with_title), model,
        chunk_size=chunk_size, chunk_overlap=chunk_overlap, batch_size=batch_size, cache_dir=cache_dir,
        alpha=alpha, pool=pool, log=log,
    )  # fmt: skip
    pid_of = {c.chunk_id: c.source.removeprefix(SOURCE_PREFIX) for c in index.chunks}
    return EvalIndex(
        index=index,
        paragraphs=paragraphs,
        questions=questions,
        pid_of=pid_of,
        embedder=model,
        seconds=time.perf_counter() - started,
        embed_seconds=embed_seconds,
    )


def get_embedder(address: str) -> Embedder:
    from assistant.backends.embedders import get_embedder

    return get_embedder(address)
