"""Batch jobs (一括作成) and their items with per-item state, attempts and leases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("task", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name=op.f("fk_batch_jobs_user_id_users"), ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("principal", sa.JSON(), nullable=False),
        sa.Column("backend", sa.String(200), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("bad_rows", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "state IN ('running', 'done', 'cancelled')", name=op.f("ck_batch_jobs_batch_job_state_known")
        ),
    )
    op.create_index("ix_batch_jobs_state", "batch_jobs", ["state"])
    op.create_index("ix_batch_jobs_user_created", "batch_jobs", ["user_id", "created_at"])
    op.create_table(
        "batch_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "job_id",
            sa.String(36),
            sa.ForeignKey("batch_jobs.id", name=op.f("fk_batch_items_job_id_batch_jobs"), ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_expires", UTC_DATETIME, nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'done', 'failed', 'cancelled')",
            name=op.f("ck_batch_items_batch_item_state_known"),
        ),
        sa.UniqueConstraint("job_id", "seq", name="uq_batch_items_job_seq"),
    )
    op.create_index("ix_batch_items_job_state", "batch_items", ["job_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_batch_items_job_state", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_index("ix_batch_jobs_user_created", table_name="batch_jobs")
    op.drop_index("ix_batch_jobs_state", table_name="batch_jobs")
    op.drop_table("batch_jobs")
