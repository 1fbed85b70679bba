"""`yakuba jobs`: batch workers and job status from the command line.

`yakuba jobs work [JOB_ID]` runs items of one job, or of every unfinished job (`--follow`: keep watching for new
ones), in this process, beside the API's own workers or other `jobs work` processes: items are claimed with a
lease, so any number of workers may share a job. Jobs run under their owner's current access rights.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail, index_dir

jobs_app = typer.Typer(help="Batch jobs (一括作成): workers and status.", no_args_is_help=True)


@jobs_app.command("work")
def work(
    job_id: str | None = typer.Argument(None, help="Job to work on (default: every unfinished job)."),
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        "-c",
        min=1,
        max=256,
        help="Items run at once (default: YAKUBA_BATCH_CONCURRENCY).",
    ),
    follow: bool = typer.Option(False, "--follow", help="Keep running and pick up new jobs as they come."),
    index: Path | None = IndexOption,
) -> None:
    """Run the items of batch jobs (several workers may share a job)."""
    from assistant.cli.runner import cli_runner
    from assistant.config import get_settings
    from assistant.jobs.store import JobStore
    from assistant.jobs.worker import Worker
    from assistant.records import init_db

    store = JobStore(init_db(get_settings().resolved_database_url))
    runner = cli_runner(index_dir(index))
    if job_id is not None and store.get(job_id) is None:
        fail(f"一括作成ジョブ「{job_id}」は見つかりません。")
    try:
        while True:
            for job in [job_id] if job_id else store.unfinished_jobs():
                progress = Worker(runner, store, concurrency=concurrency).run(job)
                if progress is not None:
                    typer.echo(json.dumps(progress.as_dict(), ensure_ascii=False))
            if not follow:
                return
            time.sleep(2.0)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@jobs_app.command("status")
def status(job_id: str = typer.Argument(..., help="Job ID.")) -> None:
    """Counts of a job's items by state, as JSON."""
    from assistant.config import get_settings
    from assistant.jobs.store import JobStore
    from assistant.records import init_db

    progress = JobStore(init_db(get_settings().resolved_database_url)).progress(job_id)
    if progress is None:
        fail(f"一括作成ジョブ「{job_id}」は見つかりません。")
    typer.echo(json.dumps(progress.as_dict(), ensure_ascii=False))
