"""Side-by-side comparison of evaluation runs: every (run, variant) is a column; for each metric a column has its
mean with a 95% bootstrap interval, its difference from the first column, a paired bootstrap over the items both
columns scored (matched by item id: difference, 95% interval, p-value) and the items whose score changed most.

A run is its `run.json` record with the rows of `items.jsonl` under the key "items" (evals.records.load_run plus
load_items, or `load_run_dir` for a run folder copied from elsewhere). Intervals and the paired test are those of
evals.stats (percentile bootstrap, DEFAULT_RESAMPLES resamples, fixed seed).
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evals.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_ci, paired_bootstrap

N_RESAMPLES = DEFAULT_RESAMPLES  # shown in reports

# ---------------------------------------------------------------------------------------------- result types


@dataclass
class Column:
    """One (run, variant) pair."""

    index: int  # 1-based, as shown in tables ([1] is the baseline)
    run_index: int  # 0-based position of its run in the list given to compare_runs
    run_id: str
    variant: str
    label: str  # "run_id/variant"
    backend: str
    task: str
    n_items: int
    n_errors: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost_total: float
    input_tokens: int
    output_tokens: int


@dataclass
class PairedDelta:
    delta: float  # mean of (this column - first column) over the paired items
    ci_low: float
    ci_high: float
    p_value: float
    n: int  # items scored in both columns
    significant: bool  # p_value < alpha


@dataclass
class Cell:
    value: float | None  # mean score (None when no item has this metric)
    ci_low: float | None
    ci_high: float | None
    n: int
    delta: float | None = None  # value - first column's value (None for the first column)
    paired: PairedDelta | None = None


@dataclass
class ChangedItem:
    column: int  # index of the compared column (against column 1)
    item_id: str
    question: str
    base_score: float
    score: float
    change: float  # score - base_score
    base_text: str
    text: str


@dataclass
class MetricRow:
    metric: str
    cells: list[Cell]  # one per column
    changed: list[ChangedItem] = field(default_factory=list)  # top N per compared column, largest first


@dataclass
class Comparison:
    columns: list[Column]
    metrics: list[MetricRow]
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- loading


def load_run_dir(run_dir: str | Path) -> dict[str, Any]:
    """`run.json` of any run folder with the rows of its `items.jsonl` under "items" (runs under YAKUBA_HOME:
    evals.records)."""
    run_dir = Path(run_dir)
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    items_path = run_dir / "items.jsonl"
    items = []
    if items_path.exists():
        for line in items_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    run["items"] = items
    return run


def question_of(item: dict[str, Any]) -> str:
    """The item's question (or its first text input field) for display."""
    inputs = item.get("input") or {}
    for key in ("question", "query", "inquiry", "text", "transcript"):
        if isinstance(inputs.get(key), str):
            return inputs[key]
    for value in inputs.values():
        if isinstance(value, str):
            return value
    return json.dumps(inputs, ensure_ascii=False) if inputs else ""


def variant_names(run: dict[str, Any]) -> list[str]:
    """Variants of a run: those declared in run.json, then any others met in its items, in order."""
    names = [v["name"] for v in run.get("variants", []) if "name" in v]
    for item in run.get("items", []):
        if item.get("variant") not in names and item.get("variant") is not None:
            names.append(item["variant"])
    return names


def items_by_id(run: dict[str, Any], variant: str) -> dict[str, dict[str, Any]]:
    """Item rows of one variant keyed by item id (a later row for the same id replaces an earlier one)."""
    return {str(item["id"]): item for item in run.get("items", []) if item.get("variant") == variant}


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def _column(index: int, run_index: int, run: dict[str, Any], variant: str, items: dict[str, dict[str, Any]]) -> Column:
    declared = next((v for v in run.get("variants", []) if v.get("name") == variant), {})
    backends = [item.get("backend") for item in items.values() if item.get("backend")]
    latencies = [float(item["latency_ms"]) for item in items.values() if item.get("latency_ms") is not None]
    usages = [item.get("usage") or {} for item in items.values()]
    run_id = str(run.get("run_id", f"run{index}"))
    return Column(
        index=index,
        run_index=run_index,
        run_id=run_id,
        variant=variant,
        label=f"{run_id}/{variant}",
        backend=declared.get("backend") or (max(set(backends), key=backends.count) if backends else ""),
        task=str(run.get("task", "")),
        n_items=len(items),
        n_errors=sum(1 for item in items.values() if item.get("error")),
        latency_p50_ms=_percentile(latencies, 50),
        latency_p95_ms=_percentile(latencies, 95),
        cost_total=float(sum(u.get("cost") or 0 for u in usages)),
        input_tokens=int(sum(u.get("input_tokens") or 0 for u in usages)),
        output_tokens=int(sum(u.get("output_tokens") or 0 for u in usages)),
    )


def _scores(items: dict[str, dict[str, Any]], metric: str) -> dict[str, float]:
    out = {}
    for item_id, item in items.items():
        value = (item.get("scores") or {}).get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out[item_id] = float(value)
        elif isinstance(value, bool):
            out[item_id] = float(value)
    return out


# ---------------------------------------------------------------------------------------------- comparison


