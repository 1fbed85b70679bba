"""Reply drafts (回答案) with their review state, every version of their content and the history of their review.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _user(column: str, table: str, ondelete: str, nullable: bool) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey("users.id", name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete),
        nullable=nullable,
    )


def _draft(table: str) -> sa.Column:
    return sa.Column(
        "draft_id",
        sa.String(36),
        sa.ForeignKey("reply_drafts.id", name=op.f(f"fk_{table}_draft_id_reply_drafts"), ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "reply_drafts",
        sa.Column("id", sa.String(36), primary_key=True),
        _user("owner_id", "reply_drafts", "CASCADE", nullable=False),
        _user("reviewer_id", "reply_drafts", "SET NULL", nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("source_groups", sa.JSON(), nullable=False),
        sa.Column("backend", sa.String(200), nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("submitted_at", UTC_DATETIME, nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "state IN ('下書き', '確認依頼', '承認済', '差戻し')",
            name=op.f("ck_reply_drafts_reply_state_known"),
        ),
        sa.CheckConstraint(
            "classification BETWEEN 1 AND 3", name=op.f("ck_reply_drafts_reply_classification_range")
        ),
    )
    op.create_index("ix_reply_drafts_owner_id", "reply_drafts", ["owner_id"])
    op.create_index("ix_reply_drafts_state_updated", "reply_drafts", ["state", "updated_at"])
    op.create_table(
        "reply_draft_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _draft("reply_draft_versions"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("author_name", sa.String(100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.UniqueConstraint("draft_id", "number", name="uq_reply_draft_versions_draft_number"),
    )
    op.create_table(
        "reply_draft_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _draft("reply_draft_events"),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "action IN ('create', 'edit', 'submit', 'approve', 'return')",
            name=op.f("ck_reply_draft_events_reply_event_action_known"),
        ),
    )
    op.create_index("ix_reply_draft_events_draft_id", "reply_draft_events", ["draft_id"])


def downgrade() -> None:
    op.drop_index("ix_reply_draft_events_draft_id", table_name="reply_draft_events")
    op.drop_table("reply_draft_events")
    op.drop_table("reply_draft_versions")
    op.drop_index("ix_reply_drafts_state_updated", table_name="reply_drafts")
    op.drop_index("ix_reply_drafts_owner_id", table_name="reply_drafts")
    op.drop_table("reply_drafts")
