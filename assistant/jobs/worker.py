"""A batch worker: claims items of one job, runs them through the task runner with a concurrency limit, and records
each result (or failure) against its lease. Several workers, in threads or processes, may work on one job.

Per-item errors are isolated: an item whose task raised is retried (after a short delay) until it has used
`max_attempts` claims, unless the error cannot pass by itself (policy refusal, denied access, invalid input), and
is then marked failed; the other items go on. A heartbeat renews the leases of the running items, gives back
items of stopped workers, and notices a cancelled job (its running items stop at their next check).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.jobs.batch_phase import bedrock_batch_phase
from assistant.jobs.store import ClaimedItem, JobStore, OnDone, Progress, owner_id
from assistant.tasks import get_task
from assistant.tasks.base import Principal
from core.errors import (
    AccessDenied,
    Cancelled,
    InvalidRecord,
    PolicyRefused,
    TaskTimeout,
    UnknownBackendError,
    YakubaError,
)

if TYPE_CHECKING:
    from assistant.records.jobs import BatchJob
    from assistant.tasks.runner import Runner

log = logging.getLogger(__name__)

# Errors that a second attempt cannot cure.
PERMANENT = (AccessDenied, PolicyRefused, InvalidRecord, UnknownBackendError, ValidationError)
INTERNAL_ERROR = "処理中に予期しないエラーが発生しました。"
OWNER_GONE = "一括作成を登録した利用者が無効になっているため、処理できません。"
POLL_SECONDS = 0.5
MAX_PREFETCH = 32
REPORT_SECONDS = 0.2  # progress callbacks at most this often


def error_message(exc: BaseException) -> str:
    if isinstance(exc, YakubaError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "入力内容に誤りがあります: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3]
        )
    return f"{INTERNAL_ERROR}（{type(exc).__name__}）"


class Worker:
    """Runs the items of a job. `run()` returns when the job has nothing left that this worker can do."""

    def __init__(
        self,
        runner: Runner,
        store: JobStore,
        *,
        concurrency: int | None = None,
        lease_seconds: float | None = None,
        max_attempts: int | None = None,
        retry_delay: float = 2.0,
        principal_of: Callable[[BatchJob], Principal | None] | None = None,
        on_done: OnDone | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ):
        settings = runner.settings
        self.runner = runner
        self.store = store
        self.concurrency = max(1, concurrency or settings.batch_concurrency)
        # Items claimed ahead of the running ones (one claim transaction serves several items); they are leased
        # like running ones, so a killed worker's queue is released with the rest.
        self.prefetch = min(max(self.concurrency, 4), MAX_PREFETCH)
        self.lease_seconds = lease_seconds or settings.batch_lease_seconds
        self.max_attempts = max(1, max_attempts or settings.batch_max_attempts)
        self.retry_delay = retry_delay
        self.principal_of = principal_of or self._owner_principal
        self.on_done = on_done
        self.on_progress = on_progress
        self.owner = owner_id(uuid.uuid4().hex[:12])
        self.cancel = threading.Event()  # set when the job is cancelled (or the worker is stopped)
        self.stopping = threading.Event()
        self._reported = 0.0
        self.stats = {"claimed": 0, "done": 0, "failed": 0, "retried": 0, "lost": 0}

    def stop(self) -> None:
        """Stop soon: running items are given back as pending for another worker."""
        self.stopping.set()
        self.cancel.set()

    def run(self, job_id: str, *, wait_for_others: bool = True) -> Progress | None:
        """Work on `job_id` until it is finished (or, with `wait_for_others=False`, until nothing is left to
        claim). Returns the job's progress at the end."""
        job = self.store.get(job_id)
        if job is None or job.state != "running":
            return self.store.progress(job_id)
        principal = self.principal_of(job)
        if principal is None:
            self._fail_all(job_id, OWNER_GONE)
            return self.store.progress(job_id)
        task = get_task(job.task)
        self.store.release_stale(job_id, self.max_attempts)
        beat = threading.Thread(target=self._heartbeat, args=(job_id,), daemon=True, name="yakuba-job-beat")
        beat.start()
        try:
            bedrock_batch_phase(self, job, task, principal)
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="yakuba-job") as pool:
                self._loop(job, task, principal, pool, wait_for_others)
        except BaseException:  # Ctrl-C or a bug: queued and running items go back to pending, not run on
            self.stop()
            raise
        finally:
            self.stopping.set()
            beat.join()
        self.store.finish_if_complete(job_id)
        progress = self.store.progress(job_id)
        if progress is not None and self.on_progress is not None:
            self.on_progress(progress)
        return progress

    def _loop(
        self, job: BatchJob, task: Any, principal: Principal, pool: ThreadPoolExecutor, wait_for_others: bool
    ) -> None:
        job_id = job.id
        in_flight: dict[Future[None], ClaimedItem] = {}
        try:  # stop first, so the pool's exit does not run the queued items on
            while not self.stopping.is_set():
                if not self.cancel.is_set() and len(in_flight) <= self.concurrency:
                    wanted = self.concurrency + self.prefetch - len(in_flight)
                    for item in self.store.claim(job_id, self.owner, wanted, self.lease_seconds):
                        self.stats["claimed"] += 1
                        future = pool.submit(self._run_item, job, task, principal, item)
                        in_flight[future] = item
                if in_flight:
                    finished, _ = wait(list(in_flight), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                    for future in finished:
                        in_flight.pop(future)
                        future.result()  # _run_item handles its errors; this re-raises only bugs
                    self._report(job_id)
                    continue
                if self.cancel.is_set():
                    break
                progress = self.store.progress(job_id)
                if progress is None or progress.unfinished == 0 or progress.state != "running":
                    break
                if not wait_for_others and progress.pending == 0:
                    break
                time.sleep(POLL_SECONDS)  # retries waiting for their delay, or items of other workers
        except BaseException:
            self.stop()
            raise

    def _run_item(self, job: BatchJob, task: Any, principal: Principal, item: ClaimedItem) -> None:
        try:
            inp = task.input_model.model_validate(item.input)
            output = self.runner.run(
                task, inp, principal, backend=job.backend, allow_auto=bool(job.options.get("allow_auto")),
                cancel=self.cancel, timeout=job.options.get("timeout"),
            )  # fmt: skip
        except Cancelled as exc:
            if self.cancel.is_set() and not isinstance(exc, TaskTimeout):
                state = (
                    "pending" if self.stopping.is_set() and not self.job_cancelled(job.id) else "cancelled"
                )
                self.store.release(item.id, self.owner, state)
                return
            self.record_failure(item, exc)
            return
        except Exception as exc:  # one item's error must not stop the others
            self.record_failure(item, exc)
            return
        self.record_result(item, output.model_dump(mode="json"))

    def record_result(self, item: ClaimedItem, result: dict[str, Any]) -> None:
        """The item's result, recorded in the transaction that marks it done (if this worker still holds it)."""
        if self.store.complete(item.id, self.owner, result, self.on_done):
            self.stats["done"] += 1
        else:
            self.stats["lost"] += 1
            log.warning("batch item %d: lease lost before its result was recorded; result discarded", item.id)

    def record_failure(self, item: ClaimedItem, exc: BaseException) -> None:
        if not isinstance(exc, YakubaError | ValidationError):
            log.error("batch item %d failed", item.id, exc_info=exc)
        self.record_error(item, error_message(exc), retry=not isinstance(exc, PERMANENT))

    def record_error(self, item: ClaimedItem, message: str, *, retry: bool) -> None:
        """A failed attempt: retried after a delay while attempts remain (and `retry`), else failed."""
        delay = self.retry_delay * 2 ** max(item.attempts - 1, 0)
        state = self.store.fail(
            item.id, self.owner, message, retry=retry, max_attempts=self.max_attempts, delay=delay
        )
        self.stats["retried" if state == "pending" else "failed"] += 1

    def job_cancelled(self, job_id: str) -> bool:
        job = self.store.get(job_id)
        return job is None or job.state == "cancelled"

    def _heartbeat(self, job_id: str) -> None:
        renew_every = max(self.lease_seconds / 3, POLL_SECONDS)
        renewed = time.monotonic()
        while not self.stopping.wait(POLL_SECONDS * 2):
            try:
                if self.job_cancelled(job_id):
                    self.cancel.set()
                if time.monotonic() - renewed >= renew_every:
                    self.store.renew(self.owner, self.lease_seconds)
                    renewed = time.monotonic()
                self.store.release_stale(job_id, self.max_attempts)
            except Exception:  # a database hiccup must not kill the heartbeat; the next beat tries again
                log.exception("batch heartbeat of job %s failed", job_id)

    def _report(self, job_id: str) -> None:
        if self.on_progress is None or time.monotonic() - self._reported < REPORT_SECONDS:
            return
        self._reported = time.monotonic()
        progress = self.store.progress(job_id)
        if progress is not None:
            self.on_progress(progress)

    def _owner_principal(self, job: BatchJob) -> Principal | None:
        """The owner's current rights (None when the owner is gone or disabled); the recorded rights for jobs of
        the local operator (no owner)."""
        if job.user_id is None:
            return Principal.model_validate(job.principal or {})
        from assistant.records.models import User

        with self.store.read() as session:
            user = session.get(User, job.user_id)
            if user is None or user.disabled:
                return None
            return Principal(
                name=user.name,
                groups=list(user.groups or []),
                clearance=user.clearance,
                is_admin=user.is_admin,
            )

    def _fail_all(self, job_id: str, message: str) -> None:
        while items := self.store.claim(job_id, self.owner, 500, self.lease_seconds):
            for item in items:
                self.record_error(item, message, retry=False)
        self.store.finish_if_complete(job_id)
