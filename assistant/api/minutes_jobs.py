"""Drafting minutes in the background: one thread per job of this process, progress and result stored in the
records database (`MinutesJob`), so a page can watch it and a stopped API loses nothing.

A job is claimed with a lease (`lease_owner`, renewed in `heartbeat_at` while it runs). A job left running by a
process that stopped (its heartbeat older than `batch_lease_seconds`) is taken over when the API starts or when
someone reads it, and drafted again from its stored input; the map steps of long sessions are cached, so the
rerun redoes little. Only the lease holder writes progress and the result, in the transaction that marks the job
done, so the minutes are created once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from assistant.api.access import principal_of
from assistant.records.minutes import MinutesJob, create_minutes
from assistant.records.models import User, utcnow
from assistant.tasks.minutes_models import Minutes, MinutesInput
from core.errors import Cancelled, YakubaError

if TYPE_CHECKING:
    from assistant.api.context import ApiContext
    from assistant.tasks.base import Principal

log = logging.getLogger(__name__)

Progress = Callable[..., None]
STAGE_READING = "発言記録を確認しています"
STAGE_DRAFTING = "議事録を作成しています"
STAGE_STORING = "議事録を保存しています"
STAGE_DONE = "作成が完了しました"
CANCELLED = "議事録の作成は取り消されました。"
OWNER_GONE = "作成を依頼した利用者が無効になっているため、処理できません。"
INTERNAL = "議事録の作成中に予期しないエラーが発生しました（{name}）。再度お試しください。"
REPORT_SECONDS = 0.5  # progress written at most this often


def produce(
    ctx: ApiContext, principal: Principal, inp: MinutesInput, backend: str | None, allow_auto: bool,
    progress: Progress, cancel: threading.Event,
) -> Minutes:  # fmt: skip
    """The minutes of `inp` by `draft_minutes`: the task's own path (offline, or one LLM call) for short
    transcripts and extractive backends, map-reduce with cached steps for long sessions on an LLM."""
    from assistant.minutes.mapreduce import draft_minutes

    progress(0, 0, STAGE_DRAFTING)
    return draft_minutes(
        inp, ctx.runner, principal, backend, allow_auto=allow_auto, cancel=cancel,
        on_progress=lambda p: progress(p.done, p.total, _stage(p)),
    )  # fmt: skip


def _stage(report: Any) -> str:
    """「要約（12/40、保存済み3）」: the Japanese message of a progress report, with cached steps when any."""
    message = str(getattr(report, "message", "") or STAGE_DRAFTING).rstrip("。")
    cached = int(getattr(report, "cached", 0) or 0)
    return f"{message}（保存済みの結果を{cached}件再利用）" if cached else message


class MinutesJobs:
    """The minutes jobs this process works on (see the module)."""

    def __init__(self, ctx: ApiContext):
        self.ctx = ctx
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=ctx.settings.batch_lease_seconds)
        self._threads: dict[str, threading.Thread] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._closed = False

    # --- starting -------------------------------------------------------------------------------------------

    def create(
        self, user: User, inp: MinutesInput, backend: str | None, allow_fallback: bool, source: str
    ) -> str:
        with self.ctx.write_sessions.begin() as session:
            job = MinutesJob(
                owner_id=user.id, state="running", input=inp.model_dump(mode="json"), backend=backend,
                allow_fallback=allow_fallback, source_name=source[:300], stage=STAGE_READING,
            )  # fmt: skip
            session.add(job)
            session.flush()
            return job.id

    def start(self, job_id: str) -> None:
        """Work on the job in a background thread of this process."""
        with self._lock:
            if self._closed or job_id in self._threads:
                return
            thread = threading.Thread(
                target=self.run, args=(job_id,), daemon=True, name=f"yakuba-minutes-{job_id[:8]}"
            )
            self._threads[job_id] = thread
        thread.start()

    def resume_if_stale(self, job: MinutesJob) -> bool:
        """Take over a running job whose worker stopped renewing its lease; True when started here."""
        if job.state != "running" or job.id in self._threads or not self._stale(job):
            return False
        self.start(job.id)
        return True

    def resume_unfinished(self) -> list[str]:
        with self.ctx.sessions() as session:
            jobs = list(session.scalars(select(MinutesJob).where(MinutesJob.state == "running")))
        return [job.id for job in jobs if self.resume_if_stale(job)]

    def cancel(self, job_id: str) -> None:
        with self.ctx.write_sessions.begin() as session:
            session.execute(
                update(MinutesJob).where(MinutesJob.id == job_id, MinutesJob.state == "running")
                .values(state="cancelled", error=CANCELLED, finished_at=utcnow())
            )  # fmt: skip
        with self._lock:
            event = self._cancel.get(job_id)
        if event is not None:
            event.set()

    def close(self, timeout: float = 10.0) -> None:
        """Stop this process's jobs; they stay running in the database and are resumed at the next start."""
        with self._lock:
            self._closed = True
            events, threads = list(self._cancel.values()), list(self._threads.values())
        for event in events:
            event.set()
        for thread in threads:
            thread.join(timeout)

    # --- working --------------------------------------------------------------------------------------------

    def _stale(self, job: MinutesJob) -> bool:
        return job.lease_owner is None or job.heartbeat_at is None or utcnow() - job.heartbeat_at > self.lease

    def _claim(self, job_id: str) -> tuple[User, MinutesJob] | None:
        with self.ctx.write_sessions.begin() as session:
            job = session.get(MinutesJob, job_id)
            if job is None or job.state != "running":
                return None
            if job.lease_owner not in (None, self.owner) and not self._stale(job):
                return None  # another process holds it
            job.lease_owner, job.heartbeat_at, job.attempts = self.owner, utcnow(), job.attempts + 1
            user = session.get(User, job.owner_id)
            if user is None or user.disabled:
                job.state, job.error, job.finished_at = "failed", OWNER_GONE, utcnow()
                return None
            session.flush()
            session.expunge(user)
            session.expunge(job)
            return user, job

    def _write(self, job_id: str, **values: Any) -> bool:
        """Update the job if this process still holds it; False when it was cancelled or taken over."""
        with self.ctx.write_sessions.begin() as session:
            result = session.execute(
                update(MinutesJob)
                .where(MinutesJob.id == job_id, MinutesJob.state == "running", MinutesJob.lease_owner == self.owner)
                .values(heartbeat_at=utcnow(), **values)
            )  # fmt: skip
            return bool(result.rowcount)

    def run(self, job_id: str) -> None:
        """Draft the job's minutes (in the calling thread) and store them; any failure is recorded on the job."""
        cancel = threading.Event()
        with self._lock:
            self._cancel[job_id] = cancel
        try:
            claimed = self._claim(job_id)
            if claimed is not None:
                self._draft(*claimed, cancel)
        finally:
            with self._lock:
                self._cancel.pop(job_id, None)
                self._threads.pop(job_id, None)

    def _draft(self, user: User, job: MinutesJob, cancel: threading.Event) -> None:
        last = [0.0]

        def progress(done: int = 0, total: int = 0, stage: str = "", *_: Any, **__: Any) -> None:
            if cancel.is_set():
                raise Cancelled(CANCELLED)
            now = time.monotonic()
            if now - last[0] >= REPORT_SECONDS or (total and done >= total):
                last[0] = now
                values = {"done": int(done), "total": int(total)} | ({"stage": stage[:200]} if stage else {})
                if not self._write(job.id, **values):
                    cancel.set()

        beat = threading.Thread(target=self._heartbeat, args=(job.id, cancel), daemon=True)
        beat.start()
        inp = MinutesInput.model_validate(job.input)
        try:
            minutes = produce(
                self.ctx, principal_of(user), inp, job.backend, job.allow_fallback, progress, cancel
            )
            if cancel.is_set():
                raise Cancelled(CANCELLED)
            self._finish(user, job.id, minutes)
        except Cancelled:
            pass  # cancelled in the database already, or stopped by close(): resumed at the next start
        except YakubaError as exc:
            self._write(job.id, state="failed", error=exc.message, finished_at=utcnow())
        except Exception as exc:  # noqa: BLE001 - recorded on the job for the user; logged for the operator
            log.exception("minutes job %s failed", job.id)
            self._write(
                job.id, state="failed", error=INTERNAL.format(name=type(exc).__name__), finished_at=utcnow()
            )
        finally:
            cancel.set()
            beat.join(1.0)

    def _heartbeat(self, job_id: str, stop: threading.Event) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not stop.wait(interval):
            if not self._write(job_id):
                stop.set()

    def _finish(self, user: User, job_id: str, minutes: Minutes) -> None:
        from assistant.api.minutes_flow import audit_step

        with self.ctx.write_sessions.begin() as session:
            job = session.get(MinutesJob, job_id)
            if job is None or job.state != "running" or job.lease_owner != self.owner:
                return  # cancelled or taken over meanwhile
            record = create_minutes(session, session.merge(user), minutes)
            job.draft_id, job.state, job.stage, job.finished_at = record.id, "done", STAGE_DONE, utcnow()
            job.done = job.total = max(job.total, 1)
            session.flush()
            record_id = record.id
        with self.ctx.sessions() as session:
            from assistant.records.drafts import ReplyDraftRecord

            stored = session.get(ReplyDraftRecord, record_id)
            if stored is not None:
                audit_step(self.ctx, user, stored, "create", None, detail={"job_id": job_id})
