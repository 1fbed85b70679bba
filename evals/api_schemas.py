"""Request and response models of the /evals routes (evals/api.py); every model forbids unknown fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EvalModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuiteOut(EvalModel):
    name: str = Field(description="Suite name, as given to POST /evals.")
    task: str = Field(description="Task run on every item: retrieval, ask, choice, reply, minutes.")
    description: str = Field(description="What the suite measures, in Japanese.")
    status: Literal["ready", "planned"] = Field(
        description="`planned`: its task is not built yet; it cannot run."
    )
    variants: list[str] = Field(description="Names of the configurations it runs.")
    limit: int | None = Field(None, description="Items run by default (None = all).")


class SuiteList(EvalModel):
    suites: list[SuiteOut]


class RunSummaryOut(EvalModel):
    run_id: str
    suite: str
    task: str
    status: Literal["running", "done", "failed"]
    user: str = Field(description="Who started the run (its documents were those this user may see).")
    n_items: int = Field(description="Items per variant.")
    summary: dict[str, dict[str, float | None]] = Field(description="Variant → metric → mean.")
    created: str = Field(description="Start time (ISO 8601, UTC).")
    finished: str | None = Field(None, description="End time, None while running or after a failure.")


class RunList(EvalModel):
    runs: list[RunSummaryOut] = Field(description="Newest first.")


class StartRunRequest(EvalModel):
    suite: str = Field(
        min_length=1, max_length=200, description="Name of a packaged suite (GET /evals/suites)."
    )
    backends: list[str] | None = Field(
        None,
        max_length=8,
        description="Backend addresses to compare, each a variant; None = the suite's variants.",
    )
    limit: int | None = Field(None, ge=1, le=100_000, description="Only the first N items.")


class StartRunResponse(EvalModel):
    run_id: str = Field(description="Poll GET /evals/{run_id} for progress and results.")
    status: Literal["queued", "running", "done", "failed"]


class ProgressOut(EvalModel):
    done: int = Field(description="(item, variant) pairs finished.")
    total: int = Field(description="(item, variant) pairs in the run; 0 while it has not started.")


class MetricOut(EvalModel):
    value: float | None = Field(description="Mean over the items scored.")
    ci_low: float | None = Field(None, description="Lower bound of the 95% bootstrap interval.")
    ci_high: float | None = Field(None, description="Upper bound of the 95% bootstrap interval.")
    n: int = Field(description="Items scored.")


class DatasetOut(EvalModel):
    name: str
    file: str = Field(description="File name of the dataset (not its path on the server).")
    sha256: str
    n_items: int
    bad_rows: list[dict[str, Any]] = Field(description="Rows left out, with the reason: {row, reason}.")


class ItemOut(EvalModel):
    id: str = Field(description="The dataset's item id.")
    variant: str
    question: str = Field(description="The item's question or main input, as text.")
    input: dict[str, Any]
    expected: dict[str, Any]
    text: str = Field(description="The output as plain text.")
    scores: dict[str, float | None]
    error: str | None = None
    latency_ms: int = 0
    backend: str = ""
    mode: str = ""
    citations: list[dict[str, Any]] = Field(default_factory=list)


class RunOut(EvalModel):
    run_id: str
    suite: str
    task: str
    status: Literal["queued", "running", "done", "failed"]
    error: str | None = Field(None, description="Why a run started here failed before writing its record.")
    progress: ProgressOut | None = Field(None, description="While it runs in this service.")
    user: str = ""
    created: str | None = None
    finished: str | None = None
    git_commit: str | None = None
    task_version: int | None = None
    dataset: DatasetOut | None = None
    variants: list[dict[str, Any]] = Field(
        default_factory=list, description="name, backend, settings, options."
    )
    scorers: list[str] = Field(default_factory=list)
    thresholds: dict[str, float] = Field(default_factory=dict)
    metrics: dict[str, dict[str, MetricOut]] = Field(
        default_factory=dict, description="Variant → metric → mean with its 95% interval."
    )
    threshold_failures: list[dict[str, Any]] = Field(default_factory=list)
    items: list[ItemOut] | None = Field(None, description="One page of items, with `?items=true`.")
    items_total: int | None = Field(None, description="Items (all variants) recorded so far.")


class ColumnOut(EvalModel):
    index: int = Field(description="1-based; [1] is the baseline.")
    run_index: int = Field(description="0-based position of its run in `runs`.")
    run_id: str
    variant: str
    label: str
    backend: str
    task: str
    n_items: int
    n_errors: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost_total: float
    input_tokens: int
    output_tokens: int


class PairedOut(EvalModel):
    delta: float = Field(description="Mean difference from the baseline over the items both scored.")
    ci_low: float
    ci_high: float
    p_value: float = Field(description="Paired bootstrap p-value.")
    n: int
    significant: bool = Field(description="p_value below alpha.")


class CellOut(EvalModel):
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    delta: float | None = None
    paired: PairedOut | None = None


class ChangedOut(EvalModel):
    column: int
    item_id: str
    question: str
    base_score: float
    score: float
    change: float
    base_text: str
    text: str


class MetricRowOut(EvalModel):
    metric: str
    cells: list[CellOut] = Field(description="One per column.")
    changed: list[ChangedOut] = Field(description="Items whose score changed most.")


class ComparisonOut(EvalModel):
    columns: list[ColumnOut]
    metrics: list[MetricRowOut]
    alpha: float
