"""The Bedrock batch-inference phase of a job: when `bedrock_batch_mode.batch_mode_applies` says so (a Bedrock
backend, batch inference configured, enough items), the worker claims every pending item and hands them to
`run_batch_mode` as one Bedrock job, then records each outcome against its lease like an online result. Items the
phase leaves (`deferred`: too few sendable, or the Bedrock job stopped first) go back to pending, their claim
uncounted, and run online. A worker killed while the Bedrock job runs leaves its items to the next worker, whose
phase finds the same Bedrock job by name and follows it instead of submitting again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.errors import Cancelled

if TYPE_CHECKING:
    from assistant.jobs.store import ClaimedItem
    from assistant.jobs.worker import Worker
    from assistant.records.jobs import BatchJob
    from assistant.tasks.base import Principal, Task

log = logging.getLogger(__name__)


def bedrock_batch_phase(worker: Worker, job: BatchJob, task: Task[Any, Any], principal: Principal) -> None:
    if not job.backend or not job.backend.startswith("bedrock/"):
        return
    from assistant.jobs.bedrock_batch_mode import BatchModeItem, batch_mode_applies, run_batch_mode

    store, settings = worker.store, worker.runner.settings
    if not batch_mode_applies(settings, job.backend, store.count_items(job.id, "pending")):
        return
    claimed: dict[str, ClaimedItem] = {}
    while batch := store.claim(job.id, worker.owner, 1000, worker.lease_seconds):
        claimed.update((str(item.id), item) for item in batch)
    items = []
    for key, item in claimed.items():
        try:
            items.append(BatchModeItem(key, task.input_model.model_validate(item.input), principal))
        except ValidationError as exc:
            worker.record_failure(item, exc)

    def check() -> None:
        if worker.cancel.is_set():
            raise Cancelled("処理は取り消されました。")

    def submitted(arn: str, name: str) -> None:
        store.set_extra(job.id, bedrock_job_arn=arn, bedrock_job_name=name)

    try:
        report = run_batch_mode(
            task, items, settings=settings, router=worker.runner.router, backend=job.backend, job_id=job.id,
            store=worker.runner.store, check=check, on_submitted=submitted,
            # a Bedrock job runs for minutes to hours: every poll renews the claimed items' leases, so no other
            # worker takes them over while this one waits
            on_status=lambda _status: store.renew(worker.owner, worker.lease_seconds),
        )  # fmt: skip
    except Cancelled:
        state = "pending" if worker.stopping.is_set() and not worker.job_cancelled(job.id) else "cancelled"
        for item in claimed.values():
            store.release(item.id, worker.owner, state, refund=True)
        return
    except Exception as exc:  # Bedrock batch unusable now: the items run online instead
        log.exception("Bedrock batch inference of job %s failed; running its items online", job.id)
        store.set_extra(job.id, bedrock_batch_error=f"{type(exc).__name__}")
        for item in claimed.values():
            store.release(item.id, worker.owner, "pending", refund=True)
        return
    for key, outcome in report.outcomes.items():
        item = claimed[key]
        if outcome.status == "done" and outcome.output is not None:
            worker.record_result(item, outcome.output.model_dump(mode="json"))
        elif outcome.status == "deferred":
            store.release(item.id, worker.owner, "pending", refund=True)
        else:
            retry = outcome.status == "failed" and outcome.retryable
            worker.record_error(item, outcome.error or "", retry=retry)
