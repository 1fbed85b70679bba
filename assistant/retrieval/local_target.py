"""A local index folder as the ingest pipeline's `IndexTarget` (ingest/target.py).

The caller (`assistant.ingesting.build_pipeline`, tests, benchmarks) builds one and passes it to
`IngestPipeline`, so `ingest` never imports the store. A run writes only its change: the chunks of the
files it (re)loaded become one new segment, the old rows of those files and of removed files become
tombstones, and segments are merged when a threshold is passed (local_writer.py): inside the run when the merge
is small (`compact_inline_rows`), else by a background thread after it, so adding a file never waits for a
rewrite of the bulk of the index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.retrieval.local_store import LocalIndex
from assistant.retrieval.local_writer import (
    WriteSettings,
    compact,
    compaction_due,
    migrate_v1,
    write_change,
    write_full,
)
from core.errors import IndexMismatch, IndexNotFound

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from assistant.retrieval.tokenizer import JapaneseTokenizer
    from core.model import Chunk


class LocalIndexTarget:
    """An index folder as the ingest pipeline's `IndexTarget` (ingest/target.py)."""

    def __init__(
        self,
        index_dir: Path | str,
        *,
        tokenizer: JapaneseTokenizer | None = None,
        settings: WriteSettings | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self._tokenizer = tokenizer
        self._settings = settings
        self._rebuild = False
        self._previous: LocalIndex | None = None  # the generation `open_previous` read, reused by the write

    @property
    def location(self) -> str:
        return str(self.index_dir)

    @property
    def settings(self) -> WriteSettings:
        if self._settings is None:
            self._settings = WriteSettings.from_settings()
        return self._settings

    @contextmanager
    def lock(self) -> Iterator[None]:
        """An advisory file lock: a second ingest into the same folder (any process) waits for the first."""
        import fcntl

        self.index_dir.mkdir(parents=True, exist_ok=True)
        with (self.index_dir / ".ingest.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def open_previous(self, *, rebuild: bool) -> LocalPrevious | None:
        self._rebuild = rebuild
        self._previous = None
        if not rebuild:
            migrate_v1(self.index_dir)  # an index from before segments: rewritten once, its vectors kept
        try:
            self._previous = LocalIndex.open(self.index_dir, alpha=0.0, pool=0, ef_search=0)
            return LocalPrevious(self._previous)
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
        """Replace the chunks of every source in `chunks` by these, remove the sources missing from `files`
        (the complete per-source record); other sources keep theirs. After `open_previous(rebuild=True)`, or
        with no readable index of this embedder, `chunks` are the whole index and are written as such."""
        if self._rebuild or not self._appendable(embedder_name, dim):
            gen = write_full(
                self.index_dir, chunks, vectors, embedder_name=embedder_name, dim=dim, files=files,
                tokenizer=self._tokenizer, ann_min_chunks=self.settings.ann_min_chunks,
            )  # fmt: skip
        else:
            gen = write_change(
                self.index_dir, chunks, vectors, embedder_name=embedder_name, files=files,
                tokenizer=self._tokenizer, settings=self.settings, previous=self._previous,
            )  # fmt: skip
            if compaction_due(self.index_dir, self.settings):
                compact_in_background(self.index_dir, self.settings)
        return gen.name

    def compact(self, *, full: bool = True) -> str | None:
        """Merge the segments now (under the ingest lock); the new generation's name, or None if nothing to do."""
        with self.lock():
            gen = compact(self.index_dir, self.settings, full=full)
        return gen.name if gen else None

    def _appendable(self, embedder_name: str, dim: int) -> bool:
        from assistant.backends.embedders import canonical_embedder

        try:
            previous = self._previous or LocalIndex.open(self.index_dir, alpha=0.0, pool=0, ef_search=0)
        except (IndexNotFound, IndexMismatch):
            return False
        manifest = previous.manifest
        built = manifest["embedder"]
        return canonical_embedder(built["name"]) == canonical_embedder(embedder_name) and int(built["dim"]) == dim


class LocalPrevious:
    """The live local generation, as the pipeline's `PreviousGeneration`: nothing is read whole."""

    def __init__(self, index: LocalIndex) -> None:
        self.index = index

    @property
    def manifest(self) -> dict[str, Any]:
        return self.index.manifest

    @property
    def embedder_name(self) -> str:
        return self.index.embedder_name

    @property
    def generation(self) -> str | None:
        return self.index.generation

    @property
    def chunk_count(self) -> int:
        return len(self.index)

    def stored(self, sources: set[str]) -> tuple[list[Chunk], np.ndarray]:
        """The live chunks of these sources and their vectors (row i ↔ chunk i)."""
        chunks: list[Chunk] = []
        parts = []
        for seg, dead in self.index.segments:
            rows = seg.source_rows(sources)
            if dead is not None:
                rows = rows[~dead[rows]]
            chunks.extend(seg.chunk(int(r)) for r in rows)
            parts.append(np.asarray(seg.vectors[rows]))
        dim = int(self.manifest["embedder"]["dim"])
        return chunks, np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)


# Compactions too large to run inside an ingest (WriteSettings.inline_rows): one thread per index folder, which
# waits for the ingest lock (flock: the running ingest holds it until its run ends), so the change is searchable
# before, and a second ingest meanwhile simply waits. A killed compaction leaves the previous generation live.
_BACKGROUND: dict[Path, threading.Thread] = {}
_BACKGROUND_LOCK = threading.Lock()


def compact_in_background(index_dir: Path, settings: WriteSettings) -> threading.Thread:
    """Start (or return the running) background compaction of `index_dir`."""
    key = Path(index_dir).resolve()
    with _BACKGROUND_LOCK:
        running = _BACKGROUND.get(key)
        if running is not None and running.is_alive():
            return running
        thread = threading.Thread(
            target=_compact_quietly, args=(key, settings), name=f"compact:{key.name}", daemon=True
        )
        _BACKGROUND[key] = thread
        thread.start()
        return thread


def background_compactions() -> list[threading.Thread]:
    """The background compactions still running in this process (the CLI waits for them before exiting)."""
    with _BACKGROUND_LOCK:
        return [t for t in _BACKGROUND.values() if t.is_alive()]


def _compact_quietly(index_dir: Path, settings: WriteSettings) -> None:
    started = time.perf_counter()
    try:
        generation = LocalIndexTarget(index_dir, settings=settings).compact(full=False)
    except Exception:  # logged, never raised into a thread nobody joins; the index stays as it was
        log.exception("background compaction of %s failed; the index is unchanged", index_dir)
        return
    log.info("background compaction of %s: %s in %.1f s", index_dir, generation, time.perf_counter() - started)
