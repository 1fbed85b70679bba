"""The API's batch workers: one thread per running job of this process, started when a job is created or resumed,
and for every unfinished job when the API starts (a job whose API was killed continues where it stopped).

Other processes (`yakuba jobs work`, a second API) may work on the same jobs at the same time: items are claimed
with leases, so nothing is done twice. On shutdown the running items are given back as pending.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from assistant.jobs.store import JobStore, OnDone
from assistant.jobs.worker import Worker

if TYPE_CHECKING:
    from assistant.tasks.runner import Runner

log = logging.getLogger(__name__)


class BatchService:
    def __init__(
        self,
        runner: Runner,
        store: JobStore,
        *,
        concurrency: int | None = None,
        on_done: OnDone | None = None,
    ):
        self.runner = runner
        self.store = store
        self.concurrency = concurrency
        self.on_done = on_done  # runs inside each item's completing transaction (e.g. to store a reply draft)
        self._workers: dict[str, Worker] = {}
        self._again: set[str] = set()
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, job_id: str) -> None:
        """Work on `job_id` in a background thread (again, if a thread is already finishing it)."""
        with self._lock:
            if self._closed:
                return
            if job_id in self._threads:
                self._again.add(job_id)
                return
            thread = threading.Thread(
                target=self._work, args=(job_id,), daemon=True, name=f"yakuba-batch-{job_id[:8]}"
            )
            self._threads[job_id] = thread
        thread.start()

    def resume_unfinished(self) -> list[str]:
        """Start every job left running (by this API before a restart, or by a worker that stopped)."""
        jobs = self.store.unfinished_jobs()
        for job_id in jobs:
            self.start(job_id)
        return jobs

    def cancel(self, job_id: str) -> bool:
        """Cancel in the database (every worker sees it) and stop this process's worker at once."""
        cancelled = self.store.cancel(job_id)
        with self._lock:
            worker = self._workers.get(job_id)
        if worker is not None:
            worker.cancel.set()
        return cancelled

    def running(self) -> list[str]:
        with self._lock:
            return list(self._threads)

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker of this process; their running items become pending for the next start."""
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
            threads = list(self._threads.values())
        for worker in workers:
            worker.stop()
        for thread in threads:
            thread.join(timeout)

    def _work(self, job_id: str) -> None:
        while True:
            worker = Worker(self.runner, self.store, concurrency=self.concurrency, on_done=self.on_done)
            with self._lock:
                self._workers[job_id] = worker
                self._again.discard(job_id)
                closed = self._closed
            try:
                if not closed:
                    worker.run(job_id)
            except Exception:  # the job stays running in the database; the next start resumes it
                log.exception("batch worker of job %s stopped", job_id)
                closed = True
            with self._lock:  # decide and deregister at once, so a `start` in between is never lost
                if job_id in self._again and not (closed or self._closed):
                    continue
                self._workers.pop(job_id, None)
                self._threads.pop(job_id, None)
                self._again.discard(job_id)
                return
