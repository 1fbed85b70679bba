"""`yakuba ingest`."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail, index_dir


def _progress(iterable, desc: str, total: int):
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="file" if desc == "loading" else "batch", leave=False)


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to ingest."),
    index: Path | None = IndexOption,
    classification: int = typer.Option(1, "--classification", "-c", help="機密性 level 1-3 for this run (a folder sidecar may raise it)."),
    groups: str = typer.Option("", "--groups", "-g", help="Comma-separated access groups; empty = everyone."),
    embedder: str | None = typer.Option(None, "--embedder", help="Embedder address for a new index (default: settings)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-embed everything (e.g. after changing the embedder)."),
    report: Path | None = typer.Option(None, "--report", help="Where to write the JSON summary."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Ingest documents and inquiry records into the index (incremental)."""
    from assistant.config import get_settings
    from assistant.retrieval.embedders import get_embedder
    from core.errors import YakubaError
    from ingest.labels import Labels, check_level, parse_groups
    from ingest.pipeline import IngestOptions, IngestPipeline

    settings = get_settings()
    target = index_dir(index)
    try:
        labels = Labels(check_level(classification), parse_groups(groups))
        name = embedder or _existing_embedder(target) or settings.embedder
        options = IngestOptions(labels=labels, max_file_mb=settings.max_file_mb, chunk_size=settings.chunk_size,
                                chunk_overlap=settings.chunk_overlap, rebuild=rebuild,
                                classification_policy=settings.classification_policy)
        pipeline = IngestPipeline(target, get_embedder(name), options, progress=None if quiet else _progress)
        summary = pipeline.run(paths)
    except YakubaError as exc:
        fail(exc.message)
    typer.echo(summary.render())
    out = report or settings.home / "reports" / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    summary.write_json(out)
    typer.echo(f"summary written to {out}")
    raise typer.Exit(summary.exit_code)


def _existing_embedder(target: Path) -> str | None:
    """Keep using the embedder an existing index was built with."""
    import json

    from assistant.retrieval.generations import MANIFEST, current_generation

    generation = current_generation(target)
    if generation is None or not (generation / MANIFEST).is_file():
        return None
    return json.loads((generation / MANIFEST).read_text(encoding="utf-8"))["embedder"]["name"]
