"""`yakuba eval …`: benchmark suites for evaluators (registered as a `yakuba.commands` entry point)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.cli.options import fail

app = typer.Typer(help="Evaluation suites.", no_args_is_help=True)


@app.command("retrieval")
def retrieval(
    squad: Path = typer.Option(
        ..., "--squad", exists=True, dir_okay=False, help="SQuAD-format JSON (JSQuAD, JaQuAD)."
    ),
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
        result = evaluate_squad(
            squad,
            embedder or settings.embedder,
            k=k,
            limit=limit,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            baselines=not no_baselines,
        )
    except YakubaError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    keys = [
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr@10",
        "ndcg@10",
        "index_seconds",
        "query_p50_ms",
        "query_p95_ms",
    ]
    rows = {"hybrid": result, **result.get("baselines", {})}
    typer.echo(
        f"{result['n_queries']} queries over {result['n_paragraphs']} paragraphs, embedder {result['embedder']}"
    )
    typer.echo(f"{'method':<16}" + "".join(f"{key:>14}" for key in keys))
    for name, row in rows.items():
        typer.echo(f"{name:<16}" + "".join(f"{row.get(key, 0):>14}" for key in keys))


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """The evaluation suites under evals/suites (name, task, dataset, whether it can run now)."""
    from evals.suite import list_suites, load_suite

    rows = [
        {"name": s.name, "task": s.task, "status": s.status, "description": s.description,
         "dataset": s.dataset.get("path", ""), "variants": [v.name for v in s.variants]}
        for s in map(load_suite, list_suites())
    ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "" if row["status"] == "ready" else f" [{row['status']}]"
        typer.echo(f"{row['name']:<20} {row['task']:<10} {row['description']}{state}")


@app.command("run")
def run_cmd(
    suite: str = typer.Argument(
        ..., help="Suite name (see `yakuba eval list`), suite file, or a dataset file."
    ),
    task: str | None = typer.Option(None, "--task", help="Task for a dataset file (default: ask)."),
    backend: list[str] = typer.Option([], "--backend", "-b", help="Backend address to compare (repeatable)."),
    index: Path | None = typer.Option(
        None, "--index", help="Index folder for suites over the configured index."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N items."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip the first N items (e.g. a held-out slice)."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Items run at once."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds allowed per item."),
    resume: str | None = typer.Option(None, "--resume", help="Finish the run RUN_ID (done items are kept)."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Run every item, even those finished by earlier runs."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run a suite through the real tasks and router; prints metrics with 95 % intervals."""
    from assistant.config import get_settings
    from core.errors import YakubaError
    from evals.runner import run_suite
    from evals.suite import suite_for

    settings = get_settings()
    try:
        chosen = suite_for(suite, task=task)
        record = run_suite(
            chosen, settings, backends=backend or None, index_dir=index, limit=limit, offset=offset, concurrency=concurrency,
            item_timeout=timeout, resume=resume, progress=not as_json, use_cache=not no_cache,
        )  # fmt: skip
    except YakubaError as exc:
        fail(exc.message)
    if as_json:
        out = {
            "run_id": record["run_id"], "suite": record["suite"], "task": record["task"],
            "n_items": record["dataset"]["n_items"], "bad_rows": record["dataset"]["bad_rows"],
            "metrics": record["metrics"], "threshold_failures": record["threshold_failures"],
            "items": record["items"],
        }  # fmt: skip
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print_record(record)
    if record["threshold_failures"]:
        raise typer.Exit(1)


def _print_record(record: dict) -> None:
    typer.echo(f"run {record['run_id']}  suite {record['suite']}  task {record['task']}  "
               f"items {record['dataset']['n_items']}")  # fmt: skip
    for bad in record["dataset"]["bad_rows"]:
        typer.secho(f"  row {bad['row']}: {bad['reason']}", fg=typer.colors.YELLOW)
    for variant, metrics in record["metrics"].items():
        typer.echo(f"\n[{variant}]")
        for name, m in metrics.items():
            interval = f"  [{m['ci_low']:.3f}, {m['ci_high']:.3f}]" if m.get("ci_low") is not None else ""
            typer.echo(f"  {name:<22}{m['value']:>10.3f}{interval}  n={m['n']}")
    for failure in record["threshold_failures"]:
        typer.secho(f"below threshold: {failure}", fg=typer.colors.RED)
    typer.echo(f"\nitems: {record['items']}")


@app.command("runs")
def runs_cmd(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """Earlier runs, newest first."""
    from assistant.config import get_settings
    from evals.records import list_runs

    rows = list_runs(get_settings())
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['run_id']:<48} {row['status']:<8} {row['n_items']:>6}  {row['created']}")


def _load(run_ids: list[str]) -> list[dict]:
    from assistant.config import get_settings
    from evals.records import load_items, load_run

    settings = get_settings()
    return [{**load_run(settings, r), "items": load_items(settings, r)} for r in run_ids]


@app.command("compare")
def compare_cmd(
    runs: list[str] = typer.Argument(..., help="Two or more run ids (the first is the baseline)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Side by side: metrics with intervals, deltas, paired bootstrap significance, items that changed most."""
    from core.errors import YakubaError
    from evals.compare import compare_runs, render_compare_text

    try:
        comparison = compare_runs(_load(runs))
    except YakubaError as exc:
        fail(exc.message)
    typer.echo(json.dumps(comparison, ensure_ascii=False, indent=2, default=str) if as_json
               else render_compare_text(comparison))  # fmt: skip


@app.command("report")
def report_cmd(
    runs: list[str] = typer.Argument(..., help="One or more run ids."),
    html: Path = typer.Option(..., "--html", help="Where to write the self-contained HTML report."),
) -> None:
    """One HTML file (no external resources) with plots and per-item drill-down."""
    from core.errors import YakubaError
    from evals.report import write_report

    try:
        write_report(_load(runs), html)
    except YakubaError as exc:
        fail(exc.message)
    typer.echo(f"report written to {html}")
