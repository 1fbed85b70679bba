"""`yakuba index compact`: merge the local index's segments now, outside an ingest."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail

app = typer.Typer(help="Index maintenance.", no_args_is_help=True)


@app.command("compact")
def compact(
    index: Path | None = IndexOption,
    thresholds: bool = typer.Option(
        False, "--thresholds", help="Merge only what passes the compaction thresholds (default: everything)."
    ),
) -> None:
    """Merge every segment of the local index into one without removed chunks (under the ingest lock, as one
    atomic generation; searches go on meanwhile). An ingest compacts by itself when a threshold is passed
    (YAKUBA_COMPACT_MAX_SEGMENTS, YAKUBA_COMPACT_DEAD_SHARE); this runs it at a quiet hour instead."""
    from assistant.config import get_settings
    from assistant.retrieval.local_target import LocalIndexTarget
    from core.errors import YakubaError

    settings = get_settings()
    if settings.index_url and index is None:
        typer.echo(
            "The index is in PostgreSQL (YAKUBA_INDEX_URL): the server maintains it (autovacuum); nothing to do."
        )
        return
    folder = index if index is not None else settings.resolved_index_dir
    try:
        generation = LocalIndexTarget(folder).compact(full=not thresholds)
    except YakubaError as exc:
        fail(exc.message)
    typer.echo(f"compacted into {generation}" if generation else "nothing to compact")
