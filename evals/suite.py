"""Suites: a named evaluation (task, dataset, variants, scorers, thresholds) kept as a TOML file.

`evals/suites/<name>.toml` ships with the package; any other path to a TOML file works too. Dataset paths in
a suite are relative to the project root (the folder holding pyproject.toml), so
`../shared/datasets/jsquad/valid-v1.3.json` names the shared datasets next to the repository.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import YakubaError

SUITES_DIR = Path(__file__).resolve().parent / "suites"


class Variant(BaseModel):
    """One configuration a suite runs: a backend and Settings overrides."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Short name shown in reports (e.g. alpha-0.6).")
    backend: str = Field("offline/extractive", description="Backend address, provider/model.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Settings overrides for this variant (fusion_alpha, embedder …)."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Task input overrides for every item (e.g. k for `ask`)."
    )
    description: str = Field("", description="What this variant tries, in Japanese.")


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Suite name (the file's stem for packaged suites).")
    description: str = Field(description="What the suite measures, in Japanese (shown by `yakuba eval list`).")
    task: str = Field(description="Task run on every item: retrieval, ask, choice, reply, minutes.")
    dataset: dict[str, Any] = Field(description="Dataset spec for evals.datasets.load_dataset (kind, path …).")
    variants: list[Variant] = Field(
        default_factory=lambda: [Variant(name="default")], min_length=1,
        description="Configurations to run and compare.",
    )
    scorers: list[str] = Field(min_length=1, description="Scorer names.")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="Metric → minimum mean; a run below any of them fails."
    )
    limit: int | None = Field(None, ge=1, description="Only the first N items.")
    index: Literal["dataset", "configured", "sample"] | None = Field(
        None,
        description="Where retrieval searches: the dataset's corpus built into a temporary index (`dataset`, the "
        "default when the dataset has a corpus), the configured index (`configured`), or the project's "
        "sample corpus built into a temporary index (`sample`).",
    )
    status: Literal["ready", "planned"] = Field(
        "ready", description="`planned`: the suite loads but its task is not built yet, so it cannot run."
    )
    path: Path | None = Field(None, exclude=True, description="The TOML file the suite was read from.")

    @property
    def runnable(self) -> bool:
        return self.status == "ready"

    def load_dataset(self, base: Path | None = None):
        """The suite's Dataset, paths relative to `base` (default: the project root)."""
        from assistant.config import PROJECT_ROOT
        from evals.datasets import load_dataset

        return load_dataset(self.dataset, Path(base) if base is not None else PROJECT_ROOT)

    def index_mode(self, has_corpus: bool) -> str:
        """The effective index: the explicit setting, else `dataset` when there is a corpus."""
        return self.index or ("dataset" if has_corpus else "configured")


def load_suite(name_or_path: str | Path) -> Suite:
    """A packaged suite by name (`jsquad-answer`) or a TOML file by path."""
    path = Path(name_or_path)
    if not (path.suffix == ".toml" or path.is_file()):
        path = SUITES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = "、".join(list_suites()) or "なし"
        raise YakubaError(f"評価スイート「{name_or_path}」が見つかりません（登録済みのスイート: {known}）。")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise YakubaError(f"評価スイート {path.name} を読み込めません（{exc}）。") from exc
    data.setdefault("name", path.stem)
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        problems = "；".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise YakubaError(f"評価スイート {path.name} の内容に誤りがあります（{problems}）。") from exc
    names = [v.name for v in suite.variants]
    if len(set(names)) != len(names):
        raise YakubaError(f"評価スイート {path.name}: variants の name が重複しています（{'、'.join(names)}）。")
    suite.path = path
    return suite


def list_suites() -> list[str]:
    """Names of the packaged suites."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


# Scorers used when an evaluator's own dataset file is run without a suite.
DEFAULT_SCORERS = {
    "ask": ["containment", "char_f1", "citation_validity", "citation_coverage", "refusal", "latency", "cost"],
    "choice": ["exact_choice", "latency"],
    "reply": ["rouge", "section_match", "latency"],
}


def suite_for(name_or_path: str, *, task: str | None = None) -> Suite:
    """A suite by name or TOML path; a dataset file (CSV, XLSX, JSONL) becomes an ad-hoc suite for `task`
    (default ask) over the configured index, with the task's default scorers."""
    path = Path(name_or_path)
    if path.suffix.lower() in {".csv", ".tsv", ".xlsx", ".jsonl"}:
        task = task or "ask"
        if task not in DEFAULT_SCORERS:
            raise YakubaError(f"業務「{task}」の評価用データからの実行には対応していません。評価スイートを指定してください。")
        return Suite(
            name=path.stem, description=f"評価データ {path.name}", task=task,
            dataset={"kind": "table", "task": task, "path": str(path.resolve())},
            scorers=DEFAULT_SCORERS[task], index="configured",
        )  # fmt: skip
    suite = load_suite(name_or_path)
    if not suite.runnable:
        raise YakubaError(f"評価スイート「{suite.name}」はまだ実行できません（対象の業務が未実装です）。")
    return suite
