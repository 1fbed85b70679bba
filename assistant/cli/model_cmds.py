"""`yakuba models`: every backend, its resolved model ID, where its data goes and whether it is usable;
with `--embedders`, the embedder addresses."""

from __future__ import annotations

import json

import typer


def models(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    no_check: bool = typer.Option(False, "--no-check", help="Do not probe endpoints and credentials."),
    timeout: float = typer.Option(2.0, "--timeout", help="Seconds allowed for each reachability probe."),
    embedders: bool = typer.Option(False, "--embedders", help="List embedder addresses instead (for YAKUBA_EMBEDDER)."),
) -> None:
    """List model backends (configured, reachable, data location, prices)."""
    from assistant.backends.catalog import describe_backends
    from assistant.config import get_settings

    if embedders:
        from assistant.backends.embedders import available_embedders

        names = available_embedders()
        typer.echo(json.dumps(names, ensure_ascii=False, indent=2) if as_json else "\n".join(names))
        return

    rows = describe_backends(get_settings(), check=not no_check, timeout=timeout)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        if not row.get("configured") or row.get("reachable") is False:
            state = "unavailable"
        else:
            state = "ok" if row.get("reachable") else "not checked"
        typer.echo(f"{row['address']:<28} {row.get('model_id') or '-':<50} {row.get('data_location', ''):<13} {state}")
        if row.get("note"):
            typer.echo(f"{'':<28} {row['note']}")
