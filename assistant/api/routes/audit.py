"""GET /audit: the audit log, newest first, for administrators."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from assistant.api.deps import AdminUser, Offset, SessionDep
from assistant.api.errors import error_responses
from assistant.api.schemas import AuditPage, AuditRowOut
from assistant.records.models import AuditLog

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage, responses=error_responses(401, 403, 422))
def read_audit(
    admin: AdminUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
    user: Annotated[str | None, Query(description="Only this user's requests.")] = None,
    outcome: Annotated[Literal["ok", "refused", "error"] | None, Query()] = None,
) -> AuditPage:
    """One page of audited requests (read-only; `yakuba audit verify` checks the hash chain)."""
    conditions = []
    if user is not None:
        conditions.append(AuditLog.user_name == user)
    if outcome is not None:
        conditions.append(AuditLog.outcome == outcome)
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditLog).where(*conditions).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
    )
    items = [
        AuditRowOut(
            id=r.id,
            time=r.time,
            user=r.user_name,
            task=r.task,
            backend=r.backend,
            model_id=r.model_id,
            mode=r.mode,
            level=r.level,
            reason=r.reason,
            outcome=r.outcome,
            error=r.error,
            chunk_ids=r.chunk_ids,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            cost=r.cost,
            latency_ms=r.latency_ms,
        )
        for r in rows
    ]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)
