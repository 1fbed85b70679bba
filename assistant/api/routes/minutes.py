"""/minutes: meeting minutes (議事録) — draft them from a transcript, watch long sessions being drafted, review
and export them.

POST /minutes/draft takes an uploaded transcript file (multipart: `file` plus the form fields of `MinutesInput`)
or JSON with pasted text. A short transcript is drafted at once (201, the job done with its minutes); a long one
(more than `minutes_map_chars` characters) runs in the background (202): GET /minutes/jobs/{id} gives its
progress and, once done, the minutes. Minutes follow the review workflow of reply drafts (下書き → 確認依頼 →
承認済 / 差戻し; reviewers are administrators and members of `reply_approver_groups`, never the author); every
edit, step and export is audited, refused attempts included.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.status import HTTP_201_CREATED, HTTP_202_ACCEPTED

from assistant.api.access import principal_of
from assistant.api.deps import ContextDep, CurrentUser, Offset, RateLimitedUser
from assistant.api.errors import InvalidInput, error_responses, validation_message
from assistant.api.minutes_flow import (
    EditRequest,
    JobOut,
    MinutesList,
    MinutesOut,
    MinutesRequest,
    TurnList,
    audit_step,
    build_input,
    check_clearance,
    export_minutes,
    job_out,
    minutes_out,
    source_turns,
    split_names,
    summary_of,
    transcript_chars,
)
from assistant.api.minutes_jobs import MinutesJobs
from assistant.api.review_flow import State, TransitionRequest, audited
from assistant.records.minutes import (
    MinutesJob,
    edit_minutes,
    get_minutes,
    list_minutes,
    transition_minutes,
)
from assistant.records.models import User
from core.errors import AccessDenied, FileTooLarge, RecordNotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from assistant.records.drafts import ReplyDraftRecord

JOB_NOT_FOUND = "指定された議事録作成の処理は見つかりません。"
NOT_BACKEND = (
    "モデル「{backend}」を利用する権限がありません。利用できるモデルはモデル一覧で確認してください。"
)
FORM_FIELDS = ("title", "held_on", "place", "attendees", "agenda")
_jobs_lock = threading.Lock()


def minutes_jobs(app: FastAPI) -> MinutesJobs:
    """The app's minutes jobs, created on first use; jobs a stopped API left running are resumed then."""
    with _jobs_lock:
        jobs = getattr(app.state, "minutes_jobs", None)
        if jobs is None:
            jobs = MinutesJobs(app.state.ctx)
            app.state.minutes_jobs = jobs
            jobs.resume_unfinished()
        return jobs


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    minutes_jobs(app)
    yield
    jobs = getattr(app.state, "minutes_jobs", None)
    if jobs is not None:
        jobs.close()


router = APIRouter(prefix="/minutes", tags=["minutes"], lifespan=_lifespan)

_MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "Transcript: txt, md, vtt, srt, docx, json.",
        },
        "style": {"type": "string", "enum": ["要点筆記", "発言録", "質疑応答"]},
        "max_chars": {"type": "integer", "description": "Length limit per item (「100字以内」)."},
        "backend": {"type": "string"},
        "allow_fallback": {"type": "boolean"},
        "classification": {"type": "integer", "minimum": 1, "maximum": 3},
        "title": {"type": "string"},
        "held_on": {"type": "string"},
        "place": {"type": "string"},
        "attendees": {"type": "string", "description": "One name a line, or separated by 「、」."},
        "agenda": {"type": "string", "description": "One agenda item a line."},
        "meeting": {
            "type": "integer",
            "minimum": 1,
            "description": "Which meeting of a JSON file of several.",
        },
    },
}
def _inlined(schema: dict) -> dict:
    """The schema with its `$defs` written in place of their `$ref`s: a hand-made request body is not among
    the components FastAPI collects, so a `#/components/schemas/...` reference would point nowhere (ReDoc
    refuses the whole page). Written by hand because pydantic has no option to inline definitions."""
    defs = schema.pop("$defs", {})

    def resolve(node: object) -> object:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)  # type: ignore[return-value]


_BODIES = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": _inlined(MinutesRequest.model_json_schema())
            },
            "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
        },
    }
}


def _check_backend(ctx: ContextDep, user: User, backend: str | None) -> None:
    if backend:
        from assistant.backends.registry import resolve

        resolve(ctx.settings, backend)  # an unknown address is refused now
        if not principal_of(user).may_use(ctx.settings, backend):
            raise AccessDenied(NOT_BACKEND.format(backend=backend))


