"""Minutes (議事録): minutes drafts share the reply drafts' review tables (a `kind` column tells them apart), and
minutes jobs hold the state of drafting long transcripts in the background (progress, result, lease).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("reply_drafts") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="reply"))
        batch.create_index("ix_reply_drafts_kind", ["kind"])
    op.create_table(
        "minutes_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "owner_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name=op.f("fk_minutes_jobs_owner_id_users"), ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("backend", sa.String(200), nullable=True),
        sa.Column("allow_fallback", sa.Boolean(), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(200), nullable=False),
        sa.Column("draft_id", sa.String(36), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("heartbeat_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "state IN ('running', 'done', 'failed', 'cancelled')",
            name=op.f("ck_minutes_jobs_minutes_job_state_known"),
        ),
    )
    op.create_index("ix_minutes_jobs_owner_created", "minutes_jobs", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_minutes_jobs_owner_created", table_name="minutes_jobs")
    op.drop_table("minutes_jobs")
    with op.batch_alter_table("reply_drafts") as batch:
        batch.drop_index("ix_reply_drafts_kind")
        batch.drop_column("kind")
