"""/batches: batch jobs (一括作成) — upload a CSV/XLSX/JSONL of inquiries, follow progress, list items, download
the outputs (XLSX, CSV, zip with one DOCX per reply), cancel and resume.

A job runs in the API's background workers under its owner's current access rights (as chat does); a job left
unfinished by a stopped or killed API is resumed when the API starts. A job is visible to its owner and to
administrators; what a reader sees of its results follows the reader's own rights (`assistant/jobs/visibility`).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.access import principal_of
from assistant.api.deps import ContextDep, CurrentUser, Offset, RateLimitedUser
from assistant.api.errors import error_responses
from assistant.jobs.background import BatchService
from assistant.jobs.inputs import SUFFIXES
from assistant.jobs.service import FORMATS, create_from_file, output_rows, render
from assistant.jobs.store import JobStore
from assistant.jobs.visibility import WITHHELD, visible_result
from assistant.records.jobs import BatchJob
from assistant.records.models import User
from core.errors import AccessDenied, FileTooLarge, RecordConflict, RecordNotFound, UnsupportedFile

BATCH_TASKS = ("reply", "ask")
NOT_FOUND = "指定された一括作成ジョブは見つかりません。"
_service_lock = threading.Lock()


def batch_service(app: FastAPI) -> BatchService:
    """The app's batch workers, created on first use; unfinished jobs are resumed then."""
    with _service_lock:
        service = getattr(app.state, "batch_service", None)
        if service is None:
            ctx = app.state.ctx
            service = BatchService(ctx.runner, JobStore(ctx.engine))
            app.state.batch_service = service
            service.resume_unfinished()
        return service


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    batch_service(app)  # at start: jobs a stopped API left unfinished continue
    yield
    service = getattr(app.state, "batch_service", None)
    if service is not None:
        service.close()


router = APIRouter(prefix="/batches", tags=["batches"], lifespan=_lifespan)


def get_service(request: Request) -> BatchService:
    return batch_service(request.app)


ServiceDep = Annotated[BatchService, Depends(get_service)]


class BadRowOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row: int = Field(description="Row number in the file (spreadsheet numbering; JSONL: line number).")
    reason: str = Field(description="Why the row was not run (Japanese).")


class BatchCreated(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str
    n_items: int = Field(description="Rows that became items (bad rows excluded).")
    bad_rows: list[BadRowOut]
    state: str


class BatchOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str
    task: str
    state: Literal["running", "done", "cancelled"] = Field(
        description="running, done (no item left) or cancelled."
    )
    n_items: int
    done: int
    failed: int
    running: int
    pending: int
    cancelled: int
    backend: str | None
    source_name: str = Field(description="Name of the uploaded file.")
    user_name: str = Field(description="Owner of the job.")
    bad_rows: list[BadRowOut] = Field(default_factory=list)
    created_at: datetime
    finished_at: datetime | None


class BatchList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jobs: list[BatchOut]


class BatchItemOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(description="Position in the job (0-based).")
    row: int = Field(description="Row number in the uploaded file.")
    state: Literal["pending", "running", "done", "failed", "cancelled"]
    attempts: int
    error: str | None = Field(description="Japanese reason of the last failure.")
    input: dict[str, Any] = Field(description="The task input of the row.")
    result: dict[str, Any] | None = Field(
        description="The task output (e.g. a ReplyDraft) when done and visible."
    )
    withheld: str | None = Field(
        None, description="Shown instead of a result based on sources the reader may not see."
    )


class BatchItems(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str
    total: int = Field(description="Items matching the state filter.")
    items: list[BatchItemOut]


def _out(job: BatchJob, counts: dict[str, int]) -> BatchOut:
    return BatchOut(
        job_id=job.id, task=job.task, state=job.state, n_items=job.n_items,
        **{s: counts.get(s, 0) for s in ("done", "failed", "running", "pending", "cancelled")},
        backend=job.backend, source_name=job.source_name, user_name=job.user_name,
        bad_rows=[BadRowOut(**b) for b in job.bad_rows or []], created_at=job.created_at, finished_at=job.finished_at,
    )  # fmt: skip


def _job(service: BatchService, user: User, job_id: str) -> BatchJob:
    """The job if the caller owns it or is an administrator; anything else is 'not found'."""
    job = service.store.get(job_id)
    if job is None or (job.user_id != user.id and not user.is_admin):
        raise RecordNotFound(NOT_FOUND)
    return job


def _status(service: BatchService, user: User, job_id: str) -> BatchOut:
    job = _job(service, user, job_id)
    return _out(job, service.store.counts([job.id])[job.id])


async def _read_upload(ctx: ContextDep, upload: UploadFile) -> tuple[str, bytes]:
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not name.lower().endswith(SUFFIXES):
        raise UnsupportedFile(
            f"ファイル「{name or '（名前なし）'}」の形式は一括作成に使えません。CSV、XLSX、JSONL のいずれかを指定してください。"
        )
    data = await upload.read()
    if len(data) > ctx.settings.max_upload_mb * 1024 * 1024:
        raise FileTooLarge(
            f"ファイルが大きすぎます（上限 {ctx.settings.max_upload_mb:g} MB）。ファイルを分けてください。"
        )
    return name, data


@router.post(
    "", status_code=201, response_model=BatchCreated, responses=error_responses(401, 403, 413, 415, 422)
)
async def create_batch(
    user: RateLimitedUser,
    ctx: ContextDep,
    service: ServiceDep,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8 or Shift_JIS), XLSX or JSONL, one inquiry per row.")
    ],
    backend: Annotated[
        str | None, Form(description="provider/model; default: the task's default backend.")
    ] = None,
    allow_auto: Annotated[
        bool, Form(description="Allow re-routing when policy refuses the backend.")
    ] = False,
    task: Annotated[Literal["reply", "ask"], Form(description="Task run for each row.")] = "reply",
) -> BatchCreated:
    """Start a batch job. Bad rows are listed with their row number and reason; the others run."""
    name, data = await _read_upload(ctx, file)
    backend = backend or None
    principal = principal_of(user)
    if backend:
        from assistant.backends.registry import resolve

        resolve(ctx.settings, backend)  # an unknown address is refused now, not once per row
        if not principal.may_use(ctx.settings, backend):
            raise AccessDenied(
                f"モデル「{backend}」を利用する権限がありません。利用できるモデルはモデル一覧で確認してください。"
            )
    created = await run_in_threadpool(
        create_from_file, service.store, task, data, name, principal, user_id=user.id, backend=backend,
        options={"allow_auto": allow_auto},
    )  # fmt: skip
    service.start(created.job.id)
    return BatchCreated(
        job_id=created.job.id, n_items=created.job.n_items, state=created.job.state,
        bad_rows=[BadRowOut(**b) for b in created.bad_rows],
    )  # fmt: skip