async def _from_form(request: Request, ctx: ContextDep) -> tuple[Any, str | None, bool, str]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(
            "発言記録のファイルを選択してください。",
            [{"loc": ["body", "file"], "msg": "missing", "type": "missing"}],
        )
    data = await upload.read()
    if len(data) > ctx.settings.max_upload_mb * 1024 * 1024:
        raise FileTooLarge(f"ファイルが大きすぎます（上限 {ctx.settings.max_upload_mb:g} MB）。")
    field = {key: str(form.get(key) or "").strip() for key in (*FORM_FIELDS, "style", "max_chars", "backend")}
    particulars: dict[str, Any] = {key: field[key] for key in ("title", "held_on", "place")}
    particulars |= {"attendees": split_names(field["attendees"]), "agenda": split_names(field["agenda"])}
    try:
        inp = build_input(
            data, upload.filename, particulars, style=field["style"] or "要点筆記",  # type: ignore[arg-type]
            max_chars=int(field["max_chars"]) if field["max_chars"] else None,
            classification=int(str(form.get("classification") or 1)),
            meeting=int(str(form.get("meeting"))) if form.get("meeting") else None,
        )  # fmt: skip
    except (ValidationError, ValueError) as exc:
        errors = (
            exc.errors()
            if isinstance(exc, ValidationError)
            else [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]
        )
        raise InvalidInput(validation_message(errors), []) from exc
    allow = str(form.get("allow_fallback") or "").lower() in ("1", "true", "on", "yes")
    return inp, field["backend"] or None, allow, upload.filename or ""


async def _from_json(request: Request) -> tuple[Any, str | None, bool, str]:
    try:
        body = MinutesRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc.errors()), []) from exc
    inp = body.input
    if not inp.turns:
        particulars = {key: getattr(inp, key) for key in FORM_FIELDS}
        inp = build_input(
            inp.transcript, None, particulars, style=inp.style, max_chars=inp.max_chars,
            classification=inp.classification, meeting=body.meeting,
        )  # fmt: skip
    return inp, body.backend, body.allow_fallback, ""


@router.post(
    "/draft",
    status_code=HTTP_202_ACCEPTED,
    response_model=JobOut,
    openapi_extra=_BODIES,
    responses={
        201: {"model": JobOut, "description": "Drafted at once."},
        **error_responses(400, 401, 403, 413, 415, 422, 429, 503, 504),
    },
)
async def draft(request: Request, response: Response, user: RateLimitedUser, ctx: ContextDep) -> JobOut:
    """Draft minutes from a transcript: 201 with the minutes for a short one, 202 with a job to watch otherwise."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        inp, backend, allow, source = await _from_form(request, ctx)
    else:
        inp, backend, allow, source = await _from_json(request)
    check_clearance(user, inp.classification)
    _check_backend(ctx, user, backend)
    jobs = minutes_jobs(request.app)
    job_id = await asyncio.to_thread(jobs.create, user, inp, backend, allow, source)
    if transcript_chars(inp) > ctx.settings.minutes_map_chars:
        jobs.start(job_id)
        return _job(ctx, user, job_id)
    future = asyncio.get_running_loop().run_in_executor(ctx.chat_executor, jobs.run, job_id)
    try:
        await asyncio.wait_for(future, ctx.settings.chat_timeout_seconds)
    except TimeoutError:
        jobs.start(job_id)  # not done in time: it goes on in the background (202)
    out = _job(ctx, user, job_id)
    if out.state == "done":
        response.status_code = HTTP_201_CREATED
    return out


def _job(ctx: ContextDep, user: User, job_id: str) -> JobOut:
    with ctx.sessions() as session:
        job = session.get(MinutesJob, job_id)
        if job is None or job.owner_id != user.id:
            raise RecordNotFound(JOB_NOT_FOUND)
        minutes = None
        if job.draft_id:
            record = get_minutes(session, user, job.draft_id, ctx.settings.reply_approver_groups)
            minutes = minutes_out(ctx, user, record)
        return job_out(job, minutes)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=error_responses(401, 404, 422))
def get_job(job_id: str, request: Request, user: CurrentUser, ctx: ContextDep) -> JobOut:
    """Progress of a drafting job (its author only); once done, the minutes. A job whose worker stopped is
    resumed here."""
    out = _job(ctx, user, job_id)
    if out.state == "running":
        with ctx.sessions() as session:
            job = session.get(MinutesJob, job_id)
            if job is not None:
                minutes_jobs(request.app).resume_if_stale(job)
    return out


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=error_responses(401, 404, 422))
def cancel_job(job_id: str, request: Request, user: CurrentUser, ctx: ContextDep) -> JobOut:
    _job(ctx, user, job_id)  # the author's only
    minutes_jobs(request.app).cancel(job_id)
    return _job(ctx, user, job_id)


@router.get("", response_model=MinutesList, responses=error_responses(401, 422))
def list_all(
    user: CurrentUser,
    ctx: ContextDep,
    state: Annotated[State | None, Query(description="Only minutes in this state.")] = None,
    mine: Annotated[
        bool | None, Query(description="true = the caller's own; false = others' (the review queue).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> MinutesList:
    """Minutes the caller may open, most recently updated first."""
    with ctx.sessions() as session:
        records = list_minutes(
            session,
            user,
            ctx.settings.reply_approver_groups,
            state=state,
            mine=mine,
            limit=limit,
            offset=offset,
        )
        return MinutesList(minutes=[summary_of(ctx, user, r) for r in records])


@router.get("/{draft_id}", response_model=MinutesOut, responses=error_responses(401, 403, 404, 422))
def get_one(draft_id: str, user: CurrentUser, ctx: ContextDep) -> MinutesOut:
    with ctx.sessions() as session:
        return minutes_out(
            ctx, user, get_minutes(session, user, draft_id, ctx.settings.reply_approver_groups)
        )


@router.get("/{draft_id}/turns", response_model=TurnList, responses=error_responses(401, 403, 404, 422))
def turns(draft_id: str, user: CurrentUser, ctx: ContextDep) -> TurnList:
    """The transcript's turns the minutes were drafted from (speaker and text of every cited turn)."""
    with ctx.sessions() as session:
        record = get_minutes(session, user, draft_id, ctx.settings.reply_approver_groups)
        return TurnList(turns=source_turns(session, record))


