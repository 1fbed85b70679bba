"""The values that flow through an evaluation run: items from a dataset, outcomes of running a task on them, and
the scores and run records made from those. Dataset loaders, scorers, the runner, comparisons and reports all
speak these types (and nothing else of each other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

RESULT_VERSION = 1  # version of the run record and the per-item JSONL layout


@dataclass
class Item:
    """One evaluation item: the task's input fields and what a good output looks like."""

    id: str  # the dataset's own id column (番号/id), else the row number
    input: dict[str, Any]  # fields of the task's input model (e.g. {"question": ...} for `ask`)
    expected: dict[str, Any] = field(default_factory=dict)
    # expected keys by task (all optional): answers (list[str]), reference (str), sources (list[str]: titles or
    # file names), answerable (bool, default True), choice (str letter), section (str), max_chars (int)
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. gold_source (str), exclude_sources (list[str])


@dataclass
class BadRow:
    row: int  # 1-based row number in the file (header = row 1 for tables)
    reason: str


@dataclass
class Dataset:
    name: str
    path: str
    sha256: str  # of the file's bytes (recorded in the run so results name their data)
    items: list[Item]
    bad_rows: list[BadRow] = field(default_factory=list)
    # Documents to index for this dataset (SQuAD paragraphs, lawqa excerpts); None = use an existing index.
    corpus: list[Any] | None = None  # list[core.model.Document]


@dataclass
class Outcome:
    """One item run under one variant (backend + settings)."""

    item_id: str
    variant: str
    output: dict[str, Any] | None  # the task output (model_dump) or None on error
    text: str  # the output as plain text (answer, draft body, minutes text)
    citations: list[dict[str, Any]]  # n, chunk_id, title, source, location, quote
    sources: list[dict[str, Any]]  # every chunk given to the task: chunk_id, title, source, text (rank order)
    error: str | None = None
    latency_ms: int = 0
    usage: dict[str, Any] = field(default_factory=dict)  # input_tokens, output_tokens, cost
    backend: str = ""
    mode: str = ""


class Scorer(Protocol):
    name: str

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        """Metric name → value for this item (None = not applicable, left out of the mean)."""
        ...
