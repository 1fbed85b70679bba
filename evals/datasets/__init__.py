"""Dataset loaders: public formats (SQuAD-style, lawqa_jp, PoliInfo QA and summarization) and evaluators' own
tables, each returning an `evals.types.Dataset`. `load_dataset` reads a suite's `[dataset]` spec.

Spec keys: `kind` (squad | lawqa | table | poliinfo3 | poliinfo1), `path` (relative to `base`), optional `name`,
and per kind: squad `unanswerable` (bool); table `task` (ask | reply | minutes, default ask);
poliinfo3 `since` / `until` (years, inclusive) and `past_until` (records up to that year indexed as past
inquiries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import YakubaError
from evals.types import Dataset

KINDS = ("squad", "lawqa", "table", "poliinfo3", "poliinfo1")
_OPTIONS: dict[str, set[str]] = {
    "squad": {"unanswerable"},
    "lawqa": set(),
    "table": {"task"},
    "poliinfo3": {"since", "until", "past_until"},
    "poliinfo1": set(),
}


class DatasetMissing(YakubaError):
    """A dataset file that is not there (e.g. ../shared/datasets in a fresh clone)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(
            f"評価データのファイルがありません: {self.path}。"
            "ファイルを配置するか、スイートの dataset.path を正しい場所に直してください。"
        )


def load_dataset(spec: dict[str, Any], base: Path) -> Dataset:
    """The dataset a suite names. Relative paths resolve against `base` (the project root for suites)."""
    from evals.datasets.files import require_file

    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in KINDS:
        raise YakubaError(f"データセットの種類（kind）「{kind}」は使えません（使える種類: {'、'.join(KINDS)}）。")
    raw_path = spec.pop("path", None)
    if not raw_path:
        raise YakubaError(f"データセット（{kind}）のファイル（path）が指定されていません。")
    name = spec.pop("name", None)
    unknown = set(spec) - _OPTIONS[kind]
    if unknown:
        allowed = "、".join(sorted(_OPTIONS[kind])) or "なし"
        raise YakubaError(f"データセット（{kind}）に使えない設定があります: {'、'.join(sorted(unknown))}（使える設定: {allowed}）。")
    path = Path(raw_path).expanduser()
    if not path.is_absolute():
        path = Path(base) / path
    require_file(path)
    if kind == "squad":
        from evals.datasets.squad import load_squad_dataset

        return load_squad_dataset(path, unanswerable=bool(spec.get("unanswerable", False)), name=name)
    if kind == "lawqa":
        from evals.datasets.lawqa import load_lawqa

        return load_lawqa(path, name=name)
    if kind == "table":
        from evals.datasets.table import load_table

        return load_table(path, spec.get("task", "ask"), name=name)
    if kind == "poliinfo3":
        from evals.datasets.poliinfo import load_poliinfo3

        return load_poliinfo3(path, since=spec.get("since"), until=spec.get("until"), past_until=spec.get("past_until"),
                          name=name)
    from evals.datasets.poliinfo import load_poliinfo1

    return load_poliinfo1(path, name=name)


__all__ = ["KINDS", "DatasetMissing", "load_dataset"]
