"""`yakuba reply batch FILE --out DIR`: reply drafts for every inquiry of a CSV/XLSX/JSONL file, as a resumable
batch job (per-item state in the records database), with a progress bar; writes XLSX, CSV and a zip with one
DOCX per reply. A run stopped at any point (Ctrl-C, kill -9) continues with `--resume JOB_ID`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from assistant.cli.options import IndexOption, fail, index_dir

if TYPE_CHECKING:
    from assistant.jobs.store import JobStore, Progress
    from assistant.records.jobs import BatchJob
    from assistant.tasks.runner import Runner


def batch(
    file: Path | None = typer.Argument(
        None,
        help="CSV (UTF-8 or Shift_JIS), XLSX or JSONL with one inquiry per row (not needed with --resume).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the XLSX, CSV and zip outputs."),
    backend: str | None = typer.Option(
        None, "--backend", "-b", help="provider/model, e.g. bedrock/claude-haiku-4-5 (see `yakuba models`)."
    ),
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        "-c",
        min=1,
        max=256,
        help="Items run at once (default: YAKUBA_BATCH_CONCURRENCY).",
    ),
    resume: str | None = typer.Option(
        None, "--resume", help="Continue the job with this ID (from an earlier run)."
    ),
    auto: bool = typer.Option(
        False, "--auto", help="Allow re-routing when policy refuses the chosen backend."
    ),
    index: Path | None = IndexOption,
    task: str = typer.Option("reply", "--task", hidden=True, help="Task run for each row (default: reply)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object: job_id, counts and output paths."
    ),
) -> None:
    """Draft replies for every inquiry of a file as a resumable batch job."""
    from assistant.config import get_settings
    from assistant.jobs.service import create_from_file, write_outputs
    from assistant.jobs.store import JobStore
    from assistant.records import init_db
    from assistant.tasks.base import Principal
    from core.errors import YakubaError

    settings = get_settings()
    try:
        store = JobStore(init_db(settings.resolved_database_url))
        if resume:
            job = store.get(resume)
            if job is None:
                fail(f"一括作成ジョブ「{resume}」は見つかりません。")
            store.resume(job.id)
            bad_rows = job.bad_rows
        elif file is None:
            fail("照会の一覧ファイルを指定してください（再開する場合は --resume JOB_ID）。")
        else:
            if not file.is_file():
                fail(f"ファイル「{file}」が見つかりません。")
            options = {"allow_auto": auto}
            created = create_from_file(store, task, file.read_bytes(), file.name, Principal(), backend=backend,
                                       options=options)  # fmt: skip
            job, bad_rows = created.job, created.bad_rows
        for bad in bad_rows if not resume else []:
            typer.secho(f"{bad['row']}行目: {bad['reason']}", err=True, fg=typer.colors.YELLOW)
        if not as_json:
            typer.echo(f"job_id: {job.id}（{job.n_items}件）", err=True)
        from assistant.cli.runner import cli_runner

        progress = _run(cli_runner(index_dir(index)), store, job, concurrency, show_bar=not as_json)
        outputs = write_outputs(store, store.get(job.id), out)
    except YakubaError as exc:
        fail(exc.message)
    summary = {
        "job_id": job.id, "n_items": job.n_items, "done": progress.done, "failed": progress.failed,
        "cancelled": progress.cancelled, "state": progress.state, "bad_rows": bad_rows, "outputs": outputs,
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(f"完了 {progress.done}件、失敗 {progress.failed}件（全{job.n_items}件）")
        for fmt, path in outputs.items():
            typer.echo(f"{fmt}: {path}")
        if progress.failed:
            typer.echo(f"失敗した行を再実行するには: yakuba reply batch --resume {job.id} --out {out}")
    if progress.failed or progress.unfinished:
        raise typer.Exit(1)


def _run(
    runner: Runner, store: JobStore, job: BatchJob, concurrency: int | None, *, show_bar: bool
) -> Progress:
    from tqdm import tqdm

    from assistant.jobs.worker import Worker

    start = store.progress(job.id)
    bar = tqdm(total=job.n_items, initial=start.n_items - start.unfinished, unit="件", file=sys.stderr,
               disable=not show_bar, dynamic_ncols=True)  # fmt: skip

    def on_progress(progress: Progress) -> None:
        bar.n = progress.n_items - progress.unfinished
        bar.set_postfix(failed=progress.failed, refresh=False)
        bar.refresh()

    worker = Worker(runner, store, concurrency=concurrency, on_progress=on_progress)
    try:
        return worker.run(job.id)
    except KeyboardInterrupt:
        worker.stop()
        bar.close()
        typer.secho(
            f"\n中断しました。続きから再開するには: yakuba reply batch --resume {job.id} --out …", err=True
        )
        raise typer.Exit(130) from None
    finally:
        bar.close()
