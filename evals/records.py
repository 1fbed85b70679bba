"""Where evaluation runs are kept: files under `$YAKUBA_HOME/evals/<run_id>/` (`run.json`, `items.jsonl`) and a
row per run in the records database (`eval_runs`) so that runs can be listed by the API and the CLI.

`items.jsonl` is appended one line per finished (item, variant), flushed and fsynced, so a run killed at any
point keeps every finished item; a torn last line is ignored when the run is resumed.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import RecordNotFound

if TYPE_CHECKING:
    from assistant.config import Settings

RUN_FILE = "run.json"
ITEMS_FILE = "items.jsonl"


def runs_dir(settings: Settings) -> Path:
    return settings.home / "evals"


def run_path(settings: Settings, run_id: str) -> Path:
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise RecordNotFound(f"評価の実行「{run_id}」は見つかりません。")
    return runs_dir(settings) / run_id


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ItemLog:
    """The per-item JSONL of one run: appended by many worker threads, read back on resume."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:  # a line torn by a kill mid-write: that item runs again
                continue
        return rows

    def append(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, ensure_ascii=False, default=str) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())


def write_run(settings: Settings, record: dict[str, Any]) -> None:
    """Write `run.json` atomically and upsert the run's row in the records database."""
    folder = run_path(settings, record["run_id"])
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, folder / RUN_FILE)
    _upsert_row(settings, record, folder)


def _upsert_row(settings: Settings, record: dict[str, Any], folder: Path) -> None:
    from assistant.records import init_db, make_session_factory
    from assistant.records.models import EvalRun

    summary = {
        variant: {name: m.get("value") for name, m in metrics.items()}
        for variant, metrics in (record.get("metrics") or {}).items()
    }
    engine = init_db(settings.resolved_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            row = session.get(EvalRun, record["run_id"]) or EvalRun(run_id=record["run_id"])
            row.suite = record["suite"]
            row.task = record["task"]
            row.status = record["status"]
            row.user_name = record.get("user") or ""
            row.path = str(folder)
            row.n_items = int(record.get("dataset", {}).get("n_items") or 0)
            row.summary = summary
            row.created_at = datetime.fromisoformat(record["created"])
            row.finished_at = datetime.fromisoformat(record["finished"]) if record.get("finished") else None
            session.add(row)
    finally:
        engine.dispose()


def load_run(settings: Settings, run_id: str) -> dict[str, Any]:
    path = run_path(settings, run_id) / RUN_FILE
    if not path.is_file():
        raise RecordNotFound(f"評価の実行「{run_id}」は見つかりません。`yakuba eval runs` で一覧を確認してください。")
    return json.loads(path.read_text(encoding="utf-8"))


def load_items(settings: Settings, run_id: str) -> list[dict[str, Any]]:
    return ItemLog(run_path(settings, run_id) / ITEMS_FILE).read()


def list_runs(settings: Settings, limit: int = 100) -> list[dict[str, Any]]:
    """Runs newest first, from the records database."""
    from sqlalchemy import select

    from assistant.records import init_db, make_session_factory
    from assistant.records.models import EvalRun

    engine = init_db(settings.resolved_database_url)
    try:
        with make_session_factory(engine, lock=False)() as session:
            rows = session.scalars(select(EvalRun).order_by(EvalRun.created_at.desc()).limit(limit)).all()
            return [
                {
                    "run_id": r.run_id, "suite": r.suite, "task": r.task, "status": r.status, "user": r.user_name,
                    "n_items": r.n_items, "summary": r.summary, "created": r.created_at.isoformat(),
                    "finished": r.finished_at.isoformat() if r.finished_at else None,
                }
                for r in rows
            ]  # fmt: skip
    finally:
        engine.dispose()
