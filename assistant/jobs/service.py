"""What the API and the CLI do with batch jobs: create one from an uploaded file, collect its rows as a reader may
see them, and write its outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.jobs.inputs import input_builder, read_batch
from assistant.jobs.outputs import OutputRow, table, to_csv, to_xlsx, to_zip
from assistant.jobs.visibility import WITHHELD, visible_result
from assistant.tasks import get_task

if TYPE_CHECKING:
    from assistant.jobs.store import JobStore
    from assistant.records.jobs import BatchJob
    from assistant.retrieval.base import Store
    from assistant.tasks.base import Principal

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


@dataclass
class Created:
    job: BatchJob
    bad_rows: list[dict[str, Any]]


def create_from_file(
    store: JobStore,
    task_name: str,
    data: bytes,
    file_name: str,
    principal: Principal,
    *,
    user_id: int | None = None,
    backend: str | None = None,
    options: dict[str, Any] | None = None,
) -> Created:
    """Read the file (bad rows listed, the others become items) and store a running job."""
    task = get_task(task_name)
    rows = read_batch(data, file_name, input_builder(task_name, task.input_model))
    job = store.create(
        task_name, rows.inputs, principal, user_id=user_id, backend=backend, options=options,
        source_name=file_name, bad_rows=rows.bad_rows,
    )  # fmt: skip
    return Created(job, rows.bad_rows)


def output_rows(
    store: JobStore, job_id: str, reader: Principal | None = None, index: Store | None = None
) -> list[OutputRow]:
    """Every item of the job in order; with a `reader`, results they may not see are withheld."""
    rows = []
    for item in store.iter_items(job_id):
        result, withheld = item.result, False
        if reader is not None:
            result, withheld = visible_result(item.result, reader, index)
        rows.append(
            OutputRow(item.row, item.state, item.input, result, item.error, WITHHELD if withheld else None)
        )
    return rows


def render(task_name: str, rows: list[OutputRow], fmt: str) -> bytes:
    if fmt == "zip":
        return to_zip(task_name, rows)
    columns, cells = table(task_name, rows)
    return to_xlsx(columns, cells) if fmt == "xlsx" else to_csv(columns, cells)


def write_outputs(store: JobStore, job: BatchJob, out_dir: Path, stem: str | None = None) -> dict[str, str]:
    """Write `<stem>.xlsx`, `.csv` and `.zip` into `out_dir`; returns their paths by format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or f"batch-{job.id[:8]}"
    rows = output_rows(store, job.id)
    paths = {}
    for fmt in ("xlsx", "csv", "zip"):
        path = out_dir / f"{stem}.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(render(job.task, rows, fmt))
        tmp.replace(path)
        paths[fmt] = str(path)
    return paths
