"""GET /audit: the audit log, newest first, for administrators, within their own clearance and groups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from assistant.api.access import Reader
from assistant.api.deps import AdminUser, ContextDep, Offset, SessionDep
from assistant.api.errors import error_responses
from assistant.api.schemas import AuditPage, AuditRowOut
from assistant.records.models import AuditLog

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage, responses=error_responses(401, 403, 422))
def read_audit(
    admin: AdminUser,
    session: SessionDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
    user: Annotated[str | None, Query(description="Only this user's requests.")] = None,
    outcome: Annotated[Literal["ok", "refused", "error"] | None, Query()] = None,
) -> AuditPage:
    """One page of audited requests (read-only; `yakuba audit verify` checks the hash chain). Details of requests
    beyond the administrator's own clearance and groups are withheld (`withheld`)."""
    conditions = []
    if user is not None:
        conditions.append(AuditLog.user_name == user)
    if outcome is not None:
        conditions.append(AuditLog.outcome == outcome)
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*conditions)) or 0
    rows = list(
        session.scalars(
            select(AuditLog).where(*conditions).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
        )
    )
    named = [chunk_id for r in rows for ids in _id_lists(r.chunk_ids) for chunk_id in ids]
    reader = Reader(admin, ctx.stores.get_or_none(), named)
    items = [_row(r, reader) for r in rows]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)


def _id_lists(chunk_ids: Any) -> list[list[str]]:
    """The lists of chunk ids in a row: a plain list, or lists by role ({"sent": [...], "cited": [...]})."""
    if isinstance(chunk_ids, dict):
        return [list(v) for v in chunk_ids.values() if isinstance(v, list)]
    return [list(chunk_ids)] if isinstance(chunk_ids, list) else []


def _row(r: AuditLog, reader: Reader) -> AuditRowOut:
    """One row as this administrator may see it: a request above their clearance shows neither its level nor
    its chunks (nor the reason or error, which may state the level); of the others, only the chunks the
    administrator may see in the index are named."""
    above = r.level is not None and r.level > reader.user.clearance

    def visible(ids: list[str]) -> list[str]:
        return [] if above else [i for i in ids if reader.sees_chunk(i)]

    if isinstance(r.chunk_ids, dict):
        chunk_ids: Any = {k: visible(v) for k, v in r.chunk_ids.items() if isinstance(v, list)}
    else:
        chunk_ids = visible(r.chunk_ids if isinstance(r.chunk_ids, list) else [])
    named = sum(len(ids) for ids in _id_lists(r.chunk_ids))
    shown = sum(len(ids) for ids in _id_lists(chunk_ids))
    return AuditRowOut(
        id=r.id,
        time=r.time,
        user=r.user_name,
        task=r.task,
        backend=r.backend,
        model_id=r.model_id,
        mode=r.mode,
        level=None if above else r.level,
        reason=None if above else r.reason,
        outcome=r.outcome,
        error=None if above else r.error,
        chunk_ids=chunk_ids,
        withheld=above or shown < named,
        input_tokens=r.input_tokens,
        output_tokens=r.output_tokens,
        cost=r.cost,
        latency_ms=r.latency_ms,
    )
