"""Original files of cited sources: links that open them (a PDF at the cited page) and the files
themselves, only for users who may see every chunk of the document; every open is audited.

- `GET /sources/{chunk_id}` and `POST /sources/links`: where the file of a cited chunk can be opened
  (a path with a signed, expiring token, for the browser, which does not hold the API key).
- `GET /sources/{chunk_id}/file`: the file, for API clients (Bearer key or trusted proxy).
- `GET /sources/open/{token}`: the file, for the browser tab opened from the UI.

A chunk of a file attached to a conversation (`att-…`) is never served here, to anyone: it lives in its
conversation only, and its file is not kept (the owner sees its place in the citation). Such ids are refused
before the index is consulted, so no other user can learn whether one exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from pydantic import Field

from assistant.api.attachments import is_attachment_chunk
from assistant.api.context import ApiContext
from assistant.api.deps import ContextDep, CurrentUser, StoreDep
from assistant.api.errors import error_responses
from assistant.api.schemas import ApiModel
from assistant.api.source_files import (
    NOT_FOUND,
    LinkExpired,
    SourceFile,
    find_source_file,
    read_link,
    sign_link,
)
from assistant.records import AuditEntry, append_audit
from assistant.records.models import User
from core.errors import RecordNotFound

router = APIRouter(prefix="/sources", tags=["sources"])
UNKNOWN_USER = "(unknown)"  # audited user of a link whose token could not be read
FILE_RESPONSE = {
    200: {
        "description": "The original file: a PDF inline (the viewer honours `#page=N`), other formats as an "
        "attachment; named in Content-Disposition.",
        "content": {"application/pdf": {}, "application/octet-stream": {}},
    }
}
ChunkId = Annotated[
    str, Path(min_length=1, max_length=64, description="Id of a cited chunk (`citations[].chunk_id`).")
]


class SourceLinkOut(ApiModel):
    chunk_id: str
    title: str = Field(description="Title of the document.")
    file_name: str = Field(description="Name of the original file.")
    media_type: str = Field(description="Media type the file is served with.")
    inline: bool = Field(
        description="True when the browser shows the file (PDF); otherwise it is downloaded."
    )
    location: str = Field(
        description="Place of the chunk in the document, in Japanese (page, sheet, slide …)."
    )
    page: int | None = None
    sheet: str | None = None
    slide: int | None = None
    opens_at: Literal["page"] | None = Field(
        None, description="`page` when the link opens the file at the chunk's page; else show `location`."
    )
    url: str = Field(
        description="Path (relative to the API's address) that opens the file in a browser, with "
        "`#page=N` for a PDF; valid until `expires_at`, for the user it was issued to only."
    )
    expires_at: datetime


class SourceLinksRequest(ApiModel):
    chunk_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=50)


class SourceLinksOut(ApiModel):
    links: list[SourceLinkOut] = Field(
        description="Links for the chunks whose file the caller may open; the others are left out."
    )


def _audit(
    ctx: ApiContext, user: str, chunk_id: str, via: str, found: SourceFile | None, error: str = ""
) -> None:
    extra: dict[str, object] = {"via": via}
    if found is not None:
        extra |= {"source": found.chunk.source, "location": found.chunk.location}
    append_audit(
        ctx.engine,
        AuditEntry(
            user=user, task="source_open", outcome="ok" if found else "refused",
            level=found.level if found else None, reason="open" if found else error or "not_found",
            chunk_ids=[chunk_id], extra=extra,
        ),
    )  # fmt: skip


def _link(ctx: ApiContext, user: User, found: SourceFile) -> SourceLinkOut:
    chunk = found.chunk
    token = sign_link(ctx.settings, user, chunk.chunk_id)
    return SourceLinkOut(
        chunk_id=chunk.chunk_id, title=chunk.title, file_name=found.file_name, media_type=found.media_type,
        inline=found.inline, location=chunk.location, page=chunk.page, sheet=chunk.sheet, slide=chunk.slide,
        opens_at=found.opens_at, url=f"/sources/open/{token}{found.fragment}",
        expires_at=datetime.now(UTC) + timedelta(minutes=ctx.settings.source_link_minutes),
    )  # fmt: skip


def _file_response(found: SourceFile) -> FileResponse:
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.file_name,  # Content-Disposition with filename*=UTF-8'' for Japanese names
        content_disposition_type="inline" if found.inline else "attachment",
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # the link's token stays out of other sites' logs
        },
    )


def _first_request(request: Request) -> bool:
    """Not a later piece of the same open: a browser's PDF viewer fetches a large file in byte ranges, and
    only the request from its first byte is audited as an open (every request is checked all the same)."""
    ranges = request.headers.get("range", "").replace(" ", "")
    return not ranges or ranges.startswith("bytes=0-")


def _find(ctx: ApiContext, store: object, user: User, chunk_id: str) -> SourceFile:
    if is_attachment_chunk(chunk_id):
        raise RecordNotFound(NOT_FOUND)
    return find_source_file(ctx.settings, store, user, chunk_id)


def _serve(ctx: ApiContext, request: Request, user: User, chunk_id: str, via: str) -> FileResponse:
    store = ctx.stores.get()
    try:
        found = _find(ctx, store, user, chunk_id)
    except RecordNotFound:
        _audit(ctx, user.name, chunk_id, via, None)
        raise
    if _first_request(request):
        _audit(ctx, user.name, chunk_id, via, found)
    return _file_response(found)


@router.post("/links", response_model=SourceLinksOut, responses=error_responses(401, 422, 503))
def source_links(
    body: SourceLinksRequest, user: CurrentUser, ctx: ContextDep, store: StoreDep
) -> SourceLinksOut:
    """Links that open the original files of several cited chunks (those the caller may not open are left out)."""
    links = []
    for chunk_id in dict.fromkeys(body.chunk_ids):
        try:
            links.append(_link(ctx, user, _find(ctx, store, user, chunk_id)))
        except RecordNotFound:
            continue
    return SourceLinksOut(links=links)


@router.get("/open/{token}", response_class=FileResponse, responses=FILE_RESPONSE | error_responses(404, 422, 503))
def open_source(
    token: Annotated[str, Path(max_length=512)], request: Request, ctx: ContextDep
) -> FileResponse:
    """The original file, for a browser tab opened from the web UI: the token names the user and the
    chunk; the user's current rights are checked again. PDFs are shown inline (at `#page=N`)."""
    from assistant.records import get_user

    try:
        name, chunk_id = read_link(ctx.settings, token)
    except RecordNotFound as exc:
        _audit(
            ctx,
            UNKNOWN_USER,
            "",
            "link",
            None,
            error="expired" if isinstance(exc, LinkExpired) else "bad_link",
        )
        raise
    with ctx.sessions() as session:
        user = get_user(session, name)
    if user is None or user.disabled:
        _audit(ctx, name, chunk_id, "link", None, error="user_disabled")
        raise RecordNotFound(NOT_FOUND)
    return _serve(ctx, request, user, chunk_id, "link")


@router.get("/{chunk_id}", response_model=SourceLinkOut, responses=error_responses(401, 404, 422, 503))
def source_link(chunk_id: ChunkId, user: CurrentUser, ctx: ContextDep, store: StoreDep) -> SourceLinkOut:
    """Where the original file of a cited chunk opens (404 when the caller may not open it, or it is gone)."""
    return _link(ctx, user, _find(ctx, store, user, chunk_id))


@router.get(
    "/{chunk_id}/file", response_class=FileResponse, responses=FILE_RESPONSE | error_responses(401, 404, 422, 503)
)
def source_file(chunk_id: ChunkId, request: Request, user: CurrentUser, ctx: ContextDep) -> FileResponse:
    """The original file of a cited chunk, with its media type and file name."""
    return _serve(ctx, request, user, chunk_id, "api")
