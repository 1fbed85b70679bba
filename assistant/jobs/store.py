"""Batch jobs in the records database: create, claim items with a lease, complete, fail and retry, cancel, resume.

Claiming is safe with several workers (threads or processes) on one job: on PostgreSQL the candidate rows are
selected `FOR UPDATE SKIP LOCKED` inside the claiming UPDATE; on SQLite the UPDATE is conditional
(`state = 'pending'`) and runs under the database write lock (`BEGIN IMMEDIATE`). A claimed item carries its
worker's lease (`lease_owner`, `lease_expires`), renewed while the item runs. An item's result is written by the
statement that marks it done, and only while its worker still holds the lease: a worker that lost its lease
(killed, hung past the lease, cancelled) can never record a second result. Items of a dead worker become
claimable again (`release_stale`): at once when the worker was a process on this host that no longer exists,
otherwise when its lease expires.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, or_, select, update

from assistant.records.db import make_session_factory
from assistant.records.jobs import BatchItem, BatchJob

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from assistant.tasks.base import Principal

OnDone = Callable[["Session", BatchJob, int, dict[str, Any]], None]

WORKER_LOST = "処理中に作業プロセスが停止した回数が上限に達したため、この行の処理を中止しました。"
UNFINISHED = ("pending", "running")


def now() -> datetime:
    return datetime.now(UTC)


def owner_id(token: str) -> str:
    """A lease owner name: host, process id and a token unique to one worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def process_gone(owner: str) -> bool:
    """True when `owner` names a process on this host that no longer exists (its items may be taken at once)."""
    host, _, rest = owner.partition(":")
    pid, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    seq: int
    row: int
    input: dict[str, Any]
    attempts: int


