"""Usage summaries (requests, tokens, cost) per user and model, computed from the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.records.audit_log import utc_iso
from assistant.records.models import AuditLog, User
from core.errors import AccessDenied


@dataclass(frozen=True)
class UsageRow:
    user: str
    backend: str | None
    model_id: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cost: float


def usage_summary(
    session: Session,
    actor: User,
    *,
    user: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[UsageRow]:
    """Usage of `user` (every user when None), one row per user, backend and model, in
    [since, until). Requests count every audited request, refused and failed ones included.

    Raises AccessDenied when a non-administrator asks about anyone but themselves.
    """
    if user != actor.name and not actor.is_admin:
        raise AccessDenied("他の職員の利用状況は閲覧できません。")
    statement = select(
        AuditLog.user_name,
        AuditLog.backend,
        AuditLog.model_id,
        func.count(),
        func.coalesce(func.sum(AuditLog.input_tokens), 0),
        func.coalesce(func.sum(AuditLog.output_tokens), 0),
        func.coalesce(func.sum(AuditLog.cost), 0.0),
    ).group_by(AuditLog.user_name, AuditLog.backend, AuditLog.model_id)
    if user is not None:
        statement = statement.where(AuditLog.user_name == user)
    if since is not None:
        statement = statement.where(AuditLog.time >= utc_iso(since))
    if until is not None:
        statement = statement.where(AuditLog.time < utc_iso(until))
    rows = [
        UsageRow(name, backend, model_id, int(n), int(tokens_in), int(tokens_out), float(cost))
        for name, backend, model_id, n, tokens_in, tokens_out, cost in session.execute(statement)
    ]
    return sorted(rows, key=lambda r: (r.user, r.backend or "", r.model_id or ""))