def compare_runs(
    runs: list[dict[str, Any]],
    *,
    metrics: list[str] | None = None,
    alpha: float = 0.05,
    top_changed: int = 5,
    seed: int = DEFAULT_SEED,
) -> Comparison:
    """Compare every (run, variant) of `runs` against the first one.

    Means and intervals are recomputed from the item scores, so every column is computed the same way whatever
    the run recorded. `metrics` limits and orders the metrics (default: all met, in order of appearance).
    """
    if not runs:
        raise ValueError("compare_runs needs at least one run")
    sources: list[tuple[dict[str, Any], str, dict[str, dict[str, Any]]]] = []
    run_of: list[int] = []
    for run_index, run in enumerate(runs):
        for variant in variant_names(run):
            sources.append((run, variant, items_by_id(run, variant)))
            run_of.append(run_index)
    columns = [_column(i + 1, run_of[i], run, variant, items) for i, (run, variant, items) in enumerate(sources)]
    if metrics is None:
        metrics = []
        for _run, _variant, items in sources:
            for item in items.values():
                for name in item.get("scores") or {}:
                    if name not in metrics:
                        metrics.append(name)

    rows = []
    for metric in metrics:
        per_column = [_scores(items, metric) for _run, _variant, items in sources]
        base_scores = per_column[0] if per_column else {}
        cells = []
        for scores in per_column:
            if scores:
                ci = bootstrap_ci(list(scores.values()), seed=seed)
                cells.append(Cell(value=ci.mean, ci_low=ci.low, ci_high=ci.high, n=ci.n))
            else:
                cells.append(Cell(value=None, ci_low=None, ci_high=None, n=0))
        row = MetricRow(metric=metric, cells=cells)
        base_cell = cells[0] if cells else None
        for col_index in range(1, len(cells)):
            cell, scores = cells[col_index], per_column[col_index]
            if cell.value is not None and base_cell is not None and base_cell.value is not None:
                cell.delta = cell.value - base_cell.value
            shared = [item_id for item_id in base_scores if item_id in scores]
            if shared:
                pr = paired_bootstrap(base_scores, scores, seed=seed)
                cell.paired = PairedDelta(pr.delta, pr.low, pr.high, pr.p_value, pr.n, bool(pr.p_value < alpha))
            changed = _changed_items(col_index, shared, base_scores, scores, sources)
            changed.sort(key=lambda c: (-abs(c.change), c.item_id))
            row.changed.extend(changed[:top_changed])
        row.changed.sort(key=lambda c: (-abs(c.change), c.column, c.item_id))
        rows.append(row)
    return Comparison(columns=columns, metrics=rows, alpha=alpha)


def _changed_items(col_index, shared, base_scores, scores, sources) -> list[ChangedItem]:
    base_items, items = sources[0][2], sources[col_index][2]
    changed = []
    for item_id in shared:
        change = scores[item_id] - base_scores[item_id]
        if change != 0:
            changed.append(
                ChangedItem(
                    column=col_index + 1,
                    item_id=item_id,
                    question=question_of(items[item_id]) or question_of(base_items[item_id]),
                    base_score=base_scores[item_id],
                    score=scores[item_id],
                    change=change,
                    base_text=str(base_items[item_id].get("text") or base_items[item_id].get("error") or ""),
                    text=str(items[item_id].get("text") or items[item_id].get("error") or ""),
                )
            )
    return changed


# ---------------------------------------------------------------------------------------------- terminal


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (East Asian wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _p(p_value: float) -> str:
    return "p<0.001" if p_value < 0.001 else f"p={p_value:.3f}"


def render_compare_text(comparison: Comparison, *, changed_per_metric: int = 3, text_width: int = 60) -> str:
    """The comparison as a fixed-width table for the terminal."""
    cols = comparison.columns
    lines = ["列（[1] が基準）:"]
    for c in cols:
        latency = "—" if c.latency_p50_ms is None else f"{c.latency_p50_ms:.0f}/{c.latency_p95_ms:.0f} ms"
        lines.append(
            f"  [{c.index}] {c.label}  {c.backend}  件数 {c.n_items}  エラー {c.n_errors}  "
            f"応答時間 p50/p95 {latency}  費用 {c.cost_total:.4f}"
        )
    lines.append("")
    header = ["指標", *[f"[{c.index}] 平均 [95%信頼区間]" for c in cols]]
    header += [f"[{c.index}]-[1] 対応差 [95%信頼区間] p値" for c in cols[1:]]
    table = [header]
    for row in comparison.metrics:
        line = [row.metric]
        for cell in row.cells:
            line.append(
                "—" if cell.value is None
                else f"{_fmt(cell.value)} [{_fmt(cell.ci_low)}, {_fmt(cell.ci_high)}] n={cell.n}"
            )
        for cell in row.cells[1:]:
            pd = cell.paired
            line.append(
                "—" if pd is None
                else f"{_fmt(pd.delta, True)} [{_fmt(pd.ci_low, True)}, {_fmt(pd.ci_high, True)}] "
                f"{_p(pd.p_value)}{' *' if pd.significant else '  '} n={pd.n}"
            )
        table.append(line)
    widths = [max(display_width(r[i]) for r in table) for i in range(len(header))]
    for n, r in enumerate(table):
        lines.append("  ".join(_pad(text, widths[i], right=i > 0 and n > 0) for i, text in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"* 対応のあるブートストラップ検定で p < {comparison.alpha:g}")
    for row in comparison.metrics:
        if not row.changed:
            continue
        lines += ["", f"変化の大きい項目（{row.metric}）:"]
        for ch in row.changed[:changed_per_metric]:
            lines.append(
                f"  {ch.item_id}  [1]→[{ch.column}] {_fmt(ch.base_score)} → {_fmt(ch.score)} "
                f"({_fmt(ch.change, True)})  {_clip(ch.question, text_width)}"
            )
            lines.append(f"      [1] {_clip(ch.base_text, text_width)}")
            lines.append(f"      [{ch.column}] {_clip(ch.text, text_width)}")
    return "\n".join(lines) + "\n"
