"""Audit hardening: the database itself keeps the chain growing by one linked row at a time.

SQLite's `INSERT OR REPLACE` deletes the conflicting row without firing DELETE triggers (unless
`recursive_triggers` is on), so 0001's triggers let a row be replaced. Now:
- audit_log: an INSERT must take the next id after the head and link to the head's hash (refuses
  REPLACE of an existing row, gaps and forged links); PostgreSQL's `ON CONFLICT DO UPDATE` already
  fires the UPDATE trigger, and TRUNCATE was refused since 0001.
- audit_chain_head: it may only move forward by one row (no rewinding, no reset), and cannot be
  deleted, replaced or truncated.
A database owner can still drop triggers; the keyed chain and the anchors catch what follows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = {
    "audit_log_append_next": (
        "CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log "
        "WHEN NEW.id IS NOT (SELECT last_id + 1 FROM audit_chain_head WHERE id = 1) "
        "OR NEW.prev_hash IS NOT (SELECT last_hash FROM audit_chain_head WHERE id = 1) "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a row must extend the chain head'); END"
    ),
    "audit_chain_head_forward": (
        "CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head "
        "WHEN NEW.id IS NOT OLD.id OR NEW.last_id IS NOT OLD.last_id + 1 "
        "OR NEW.last_hash IS NOT (SELECT row_hash FROM audit_log WHERE id = NEW.last_id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward to the last row'); END"
    ),
    "audit_chain_head_no_delete": (
        "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_chain_head cannot be deleted'); END"
    ),
    "audit_chain_head_no_insert": (
        "CREATE TRIGGER audit_chain_head_no_insert BEFORE INSERT ON audit_chain_head "
        "WHEN EXISTS (SELECT 1 FROM audit_chain_head) "
        "BEGIN SELECT RAISE(ABORT, 'audit_chain_head cannot be replaced'); END"
    ),
}
POSTGRES_STATEMENTS = [
    "CREATE FUNCTION audit_log_append_next() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE head audit_chain_head%ROWTYPE; BEGIN "
    "SELECT * INTO head FROM audit_chain_head WHERE id = 1; "
    "IF NEW.id IS DISTINCT FROM head.last_id + 1 OR NEW.prev_hash IS DISTINCT FROM head.last_hash THEN "
    "RAISE EXCEPTION 'audit_log is append-only: a row must extend the chain head'; END IF; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_next()",
    "CREATE FUNCTION audit_chain_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last_id = OLD.last_id + 1 AND "
    "NEW.last_hash IS NOT DISTINCT FROM (SELECT row_hash FROM audit_log WHERE id = NEW.last_id) "
    "THEN RETURN NEW; END IF; "
    "IF TG_OP = 'INSERT' AND NOT EXISTS (SELECT 1 FROM audit_chain_head) THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'audit_chain_head only moves forward to the last row'; END $$",
    "CREATE TRIGGER audit_chain_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_chain_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_chain_head_guard()",
    "CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_guard()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_STATEMENTS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_no_truncate ON audit_chain_head")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_guard ON audit_chain_head")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_next ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head_guard()")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_next()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
