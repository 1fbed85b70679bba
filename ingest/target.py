"""What the ingest pipeline needs from the index it writes to, passed in by the caller.

The pipeline does not know how an index is stored (the local FAISS/BM25 folders of
`assistant.retrieval.local_store`, a PostgreSQL/pgvector store later): the caller builds a target and
hands it over, so `ingest` imports nothing of `assistant`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from core.model import Chunk


class PreviousGeneration(Protocol):
    """The live index generation an incremental run builds on. Nothing here reads the index whole: a run
    that changes one file costs what that file costs."""

    @property
    def manifest(self) -> dict[str, Any]:
        """Its manifest; `manifest["files"]` is the pipeline's per-source record of the run that wrote it."""
        ...

    @property
    def embedder_name(self) -> str:
        """The canonical address of the embedder it was built with."""
        ...

    @property
    def generation(self) -> str | None:
        """The generation's name, reported in the ingest summary."""
        ...

    @property
    def chunk_count(self) -> int:
        """How many chunks it holds."""
        ...

    def stored(self, sources: set[str]) -> tuple[list[Chunk], np.ndarray]:
        """The chunks of these sources and their vectors (row i is the embedding of chunk i's search_text)."""
        ...


class IndexTarget(Protocol):
    """Where one ingest reads the previous generation from and writes the next one to."""

    @property
    def location(self) -> str:
        """Shown in the ingest summary (a folder, a database URL without secrets …)."""
        ...

    def lock(self) -> AbstractContextManager[object]:
        """Held for a whole run: one ingest at a time per index, so two runs never lose each other's changes."""
        ...

    def open_previous(self, *, rebuild: bool) -> PreviousGeneration | None:
        """The live generation, or None when there is none (or, with `rebuild`, when it cannot be read
        by this version: nothing is reused then). Raises IndexMismatch when it cannot be read otherwise."""
        ...

    def write_generation(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        *,
        embedder_name: str,
        dim: int,
        files: dict[str, dict[str, Any]],
    ) -> str:
        """Make the next generation live atomically and return its name. `chunks` (with `vectors`, row i ↔
        chunk i) are the new chunks of every source being (re)written: each such source's old chunks are
        replaced by them; `files` is the complete per-source record: a source missing from it leaves the
        index, and every other source keeps its chunks. After `open_previous(rebuild=True)`, `chunks` hold
        the whole index."""
        ...