@router.put("/{draft_id}", response_model=MinutesOut, responses=error_responses(401, 403, 404, 409, 422))
def edit(draft_id: str, body: EditRequest, user: CurrentUser, ctx: ContextDep) -> MinutesOut:
    """Save an edit by the author (下書き or 差戻し) as a new version."""

    def step(session: Session) -> tuple[ReplyDraftRecord, str, MinutesOut]:
        record = edit_minutes(
            session, user, draft_id, body.minutes, base_version=body.base_version, comment=body.comment
        )
        return record, record.state, minutes_out(ctx, user, record)

    return audited(ctx, user, draft_id, "edit", step, audit_step, detail={"comment": body.comment})


@router.post(
    "/{draft_id}/transition", response_model=MinutesOut, responses=error_responses(401, 403, 404, 409, 422)
)
def transition(draft_id: str, body: TransitionRequest, user: CurrentUser, ctx: ContextDep) -> MinutesOut:
    """submit (確認依頼, by the author), approve (承認) or return (差戻し, with a comment) by a reviewer."""

    def step(session: Session) -> tuple[ReplyDraftRecord, str, MinutesOut]:
        groups = ctx.settings.reply_approver_groups
        record, before = transition_minutes(session, user, draft_id, body.action, body.comment, groups)
        return record, before, minutes_out(ctx, user, record)

    return audited(ctx, user, draft_id, body.action, step, audit_step, detail={"comment": body.comment})


@router.get(
    "/{draft_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "The minutes in the official layout; 「案」 unless approved.",
            "content": {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {},
                "text/markdown": {},
            },
        },
        **error_responses(401, 403, 404, 422),
    },
)
def export(
    draft_id: str,
    user: CurrentUser,
    ctx: ContextDep,
    format: Annotated[Literal["docx", "md"], Query(description="docx or md.")] = "docx",  # noqa: A002
) -> Any:
    """The current version as DOCX or Markdown (the 機密性 label from level 2; 「案」 until approved)."""

    def step(session: Session) -> tuple[ReplyDraftRecord, str, tuple[bytes, str, str]]:
        record = get_minutes(session, user, draft_id, ctx.settings.reply_approver_groups)
        return record, record.state, export_minutes(record, format)

    content, media, name = audited(
        ctx, user, draft_id, "export", step, audit_step, write=False, detail={"format": format}
    )
    disposition = f"attachment; filename=\"minutes.{format}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
