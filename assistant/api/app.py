"""The FastAPI application factory (`uvicorn --factory assistant.api.app:create_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline

from assistant.api.auth import check_proxy_settings
from assistant.api.context import ApiContext
from assistant.api.errors import install_error_handlers
from assistant.api.routes import (
    account,
    attachments,
    audit,
    batches,
    chat,
    conversations,
    documents,
    feedback,
    health,
    minutes,
    models,
    replies,
    search,
    sessions,
    sources,
    usage,
)
from assistant.config import Settings, get_settings
from assistant.prompts import validate_all

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder

DESCRIPTION = """Yakuba (役場): answers from the organisation's documents, with citations.

Authenticate with `Authorization: Bearer <API key>` (keys are issued with `yakuba users add`), with a
session token that POST /sessions issues after a key sign-in (`Bearer ys_...`, expiring and revocable), or
through a configured authenticating reverse proxy. Every error has the body
`{"error": code, "message": Japanese text for the user}`.
"""


# ReDoc draws its "API docs by Redocly" logo from cdn.redoc.ly: on the reference pages the browser may load nothing
# but this server's own files (inline scripts and styles are the pages' own; ReDoc runs its search in a blob worker).
_REFERENCE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
)


async def _reference_stays_on_this_server(request: Request, call_next):  # noqa: ANN202 - Starlette middleware
    response = await call_next(request)
    if request.url.path in ("/docs", "/redoc"):
        response.headers["Content-Security-Policy"] = _REFERENCE_CSP
    return response


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    """Build the API. `settings` defaults to the process settings; `embedder` replaces the one
    named in the index manifest (tests pass a fast one)."""
    settings = settings or get_settings()
    check_proxy_settings(settings)
    validate_all()  # a broken prompt template fails at start-up, not mid-request
    ctx = ApiContext.build(settings, embedder)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.close()

    # /docs and /redoc serve Swagger UI and ReDoc from the installed fastapi-offline package, not from a CDN:
    # the reference works on a closed network.
    app = FastAPIOffline(
        title="Yakuba API",
        version=health.api_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.middleware("http")(_reference_stays_on_this_server)
    install_error_handlers(app)
    body_limit = settings.max_body_kb * 1024
    for module in (account, chat, conversations, search, models, feedback, usage, audit, health, replies, sources):
        app.include_router(module.router, max_body_size=body_limit)
    app.include_router(sessions.router, max_body_size=body_limit)
    app.include_router(documents.router, max_body_size=documents.upload_body_limit(settings.max_upload_mb))
    app.include_router(batches.router, max_body_size=documents.upload_body_limit(settings.max_upload_mb))
    app.include_router(minutes.router, max_body_size=documents.upload_body_limit(settings.max_upload_mb))
    app.include_router(attachments.router, max_body_size=documents.upload_body_limit(settings.max_upload_mb))
    # Routers of packages above this one (e.g. /evals from evals/) register themselves as entry points of the
    # group "yakuba.api_routers" in pyproject.toml, so the API does not import them by name: `evals` drives the
    # tasks of `assistant`, and `assistant` does not import `evals` back.
    for entry in entry_points(group="yakuba.api_routers"):
        app.include_router(entry.load(), max_body_size=body_limit)
    return app
