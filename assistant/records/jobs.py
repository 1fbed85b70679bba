"""ORM models of batch jobs (一括作成) and their items: the per-item state that makes a job resumable.

A job's items are claimed by workers with a lease (`lease_owner`, `lease_expires`); an item's result is written
in the same transaction that marks it done, and only by the worker that holds its lease, so a job killed at any
point resumes without losing or duplicating an item. See `assistant/jobs/store.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.records.models import Base, UTCDateTime, utcnow

JOB_STATES = ("running", "done", "cancelled")
ITEM_STATES = ("pending", "running", "done", "failed", "cancelled")


class BatchJob(Base):
    """One batch job: a task run over the rows of an uploaded file, under its owner's access rights."""

    __tablename__ = "batch_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('running', 'done', 'cancelled')", name="batch_job_state_known"),
        Index("ix_batch_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    task: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="running", index=True)
    # The owner; None for jobs of a trusted local operator (the CLI without a user).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    user_name: Mapped[str] = mapped_column(String(100), default="")
    principal: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # access rights the items run under
    backend: Mapped[str | None] = mapped_column(String(200), default=None)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. allow_auto, timeout
    source_name: Mapped[str] = mapped_column(String(300), default="")  # the uploaded file's name
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{row, reason}]
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # engine-specific state (Bedrock batch)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class BatchItem(Base):
    """One row of a job: its task input, state, attempts, lease and (when done) its result."""

    __tablename__ = "batch_items"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'running', 'done', 'failed', 'cancelled')", name="batch_item_state_known"
        ),
        UniqueConstraint("job_id", "seq", name="uq_batch_items_job_seq"),
        Index("ix_batch_items_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("batch_jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 0-based position in the job
    row: Mapped[int] = mapped_column(Integer)  # row number in the uploaded file (as shown to the user)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    input: Mapped[dict[str, Any]] = mapped_column(JSON)  # the task input
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # the task output when done
    error: Mapped[str | None] = mapped_column(Text, default=None)  # Japanese message of the last failure
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far
    lease_owner: Mapped[str | None] = mapped_column(String(120), default=None)
    lease_expires: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
