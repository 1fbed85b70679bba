"""GET /health: liveness for load balancers and the UI (no authentication, no details)."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from assistant.api.deps import ContextDep
from assistant.api.schemas import HealthOut

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def api_version() -> str:
    try:
        return version("yakuba")
    except PackageNotFoundError:
        return "unknown"


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The records database cannot be reached."}},
)
def health(ctx: ContextDep) -> JSONResponse:
    """`status` is `ok` when the database answers and an index exists; 503 when the database is down."""
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database_ok = True
    except Exception:  # any driver error means the database is not usable
        log.exception("health check: database unreachable")
        database_ok = False
    index_present = ctx.stores.present()
    body = HealthOut(
        status="ok" if database_ok and index_present else "degraded",
        version=api_version(),
        index_present=index_present,
        database_ok=database_ok,
    )
    return JSONResponse(body.model_dump(), status_code=200 if database_ok else 503)
