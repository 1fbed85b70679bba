"""`yakuba search`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail


def search(
    query: str = typer.Argument(..., help="What to look for, in Japanese or English."),
    index: Path | None = IndexOption,
    k: int = typer.Option(5, "-k", min=1, max=100, help="How many results."),
    doc_type: str | None = typer.Option(None, "--type", help="Only 'policy' or 'inquiry' documents."),
    date_from: str | None = typer.Option(None, "--from", help="Only chunks dated on/after this date (ISO or 和暦)."),
    date_to: str | None = typer.Option(None, "--to", help="Only chunks dated on/before this date (ISO or 和暦)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Search the index (hybrid BM25 + dense): the local folder, or the PostgreSQL index of YAKUBA_INDEX_URL."""
    from assistant.config import get_settings
    from assistant.retrieval.base import Filters
    from assistant.retrieval.stores import open_index
    from core.errors import YakubaError
    from core.wareki import parse_date

    def _date(text: str | None) -> str | None:
        if text is None:
            return None
        iso = parse_date(text)
        if iso is None:
            fail(f"cannot read the date '{text}'; use e.g. 2024-05-10 or 令和6年5月10日")
        return iso

    if doc_type not in (None, "policy", "inquiry"):
        fail("--type must be 'policy' or 'inquiry'")
    filters = Filters(doc_type=doc_type, date_from=_date(date_from), date_to=_date(date_to))
    try:
        settings = get_settings()
        store = open_index(settings, index, policy=settings.classification_policy)  # no --index: the configured one
        hits = store.search(query, k=k, filters=filters)
    except YakubaError as exc:
        fail(exc.message)
    rows = [
        {
            "chunk_id": h.chunk.chunk_id,
            "title": h.chunk.title,
            "source": h.chunk.source,
            "location": h.chunk.location,
            "doc_type": h.chunk.doc_type,
            "classification": h.chunk.classification,
            "text": h.chunk.text,
            "score": round(float(h.score), 4),
        }
        for h in hits
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no results")
    for i, row in enumerate(rows, 1):
        snippet = " ".join(row["text"].split())[:160]
        typer.secho(f"{i}. {row['title']}  [{row['location'] or row['source']}]  score={row['score']:.3f}", bold=True)
        typer.echo(f"   {row['source']}")
        typer.echo(f"   {snippet}")
