"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import typer

IndexOption = typer.Option(None, "--index", help="Index folder (default: $YAKUBA_INDEX_DIR or $YAKUBA_HOME/index).")


def index_dir(explicit: Path | None) -> Path:
    from assistant.config import get_settings

    return explicit or get_settings().resolved_index_dir


def fail(message: str, code: int = 2) -> None:
    """Print an error a user can act on and exit with `code`."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)
