"""A batch worker process for the kill -9 and several-workers tests:
`python -m tests.jobs.worker_proc DB_URL JOB_ID [--concurrency N] [--kill-on TEXT] [--kill-in-commit N]
[--barrier DIR --parties N]`.

Each completion also inserts a row into `test_completions` inside the transaction that marks the item done (as
a draft store would), so the test can count how many times each item was recorded. `--kill-on TEXT` kills this
process (SIGKILL) when it starts the item with that text; `--kill-in-commit N` kills it inside the transaction
of its N-th completion, before the commit.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.jobs.store import JobStore
from assistant.jobs.worker import Worker
from assistant.records import create_db_engine
from assistant.router import Router
from assistant.tasks.runner import Runner
from tests.jobs import tasks

COMPLETIONS = "CREATE TABLE IF NOT EXISTS test_completions (item_id INTEGER NOT NULL, pid INTEGER NOT NULL)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("job_id")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--kill-on", default=None)
    parser.add_argument("--kill-in-commit", type=int, default=0)
    parser.add_argument("--barrier", default=None, help="Folder: start once --parties processes are ready.")
    parser.add_argument("--parties", type=int, default=1)
    args = parser.parse_args()
    if args.kill_on:
        tasks.KILL_ON_TEXT.add(args.kill_on)
    home = Path(tempfile.mkdtemp(prefix="yakuba-worker-"))
    settings = Settings(home=home, database_url=args.db_url, batch_lease_seconds=60)
    runner = Runner(settings, Router(settings, JsonlAuditSink(home / "audit.jsonl")))
    done = [0]

    def on_done(session, job, item_id, result) -> None:  # noqa: ANN001
        session.execute(
            text("INSERT INTO test_completions VALUES (:i, :p)"), {"i": item_id, "p": os.getpid()}
        )
        done[0] += 1
        if done[0] == args.kill_in_commit:
            os.kill(os.getpid(), signal.SIGKILL)

    store = JobStore(create_db_engine(args.db_url))
    if args.barrier:  # start together with the other workers (imports take a while)
        barrier = Path(args.barrier)
        (barrier / str(os.getpid())).touch()
        while len(list(barrier.iterdir())) < args.parties:
            time.sleep(0.01)
    Worker(runner, store, concurrency=args.concurrency, retry_delay=0.0, on_done=on_done).run(args.job_id)


if __name__ == "__main__":
    main()