@dataclass
class Progress:
    job_id: str
    state: str
    n_items: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.counts.get("pending", 0)

    @property
    def running(self) -> int:
        return self.counts.get("running", 0)

    @property
    def done(self) -> int:
        return self.counts.get("done", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def cancelled(self) -> int:
        return self.counts.get("cancelled", 0)

    @property
    def unfinished(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("running", 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "state": self.state,
            "n_items": self.n_items,
            **{s: self.counts.get(s, 0) for s in ("done", "failed", "running", "pending", "cancelled")},
        }


class JobStore:
    """The batch tables of one records database. Every method is its own short transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.write = make_session_factory(engine)  # SQLite: BEGIN IMMEDIATE (the write lock at once)
        self.read = make_session_factory(engine, lock=False)
        self.postgres = engine.dialect.name == "postgresql"

    # --- jobs ---------------------------------------------------------------------------------------------
    def create(
        self,
        task: str,
        inputs: Sequence[tuple[int, dict[str, Any]]],
        principal: Principal,
        *,
        user_id: int | None = None,
        backend: str | None = None,
        options: dict[str, Any] | None = None,
        source_name: str = "",
        bad_rows: Sequence[dict[str, Any]] = (),
        extra: dict[str, Any] | None = None,
    ) -> BatchJob:
        """A new running job with one pending item per (row number, task input)."""
        job = BatchJob(
            task=task, state="running", user_id=user_id, user_name=principal.name or "",
            principal=principal.model_dump(mode="json"), backend=backend, options=dict(options or {}),
            source_name=source_name[:300], n_items=len(inputs), bad_rows=list(bad_rows), extra=dict(extra or {}),
            created_at=now(),
        )  # fmt: skip
        with self.write.begin() as session:
            session.add(job)
            session.flush()
            rows = [
                {"job_id": job.id, "seq": seq, "row": row, "state": "pending", "input": inp, "attempts": 0}
                for seq, (row, inp) in enumerate(inputs)
            ]
            for start in range(0, len(rows), 500):
                session.execute(BatchItem.__table__.insert(), rows[start : start + 500])
            if not rows:
                job.state, job.finished_at = "done", now()
        return job

    def get(self, job_id: str) -> BatchJob | None:
        with self.read() as session:
            return session.get(BatchJob, job_id)

    def jobs(self, user_id: int | None = None, *, everyone: bool = False, limit: int = 200) -> list[BatchJob]:
        """Newest first: the jobs of `user_id`, or of everyone."""
        query = select(BatchJob).order_by(BatchJob.created_at.desc()).limit(limit)
        if not everyone:
            query = query.where(BatchJob.user_id == user_id)
        with self.read() as session:
            return list(session.scalars(query))

    def unfinished_jobs(self) -> list[str]:
        with self.read() as session:
            return list(session.scalars(select(BatchJob.id).where(BatchJob.state == "running")))

    def progress(self, job_id: str) -> Progress | None:
        with self.read() as session:
            job = session.get(BatchJob, job_id)
            if job is None:
                return None
            counts = session.execute(
                select(BatchItem.state, func.count())
                .where(BatchItem.job_id == job_id)
                .group_by(BatchItem.state)
            ).all()
        return Progress(job.id, job.state, job.n_items, {state: n for state, n in counts})

    def counts(self, job_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Item counts by state of several jobs (one query)."""
        found: dict[str, dict[str, int]] = {job_id: {} for job_id in job_ids}
        if not job_ids:
            return found
        with self.read() as session:
            rows = session.execute(
                select(BatchItem.job_id, BatchItem.state, func.count())
                .where(BatchItem.job_id.in_(list(job_ids)))
                .group_by(BatchItem.job_id, BatchItem.state)
            ).all()
        for job_id, state, n in rows:
            found[job_id][state] = n
        return found

    def count_items(self, job_id: str, state: str | None = None) -> int:
        query = select(func.count()).where(BatchItem.job_id == job_id)
        if state:
            query = query.where(BatchItem.state == state)
        with self.read() as session:
            return session.scalar(query) or 0

    def items(
        self, job_id: str, state: str | None = None, offset: int = 0, limit: int | None = None
    ) -> list[BatchItem]:
        query = select(BatchItem).where(BatchItem.job_id == job_id).order_by(BatchItem.seq)
        if state:
            query = query.where(BatchItem.state == state)
        with self.read() as session:
            return list(session.scalars(query.offset(offset).limit(limit)))

    def iter_items(self, job_id: str, page: int = 500) -> Iterator[BatchItem]:
        """Every item in order, read page by page (a job may hold many large results)."""
        offset = 0
        while batch := self.items(job_id, offset=offset, limit=page):
            yield from batch
            offset += len(batch)

    def set_extra(self, job_id: str, **values: Any) -> None:
        """Merge engine-specific state into the job's `extra` (e.g. a Bedrock batch job's ARN)."""
        with self.write.begin() as session:
            job = session.get(BatchJob, job_id)
            if job is not None:
                job.extra = {**(job.extra or {}), **values}

    def cancel(self, job_id: str) -> bool:
        """Stop a running job: pending items become cancelled; running ones stop at their workers' next check.
        False when the job was not running."""
        with self.write.begin() as session:
            changed = session.execute(
                update(BatchJob)
                .where(BatchJob.id == job_id, BatchJob.state == "running")
                .values(state="cancelled", finished_at=now())
            ).rowcount
            if changed:
                session.execute(
                    update(BatchItem)
                    .where(BatchItem.job_id == job_id, BatchItem.state == "pending")
                    .values(state="cancelled", lease_owner=None, lease_expires=None)
                )
        return bool(changed)

    def resume(self, job_id: str) -> int:
        """Run a job again: cancelled and failed items become pending (failed ones with fresh attempts), the
        job running. Done items are kept. Returns how many items were queued again."""
        with self.write.begin() as session:
            queued = session.execute(
                update(BatchItem)
                .where(BatchItem.job_id == job_id, BatchItem.state.in_(("cancelled", "failed")))
                .values(state="pending", attempts=0, lease_owner=None, lease_expires=None)
            ).rowcount
            unfinished = session.scalar(
                select(func.count()).where(BatchItem.job_id == job_id, BatchItem.state.in_(UNFINISHED))
            )
            if unfinished:
                session.execute(
                    update(BatchJob).where(BatchJob.id == job_id).values(state="running", finished_at=None)
                )
        return queued

    def finish_if_complete(self, job_id: str) -> bool:
        """Mark a running job done when none of its items is pending or running."""
        open_items = exists().where(BatchItem.job_id == job_id, BatchItem.state.in_(UNFINISHED))
        with self.write.begin() as session:
            changed = session.execute(
                update(BatchJob)
                .where(BatchJob.id == job_id, BatchJob.state == "running", ~open_items)
                .values(state="done", finished_at=now())
            ).rowcount
        return bool(changed)

    # --- items --------------------------------------------------------------------------------------------
    def claim(self, job_id: str, owner: str, n: int, lease_seconds: float) -> list[ClaimedItem]:
        """Up to `n` pending items of a running job, leased to `owner` (attempts counted)."""
        if n <= 0:
            return []
        at = now()
        candidates = (
            select(BatchItem.id)
            .where(
                BatchItem.job_id == job_id,
                BatchItem.state == "pending",
                or_(BatchItem.lease_expires.is_(None), BatchItem.lease_expires <= at),  # retry delay
            )
            .order_by(BatchItem.seq)
            .limit(n)
        )
        if self.postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        job_running = exists().where(BatchJob.id == job_id, BatchJob.state == "running")
        statement = (
            update(BatchItem)
            .where(BatchItem.id.in_(candidates.scalar_subquery()), BatchItem.state == "pending", job_running)
            .values(
                state="running",
                lease_owner=owner,
                lease_expires=at + timedelta(seconds=lease_seconds),
                attempts=BatchItem.attempts + 1,
                started_at=at,
            )  # fmt: skip
            .returning(BatchItem.id, BatchItem.seq, BatchItem.row, BatchItem.input, BatchItem.attempts)
        )
        with self.write.begin() as session:
            rows = session.execute(statement, execution_options={"synchronize_session": False}).all()
        return sorted((ClaimedItem(*row) for row in rows), key=lambda item: item.seq)

    def renew(self, owner: str, lease_seconds: float) -> int:
        """Extend the leases of every item `owner` is running."""
        with self.write.begin() as session:
            return session.execute(
                update(BatchItem)
                .where(BatchItem.lease_owner == owner, BatchItem.state == "running")
                .values(lease_expires=now() + timedelta(seconds=lease_seconds))
            ).rowcount

    def complete(
        self, item_id: int, owner: str, result: dict[str, Any], on_done: OnDone | None = None
    ) -> bool:
        """Record an item's result and mark it done, in one transaction, if `owner` still holds its lease.
        `on_done(session, job, item_id, result)` runs inside that transaction (e.g. to store a draft)."""
        with self.write.begin() as session:
            changed = session.execute(
                update(BatchItem)
                .where(BatchItem.id == item_id, BatchItem.state == "running", BatchItem.lease_owner == owner)
                .values(
                    state="done",
                    result=result,
                    error=None,
                    lease_owner=None,
                    lease_expires=None,
                    finished_at=now(),
                )  # fmt: skip
                .returning(BatchItem.job_id),
                execution_options={"synchronize_session": False},
            ).scalar_one_or_none()
            if changed is not None and on_done is not None:
                on_done(session, session.get(BatchJob, changed), item_id, result)
        return changed is not None

    def fail(
        self, item_id: int, owner: str, error: str, *, retry: bool, max_attempts: int, delay: float
    ) -> str:
        """After a failed attempt: pending again after `delay` seconds while attempts remain and the error may
        pass, else failed. Returns the item's new state ('' when `owner` no longer held it)."""
        with self.write.begin() as session:
            item = session.scalar(
                select(BatchItem).where(
                    BatchItem.id == item_id, BatchItem.state == "running", BatchItem.lease_owner == owner
                )
            )
            if item is None:
                return ""
            again = retry and item.attempts < max_attempts
            item.state = "pending" if again else "failed"
            item.error = error
            item.lease_owner = None
            item.lease_expires = now() + timedelta(seconds=delay) if again else None
            item.finished_at = None if again else now()
            return item.state

    def release(self, item_id: int, owner: str, state: str = "cancelled", *, refund: bool = False) -> bool:
        """Give an item back unfinished (cancelled, or pending for another worker); `refund` uncounts the claim
        (the item was not attempted)."""
        attempts = BatchItem.attempts - 1 if refund else BatchItem.attempts
        mine = and_(BatchItem.id == item_id, BatchItem.state == "running", BatchItem.lease_owner == owner)
        with self.write.begin() as session:
            changed = session.execute(
                update(BatchItem)
                .where(mine)
                .values(state=state, lease_owner=None, lease_expires=None, attempts=attempts)
            ).rowcount
        return bool(changed)

    def release_stale(
        self, job_id: str, max_attempts: int, gone: Callable[[str], bool] = process_gone
    ) -> int:
        """Items of workers that stopped (lease expired, or their process is gone) become pending again, or
        failed once they used up their attempts. Returns how many were released."""
        at = now()
        with self.read() as session:
            owners = session.scalars(
                select(BatchItem.lease_owner)
                .where(BatchItem.job_id == job_id, BatchItem.state == "running")
                .distinct()
            ).all()
        dead = [owner for owner in owners if owner and gone(owner)]
        stale = and_(
            BatchItem.job_id == job_id,
            BatchItem.state == "running",
            or_(BatchItem.lease_expires < at, BatchItem.lease_owner.in_(dead)),
        )
        with self.write.begin() as session:
            failed = session.execute(
                update(BatchItem)
                .where(stale, BatchItem.attempts >= max_attempts)
                .values(
                    state="failed", error=WORKER_LOST, lease_owner=None, lease_expires=None, finished_at=at
                )
            ).rowcount
            queued = session.execute(
                update(BatchItem).where(stale).values(state="pending", lease_owner=None, lease_expires=None)
            ).rowcount
        return failed + queued
