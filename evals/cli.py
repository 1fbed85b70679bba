"""`yakuba eval …`: benchmark suites for evaluators (registered as a `yakuba.commands` entry point)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.cli.options import fail

app = typer.Typer(help="Evaluation suites.", no_args_is_help=True)


@app.command("retrieval")
def retrieval(
    squad: Path = typer.Option(..., "--squad", exists=True, dir_okay=False, help="SQuAD-format JSON (JSQuAD, JaQuAD)."),
    k: int = typer.Option(10, "-k", min=1, help="Cut-off for the metrics."),
    embedder: str | None = typer.Option(None, "--embedder", help="Embedder address (default: settings)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N questions."),
    no_baselines: bool = typer.Option(False, "--no-baselines", help="Skip the baselines."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Recall@1/5/10, MRR@10, nDCG@10, build time and latency of the hybrid index, with baselines."""
    from assistant.config import get_settings
    from core.errors import YakubaError
    from evals.retrieval import evaluate_squad

    settings = get_settings()
    try:
        result = evaluate_squad(squad, embedder or settings.embedder, k=k, limit=limit,
                                chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap,
                                baselines=not no_baselines)
    except YakubaError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    keys = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "index_seconds", "query_p50_ms", "query_p95_ms"]
    rows = {"hybrid": result, **result.get("baselines", {})}
    typer.echo(f"{result['n_queries']} queries over {result['n_paragraphs']} paragraphs, embedder {result['embedder']}")
    typer.echo(f"{'method':<16}" + "".join(f"{key:>14}" for key in keys))
    for name, row in rows.items():
        typer.echo(f"{name:<16}" + "".join(f"{row.get(key, 0):>14}" for key in keys))
