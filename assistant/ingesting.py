"""The one way the CLI and the API build an ingest run: options from settings, the index target, the embedder.

Both `yakuba ingest` and POST /documents go through `build_pipeline`, so both apply the same chunk settings,
the same limits on hostile files (time, memory, unpacked size, nesting, cells, pages, text: `load_limits`) and,
always, the classification policy: a file whose 機密性 the policy keeps away from the embedder's data
location (Bedrock embeddings) is refused before any of its text is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.labels import Labels
from ingest.limits import LoadLimits
from ingest.pipeline import IngestOptions, IngestPipeline
from ingest.sandbox import shared_pool

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.retrieval.base import Embedder

Progress = Callable[[Iterable, str, int], Iterable]


def existing_embedder(settings: Settings, index_dir: Path | str | None = None) -> str | None:
    """The embedder address the configured index (or the folder `index_dir`) was built with, as its manifest
    (or, on PostgreSQL, its meta row) says; None while nothing was ingested."""
    from assistant.retrieval.stores import built_with

    return built_with(settings, index_dir)


def embedder_for(settings: Settings, index_dir: Path | str | None = None, address: str | None = None) -> Embedder:
    """`address`, else the embedder the index was built with (new chunks must match it), else the configured one."""
    from assistant.backends.embedders import get_embedder

    return get_embedder(address or existing_embedder(settings, index_dir) or settings.embedder)


def load_limits(settings: Settings) -> LoadLimits:
    """The per-file limits of an ingest run, from settings."""
    return LoadLimits(
        seconds=settings.ingest_file_seconds,
        memory_mb=settings.ingest_file_memory_mb,
        unpacked_mb=settings.ingest_max_unpacked_mb,
        max_ratio=settings.ingest_max_ratio,
        max_depth=settings.ingest_max_depth,
        max_cells=settings.ingest_max_cells,
        max_pages=settings.ingest_max_pages,
        max_text_chars=settings.ingest_max_text_chars,
    )


def build_pipeline(
    settings: Settings,
    index_dir: Path | str | None,
    labels: Labels,
    *,
    embedder: Embedder | str | None = None,
    rebuild: bool = False,
    max_file_mb: float | None = None,
    progress: Progress | None = None,
) -> IngestPipeline:
    """An ingest run into the configured index (`index_dir` None: the PostgreSQL index when `index_url` is set,
    else the local folder) or into the local folder `index_dir`, under `settings.classification_policy`.

    `embedder` is an embedder object, an address, or None for the index's own (else `settings.embedder`);
    `max_file_mb` defaults to `settings.max_file_mb` (the API passes its upload limit)."""
    from assistant.retrieval.stores import index_target

    if embedder is None or isinstance(embedder, str):
        embedder = embedder_for(settings, index_dir, embedder)
    options = IngestOptions(
        labels=labels,
        max_file_mb=settings.max_file_mb if max_file_mb is None else max_file_mb,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        rebuild=rebuild,
        classification_policy=dict(settings.classification_policy),
        limits=load_limits(settings),
    )
    loader = shared_pool(settings.ingest_workers)  # worker processes kept and reused across runs
    return IngestPipeline(index_target(settings, index_dir), embedder, options, progress=progress, loader=loader)