@router.get("", response_model=BatchList, responses=error_responses(401))
def list_batches(user: CurrentUser, service: ServiceDep) -> BatchList:
    """The caller's jobs, newest first (administrators: everyone's)."""
    jobs = service.store.jobs(user.id, everyone=user.is_admin)
    counts = service.store.counts([job.id for job in jobs])
    return BatchList(jobs=[_out(job, counts[job.id]) for job in jobs])


@router.get("/{job_id}", response_model=BatchOut, responses=error_responses(401, 404, 422))
def get_batch(job_id: str, user: CurrentUser, service: ServiceDep) -> BatchOut:
    """Progress of a job: items by state."""
    return _status(service, user, job_id)


@router.get("/{job_id}/items", response_model=BatchItems, responses=error_responses(401, 404, 422))
def list_items(
    job_id: str,
    user: CurrentUser,
    ctx: ContextDep,
    service: ServiceDep,
    state: Annotated[Literal["pending", "running", "done", "failed", "cancelled"] | None, Query()] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> BatchItems:
    """Items of a job in file order, with their results as far as the caller may see them."""
    job = _job(service, user, job_id)
    reader, index = principal_of(user), ctx.stores.get_or_none()
    items = []
    for item in service.store.items(job.id, state, offset, limit):
        result, withheld = visible_result(item.result, reader, index)
        items.append(
            BatchItemOut(
                seq=item.seq,
                row=item.row,
                state=item.state,
                attempts=item.attempts,
                error=item.error,
                input=item.input,
                result=result,
                withheld=WITHHELD if withheld else None,
            )  # fmt: skip
        )
    return BatchItems(job_id=job.id, total=service.store.count_items(job.id, state), items=items)


@router.get(
    "/{job_id}/download",
    responses={**error_responses(401, 404, 422), 200: {"content": {t: {} for t in FORMATS.values()}}},
    response_class=Response,
)
def download(
    job_id: str,
    user: CurrentUser,
    ctx: ContextDep,
    service: ServiceDep,
    format: Annotated[
        Literal["zip", "xlsx", "csv"], Query(description="zip = XLSX + CSV + one DOCX per reply.")
    ] = "zip",  # noqa: A002
) -> Response:
    """The job's outputs (rows not yet done are listed with their state)."""
    job = _job(service, user, job_id)
    rows = output_rows(service.store, job.id, principal_of(user), ctx.stores.get_or_none())
    data = render(job.task, rows, format)
    name = f"batch-{job.id[:8]}.{format}"
    return Response(
        data, media_type=FORMATS[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{job_id}/cancel", response_model=BatchOut, responses=error_responses(401, 404, 409, 422))
def cancel_batch(job_id: str, user: CurrentUser, service: ServiceDep) -> BatchOut:
    """Stop a running job: items not yet started are cancelled, running ones stop at their next check."""
    job = _job(service, user, job_id)
    if not service.cancel(job.id):
        raise RecordConflict("この一括作成ジョブは実行中ではないため、取り消すことはできません。")
    return _status(service, user, job.id)


@router.post("/{job_id}/resume", response_model=BatchOut, responses=error_responses(401, 404, 409, 422))
def resume_batch(job_id: str, user: CurrentUser, service: ServiceDep) -> BatchOut:
    """Run a job again: cancelled and failed items are queued again (done items are kept)."""
    job = _job(service, user, job_id)
    service.store.resume(job.id)
    status = _status(service, user, job.id)
    if status.state != "running":
        raise RecordConflict("再開する項目がありません（すべての項目が完了しています）。")
    service.start(job.id)
    return status
