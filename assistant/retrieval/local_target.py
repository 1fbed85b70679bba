"""A local index folder as the ingest pipeline's `IndexTarget` (ingest/target.py).

The caller (`assistant.ingesting.build_pipeline`, tests, benchmarks) builds one and passes it to
`IngestPipeline`, so `ingest` never imports the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.retrieval.local_store import LocalIndex
from core.errors import IndexMismatch, IndexNotFound

if TYPE_CHECKING:
    import numpy as np

    from assistant.retrieval.tokenizer import JapaneseTokenizer
    from core.model import Chunk


class LocalIndexTarget:
    """An index folder as the ingest pipeline's `IndexTarget` (ingest/target.py)."""

    def __init__(self, index_dir: Path | str, *, tokenizer: JapaneseTokenizer | None = None) -> None:
        self.index_dir = Path(index_dir)
        self._tokenizer = tokenizer

    @property
    def location(self) -> str:
        return str(self.index_dir)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """An advisory file lock: a second ingest into the same folder (any process) waits for the first."""
        import fcntl

        self.index_dir.mkdir(parents=True, exist_ok=True)
        with (self.index_dir / ".ingest.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def open_previous(self, *, rebuild: bool) -> LocalIndex | None:
        try:
            return LocalIndex.open(self.index_dir, alpha=0.0, pool=0)  # never searched: no settings needed
        except IndexNotFound:
            return None
        except IndexMismatch:
            if rebuild:  # an index of an older format: nothing to reuse, build anew
                return None
            raise

    def write_generation(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray,
        *,
        embedder_name: str,
        dim: int,
        files: dict[str, dict[str, Any]],
    ) -> str:
        generation = LocalIndex.write_generation(
            self.index_dir, chunks, vectors,
            embedder_name=embedder_name, dim=dim, files=files, tokenizer=self._tokenizer,
        )  # fmt: skip
        return generation.name
