"""The evaluation runner: a suite's dataset × variants through Yakuba's own task runner and router (policy,
masking and audit apply as in the API), scored, with confidence intervals, into a versioned run record.

- Concurrency: items run on a thread pool (`concurrency`); each item has its own timeout; an item that fails is
  recorded with its error and the others go on.
- Resumable and cached: every (item, variant) has a key (task name and version, item id and input, variant
  backend and settings, dataset hash). Finished items are appended to the run's `items.jsonl` as they finish, so
  `resume` runs only what is missing; the same key finished in an earlier run is taken from the cache (a copy
  under `$YAKUBA_HOME/evals/cache/`) instead of being run again.
- Fixed seeds: nothing random is drawn except in the bootstrap, which is seeded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.records import ITEMS_FILE, ItemLog, load_run, now_iso, run_path, runs_dir, write_run
from evals.types import RESULT_VERSION, Item, Outcome

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.retrieval.base import Store
    from assistant.tasks.base import Principal, Task
    from evals.suite import Suite, Variant
    from evals.types import Dataset

log = logging.getLogger(__name__)

SCORES_VERSION = 1


class RetrievalOnly:
    """The `retrieval` suites: each item is a search under the evaluator's filters (no model, no task output)."""

    name = "retrieval"
    version = 1


def run_suite(
    suite: Suite,
    settings: Settings,
    *,
    backends: list[str] | None = None,
    index_dir: Path | None = None,
    limit: int | None = None,
    offset: int = 0,
    concurrency: int = 4,
    item_timeout: float = 120.0,
    resume: str | None = None,
    principal: Principal | None = None,
    progress: bool = True,
    use_cache: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Run `suite` (or resume the run `resume`) and return its run record (also written to disk and listed).

    `run_id` names a new run (default: time, suite and a random suffix), for a caller that must know it before
    the run finishes (the API answers a POST with it at once)."""
    from assistant.config import PROJECT_ROOT
    from assistant.tasks import get_task
    from assistant.tasks.base import Principal
    from evals.datasets import load_dataset

    principal = principal or Principal(name="evaluator")
    dataset = load_dataset(suite.dataset, PROJECT_ROOT)
    limit = limit or suite.limit
    if resume:
        offset = load_run(settings, resume)["dataset"].get("offset", 0)
    items = dataset.items[offset:][:limit] if limit else dataset.items[offset:]
    variants = _variants(suite, backends)
    task = RetrievalOnly() if suite.task == "retrieval" else get_task(suite.task)
    if resume:
        record = load_run(settings, resume)
        if record["suite"] != suite.name:
            from core.errors import YakubaError

            raise YakubaError(
                f"実行「{resume}」は評価セット「{record['suite']}」のものです（指定: {suite.name}）。"
            )
        record["status"] = "running"
    else:
        record = _new_record(suite, task, dataset, variants, principal, len(items), run_id)
        record["dataset"]["offset"] = offset
    write_run(settings, record)
    folder = run_path(settings, record["run_id"])
    item_log = ItemLog(folder / ITEMS_FILE)
    done = {row["key"] for row in item_log.read()}
    try:
        for variant in variants:
            _run_variant(
                suite, task, dataset, items, variant, settings, item_log, done,
                index_dir=index_dir, concurrency=concurrency, item_timeout=item_timeout, principal=principal,
                progress=progress, use_cache=use_cache, on_progress=on_progress,
            )  # fmt: skip
    except BaseException:
        record["status"] = "failed"
        write_run(settings, record)
        raise
    rows = item_log.read()
    record["metrics"] = summarise(rows, [v.name for v in variants])
    record["threshold_failures"] = threshold_failures(record["metrics"], suite.thresholds)
    record["status"] = "done"
    record["finished"] = now_iso()
    record["items"] = str(folder / ITEMS_FILE)
    write_run(settings, record)
    return record


def _variants(suite: Suite, backends: list[str] | None) -> list[Variant]:
    from evals.suite import Variant

    if not backends:
        return list(suite.variants)
    base = suite.variants[0].settings if suite.variants else {}
    options = suite.variants[0].options if suite.variants else {}
    return [
        Variant(name=address, backend=address, settings=dict(base), options=dict(options))
        for address in backends
    ]


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _new_record(
    suite: Suite,
    task: Task,
    dataset: Dataset,
    variants: list[Variant],
    principal: Principal,
    n: int,
    run_id: str | None = None,
) -> dict[str, Any]:
    created = now_iso()
    run_id = run_id or new_run_id(suite.name, created)
    return {
        "version": RESULT_VERSION,
        "run_id": run_id,
        "suite": suite.name,
        "task": suite.task,
        "task_version": task.version,
        "scores_version": SCORES_VERSION,
        "created": created,
        "finished": None,
        "status": "running",
        "user": principal.name or "",
        # the rights the items were run with: who may read the run's texts (see evals/api.py) and the cache key
        "access": {"groups": principal.groups, "clearance": principal.clearance},
        "git_commit": _git_commit(),
        "dataset": {
            "name": dataset.name,
            "path": dataset.path,
            "sha256": dataset.sha256,
            "n_items": n,
            "bad_rows": [asdict(b) for b in dataset.bad_rows],
        },
        "variants": [
            {"name": v.name, "backend": v.backend, "settings": dict(v.settings), "options": dict(v.options)}
            for v in variants
        ],
        "scorers": list(suite.scorers),
        "thresholds": dict(suite.thresholds or {}),
        "metrics": {},
        "threshold_failures": [],
    }


def new_run_id(suite_name: str, created: str | None = None) -> str:
    """A fresh run id: creation time (UTC), suite name and a random suffix."""
    created = created or now_iso()
    return f"{created[:19].replace(':', '').replace('-', '')}-{suite_name}-{secrets.token_hex(3)}"


def item_key(task: Task, item: Item, variant: Variant, dataset_sha: str, principal: Principal) -> str:
    """Same key = same work: the task and scorers' versions, the item, the variant, the data, and the rights of
    whoever runs it (a result seen with wider rights is never reused for narrower ones)."""
    raw = json.dumps(
        [task.name, task.version, SCORES_VERSION, dataset_sha, item.id, item.input, item.meta.get("exclude_sources"),
         variant.backend, variant.settings, variant.options, principal.groups, principal.clearance],
        ensure_ascii=False, sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _run_variant(
    suite: Suite,
    task: Task,
    dataset: Dataset,
    items: list[Item],
    variant: Variant,
    settings: Settings,
    item_log: ItemLog,
    done: set[str],
    *,
    index_dir: Path | None,
    concurrency: int,
    item_timeout: float,
    principal: Principal,
    progress: bool,
    use_cache: bool,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    from evals.scorers import get_scorers

    todo = [(item, item_key(task, item, variant, dataset.sha256, principal)) for item in items]
    todo = [(item, key) for item, key in todo if key not in done]
    if not todo:
        return
    scorers = get_scorers(suite.scorers)
    cache = runs_dir(settings) / "cache"
    variant_settings, input_fields = _split_settings(settings, {**variant.settings, **variant.options})
    runner, store = _task_runner(suite, dataset, variant_settings, index_dir)

    def one(item: Item, key: str) -> dict[str, Any]:
        cached = cache / f"{key}.json"
        if use_cache and cached.is_file():
            row = json.loads(cached.read_text(encoding="utf-8"))
        else:
            outcome = _run_item(task, runner, store, item, variant, input_fields, principal, item_timeout)
            scores: dict[str, float | None] = {}
            for scorer in scorers:
                scores.update(scorer.score(item, outcome))
            row = {"key": key, "id": item.id, "input": item.input, "expected": item.expected,
                   **_outcome_fields(outcome), "scores": scores}  # fmt: skip
            if outcome.error is None:
                cache.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(row, ensure_ascii=False, default=str), encoding="utf-8")
        row["variant"] = variant.name
        item_log.append(row)
        return row

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=variant.name, unit="item", leave=False)
    finished = 0
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="yakuba-eval") as pool:
        futures = [pool.submit(one, item, key) for item, key in todo]
        for future in as_completed(futures):
            future.result()
            finished += 1
            if bar is not None:
                bar.update()
            if on_progress is not None:
                on_progress(finished, len(todo))
    if bar is not None:
        bar.close()


def _split_settings(settings: Settings, overrides: dict[str, Any]) -> tuple[Settings, dict[str, Any]]:
    """A variant's settings: fields of `Settings` change the settings; the rest (e.g. `k`) go to the input."""
    known = {k: v for k, v in overrides.items() if k in type(settings).model_fields}
    rest = {k: v for k, v in overrides.items() if k not in known}
    return settings.model_copy(update=known), rest


def _task_runner(suite: Suite, dataset: Dataset, settings: Settings, index_dir: Path | None):
    from assistant.records import DbAuditSink, init_db
    from assistant.router import Router
    from assistant.tasks.runner import Runner

    store = _store(suite, dataset, settings, index_dir)
    router = Router(settings, audit=DbAuditSink(init_db(settings.resolved_database_url)))
    return Runner(settings, router, (lambda: store) if store is not None else None), store


def _store(suite: Suite, dataset: Dataset, settings: Settings, index_dir: Path | None) -> Store | None:
    """The index the items are asked against: the dataset's own corpus, the sample corpus, or a configured index."""
    from assistant.retrieval.local_store import LocalIndex
    from evals.index import build_document_index

    where = suite.index_mode(dataset.corpus is not None)
    if where == "none":
        return None
    if where == "dataset" and dataset.corpus is not None:
        index, _ = build_document_index(
            dataset.corpus, settings.embedder, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap,
            cache_dir=settings.home / "evals" / "cache" / "vectors", alpha=settings.fusion_alpha,
            pool=settings.candidate_pool,
        )  # fmt: skip
        return index
    if where == "sample":
        folder = _sample_index(settings)
        return LocalIndex.open(folder, alpha=settings.fusion_alpha, pool=settings.candidate_pool)
    from assistant.retrieval.stores import open_index

    # no --index: the configured index (the PostgreSQL one when YAKUBA_INDEX_URL is set)
    return open_index(settings, index_dir, alpha=settings.fusion_alpha, pool=settings.candidate_pool)


def _sample_index(settings: Settings) -> Path:
    """The project's sample corpus, written and ingested under `$YAKUBA_HOME/evals/sample/` (incremental)."""
    from assistant.ingesting import build_pipeline
    from ingest.labels import Labels
    from ingest.sample.corpus import write_sample_corpus

    root = settings.home / "evals" / "sample"
    corpus = root / "corpus"
    if not corpus.exists():
        write_sample_corpus(corpus)
    index = root / "index"
    summary = build_pipeline(settings, index, Labels()).run([corpus])
    if summary.exit_code == 2:
        from core.errors import YakubaError

        raise YakubaError(f"見本資料の索引を作成できませんでした: {summary.render()}")
    return index


def _run_item(
    task: Task,
    runner: Any,
    store: Store | None,
    item: Item,
    variant: Variant,
    input_fields: dict[str, Any],
    principal: Principal,
    timeout: float,
) -> Outcome:
    from assistant.tasks.base import Sources, TaskContext

    started = time.monotonic()
    sources = Sources()
    scope = {"exclude_sources": item.meta["exclude_sources"]} if item.meta.get("exclude_sources") else {}
    if isinstance(task, RetrievalOnly):
        hits = store.search(
            item.input["question"], k=int(input_fields.get("k", 10)), filters=principal.filters(**scope)
        )
        sources = Sources([h.chunk for h in hits])
        return Outcome(item.id, variant.name, None, "", [], _sources(sources), latency_ms=_ms(started))
    try:
        inp = task.input_model(**{**item.input, **_fields_for(task, input_fields)})
        sources = task.gather(inp, TaskContext(runner.settings, principal, runner.store, scope))
        output = runner.run(task, inp, principal, backend=variant.backend, timeout=timeout, sources=sources)
    except Exception as exc:  # one failing item never stops the run
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        log.warning("item %s failed: %s", item.id, message)
        return Outcome(item.id, variant.name, None, "", [], _sources(sources), error=message,
                       latency_ms=_ms(started), backend=variant.backend or "")  # fmt: skip
    data = output.model_dump(mode="json")
    return Outcome(
        item_id=item.id,
        variant=variant.name,
        output=data,
        text=output_text(data),
        citations=data.get("citations") or [],
        sources=_sources(sources),
        latency_ms=_ms(started),
        usage=data.get("usage") or {},
        backend=data.get("backend", ""),
        mode=data.get("mode", ""),
    )


def _fields_for(task: Task, fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k in task.input_model.model_fields}


def output_text(data: dict[str, Any]) -> str:
    """The output as plain text, whatever the task: an answer, a draft, minutes, a choice."""
    for name in ("answer", "text", "body"):
        if isinstance(data.get(name), str):
            return data[name]
    if data.get("choice") is not None:
        return f"{data['choice']}: {data.get('reason') or ''}"
    return ""


def _sources(sources: Any) -> list[dict[str, Any]]:
    return [
        {"chunk_id": c.chunk_id, "title": c.title, "source": c.source, "text": c.text,
         "classification": c.classification}
        for c in getattr(sources, "chunks", [])
    ]  # fmt: skip


def _outcome_fields(outcome: Outcome) -> dict[str, Any]:
    data = asdict(outcome)
    data.pop("item_id")
    data.pop("variant")
    return data


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def summarise(rows: list[dict[str, Any]], variants: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Metric means with bootstrap 95 % intervals per variant (None scores are left out), plus error counts."""
    from evals.stats import bootstrap_ci

    metrics: dict[str, dict[str, dict[str, Any]]] = {}
    for variant in variants:
        mine = [r for r in rows if r["variant"] == variant]
        values: dict[str, list[float]] = {}
        for row in mine:
            for name, value in (row.get("scores") or {}).items():
                if value is not None:
                    values.setdefault(name, []).append(float(value))
        out = {}
        for name, series in sorted(values.items()):
            ci = bootstrap_ci(series)
            out[name] = {"value": ci.mean, "ci_low": ci.low, "ci_high": ci.high, "n": ci.n}
        errors = sum(1 for r in mine if r.get("error"))
        out["errors"] = {"value": float(errors), "ci_low": None, "ci_high": None, "n": len(mine)}
        metrics[variant] = out
    return metrics


def threshold_failures(metrics: dict[str, dict[str, dict[str, Any]]], thresholds: dict[str, float] | None):
    failures = []
    for variant, values in metrics.items():
        for name, minimum in (thresholds or {}).items():
            value = values.get(name, {}).get("value")
            if value is None or value < minimum:
                failures.append({"variant": variant, "metric": name, "value": value, "threshold": minimum})
    return failures
