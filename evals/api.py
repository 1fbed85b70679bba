"""/evals: evaluation suites and runs over HTTP (registered as a `yakuba.api_routers` entry point, so `assistant`
never imports `evals`).

Only administrators and members of `evaluator_groups` may list, read or start runs. A run started here is
executed by `evals.runner.run_suite` on a small thread pool kept on `app.state`, as the caller: retrieval sees only
the documents the caller may see. Its id is fixed before it starts, so POST answers at once and GET
/evals/{run_id} reports `progress` while it runs (kept in memory: a restarted service forgets it, and a run it
was executing stays `running` until resumed with `yakuba eval run --resume RUN_ID`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from assistant.api.access import principal_of
from assistant.api.deps import ContextDep, CurrentUser, Offset, RateLimitedUser
from assistant.api.errors import error_responses
from assistant.config import Settings
from assistant.records.models import User
from core.errors import AccessDenied, InvalidRecord, RecordNotFound, YakubaError
from evals.api_schemas import (
    ComparisonOut,
    DatasetOut,
    ItemOut,
    ProgressOut,
    RunList,
    RunOut,
    RunSummaryOut,
    StartRunRequest,
    StartRunResponse,
    SuiteList,
    SuiteOut,
)

log = logging.getLogger(__name__)

EVAL_WORKERS = 1  # runs executed at once by one API process; later ones wait their turn ("queued")
NOT_EVALUATOR = (
    "評価の実行及び結果の閲覧は、管理者又は評価担当の職員のみ行うことができます。"
    "必要な場合は、管理者にお問い合わせください。"
)
RUN_FAILED = "評価の実行中に問題が発生しました。管理者にお問い合わせください。"


# ---------------------------------------------------------------------------------------------- jobs


class EvalJobs:
    """Runs started by this API process: a small pool and each run's state while it is queued or running."""

    def __init__(self, workers: int = EVAL_WORKERS):
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="yakuba-eval-job")
        self._lock = threading.Lock()
        self._state: dict[str, dict[str, Any]] = {}

    def set(self, run_id: str, **values: Any) -> None:
        with self._lock:
            self._state.setdefault(run_id, {"done": 0}).update(values)

    def tick(self, run_id: str) -> None:
        with self._lock:
            self._state[run_id]["done"] += 1

    def get(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            state = self._state.get(run_id)
            return dict(state) if state is not None else None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


_JOBS_LOCK = threading.Lock()


def jobs_of(app: FastAPI) -> EvalJobs:
    with _JOBS_LOCK:
        if getattr(app.state, "eval_jobs", None) is None:
            app.state.eval_jobs = EvalJobs()
        return app.state.eval_jobs


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    jobs = getattr(app.state, "eval_jobs", None)
    if jobs is not None:
        jobs.close()  # queued runs are dropped; a running one finishes its current items


router = APIRouter(prefix="/evals", tags=["evals"], lifespan=_lifespan)


def may_evaluate(settings: Settings, user: User) -> bool:
    return user.is_admin or bool(set(user.groups or []) & set(settings.evaluator_groups))


def get_evaluator(user: CurrentUser, ctx: ContextDep) -> User:
    if not may_evaluate(ctx.settings, user):
        raise AccessDenied(NOT_EVALUATOR)
    return user


def get_rate_limited_evaluator(user: RateLimitedUser, ctx: ContextDep) -> User:
    return get_evaluator(user, ctx)


Evaluator = Annotated[User, Depends(get_evaluator)]
RateLimitedEvaluator = Annotated[User, Depends(get_rate_limited_evaluator)]


# ---------------------------------------------------------------------------------------------- routes


@router.get("/suites", response_model=SuiteList, responses=error_responses(401, 403))
def list_suites(user: Evaluator) -> SuiteList:
    """The packaged suites (those with status `planned` cannot run yet)."""
    from evals import suite as suites

    rows = []
    for name in suites.list_suites():
        try:
            s = suites.load_suite(name)
        except YakubaError as exc:
            log.warning("suite %s not listed: %s", name, exc.message)
            continue
        rows.append(SuiteOut(name=s.name, task=s.task, description=s.description, status=s.status,
                             variants=[v.name for v in s.variants], limit=s.limit))  # fmt: skip
    return SuiteList(suites=rows)


@router.get("", response_model=RunList, responses=error_responses(401, 403, 422))
def list_runs(user: Evaluator, ctx: ContextDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> RunList:
    """Runs, newest first."""
    from evals.records import list_runs as stored_runs
    from evals.records import load_run

    rows = []
    for row in stored_runs(ctx.settings, limit=limit):
        try:
            visible = may_read_run(user, load_run(ctx.settings, row["run_id"]))
        except YakubaError:
            visible = False
        if visible:
            rows.append(RunSummaryOut(**row))
    return RunList(runs=rows)


def may_read_run(user: User, record: dict[str, Any]) -> bool:
    """A run holds source and answer text seen with its runner's rights: its owner reads it, and an administrator
    whose clearance and groups cover the runner's; nobody else (the run is then reported as not found)."""
    if record.get("user") == user.name:
        return True
    access = record.get("access") or {}
    clearance = access.get("clearance") or 3  # a local operator's run (no ceiling) counts as the highest level
    groups = set(access.get("groups") or [])
    return user.is_admin and clearance <= user.clearance and groups <= set(user.groups or [])


def _readable(settings: Settings, user: User, run_id: str) -> dict[str, Any]:
    from evals.records import load_run

    record = load_run(settings, run_id)
    if not may_read_run(user, record):
        raise RecordNotFound(f"評価の実行「{run_id}」は見つかりません。")
    return record


def _load(settings: Settings, user: User, run_ids: list[str]) -> list[dict[str, Any]]:
    from evals.records import load_items

    return [{**_readable(settings, user, r), "items": load_items(settings, r)} for r in run_ids]


@router.get("/compare", response_model=ComparisonOut, responses=error_responses(401, 403, 404, 422))
def compare(
    user: Evaluator,
    ctx: ContextDep,
    runs: Annotated[
        list[str], Query(min_length=2, max_length=6, description="Run ids; the first is the baseline.")
    ],
) -> ComparisonOut:
    """Every (run, variant) against the first: means with intervals, deltas, paired bootstrap significance."""
    from evals.compare import compare_runs

    return ComparisonOut.model_validate(compare_runs(_load(ctx.settings, user, runs)).to_dict())


def _item(row: dict[str, Any]) -> ItemOut:
    from evals.compare import question_of

    return ItemOut(
        id=str(row.get("id", "")), variant=row.get("variant", ""), question=question_of(row),
        input=row.get("input") or {}, expected=row.get("expected") or {}, text=row.get("text") or "",
        scores=row.get("scores") or {}, error=row.get("error"), latency_ms=int(row.get("latency_ms") or 0),
        backend=row.get("backend") or "", mode=row.get("mode") or "", citations=row.get("citations") or [],
    )  # fmt: skip


def _progress(record: dict[str, Any], state: dict[str, Any] | None) -> ProgressOut | None:
    if state is None or record.get("status") != "running":
        return None
    total = int(record.get("dataset", {}).get("n_items") or 0) * len(record.get("variants") or [])
    return ProgressOut(done=min(state["done"], total), total=total)


def _run_out(record: dict[str, Any], state: dict[str, Any] | None) -> RunOut:
    data = record.get("dataset") or {}
    dataset = DatasetOut(
        name=data.get("name", ""), file=Path(str(data.get("path", ""))).name, sha256=data.get("sha256", ""),
        n_items=int(data.get("n_items") or 0), bad_rows=data.get("bad_rows") or [],
    )  # fmt: skip
    return RunOut(
        run_id=record["run_id"], suite=record["suite"], task=record["task"], status=record["status"],
        progress=_progress(record, state), user=record.get("user") or "", created=record.get("created"),
        finished=record.get("finished"), git_commit=record.get("git_commit"), task_version=record.get("task_version"),
        dataset=dataset, variants=record.get("variants") or [], scorers=record.get("scorers") or [],
        thresholds=record.get("thresholds") or {}, metrics=record.get("metrics") or {},
        threshold_failures=record.get("threshold_failures") or [],
    )  # fmt: skip


@router.get("/{run_id}", response_model=RunOut, responses=error_responses(401, 403, 404, 422))
def read_run(
    run_id: str,
    request: Request,
    user: Evaluator,
    ctx: ContextDep,
    items: Annotated[bool, Query(description="Include one page of the run's items.")] = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RunOut:
    """A run's record (metrics with 95% intervals per variant), its progress while running, optionally items."""
    from evals.records import RUN_FILE, load_items, run_path

    state = jobs_of(request.app).get(run_id)
    if state is not None and state["user"] != user.name and not user.is_admin:
        state = None  # another user's queued run: not found, like any run the caller may not read
    if state is not None and not (run_path(ctx.settings, run_id) / RUN_FILE).is_file():
        # queued, or failed before its record was written
        status = "failed" if state.get("error") else "queued"
        return RunOut(run_id=run_id, suite=state["suite"], task=state["task"], status=status,
                      error=state.get("error"), user=state["user"], progress=ProgressOut(done=0, total=0))  # fmt: skip
    out = _run_out(_readable(ctx.settings, user, run_id), state)
    if state is not None and state.get("error"):
        out.error = state["error"]
    if items:
        rows = load_items(ctx.settings, run_id)
        out.items_total = len(rows)
        out.items = [_item(row) for row in rows[offset : offset + limit]]
    return out


@router.get(
    "/{run_id}/report",
    response_model=None,
    # Errors stay JSON (ErrorBody); only the report itself is HTML.
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                     "description": "One self-contained HTML file."},
               **error_responses(401, 403, 404, 422)},
)  # fmt: skip
def report(
    run_id: str,
    user: Evaluator,
    ctx: ContextDep,
    with_runs: Annotated[
        list[str] | None,
        Query(alias="with", max_length=5, description="Other run ids to compare against this one."),
    ] = None,
) -> HTMLResponse:
    """The HTML report of the run (and of the runs given with `with`): plots, tables and per-item drill-down."""
    from evals.report import render_report

    html = render_report(_load(ctx.settings, user, [run_id, *(with_runs or [])]))
    headers = {"Content-Disposition": f'inline; filename="report-{run_id}.html"'}
    return HTMLResponse(html, headers=headers)


def _check_backends(settings: Settings, user: User, backends: list[str]) -> None:
    from assistant.backends.registry import resolve

    for address in backends:
        resolve(settings, address)  # UnknownBackendError (400) with a Japanese message
        if not principal_of(user).may_use(settings, address):
            raise AccessDenied(f"モデル「{address}」は、ご利用の権限では評価に使用できません。")


@router.post(
    "",
    response_model=StartRunResponse,
    status_code=202,
    responses=error_responses(400, 401, 403, 404, 422, 429),
)
def start_run(
    body: StartRunRequest, request: Request, user: RateLimitedEvaluator, ctx: ContextDep
) -> StartRunResponse:
    """Start a run of a packaged suite in the background, as the caller; answers with its id at once."""
    from evals.runner import new_run_id, run_suite
    from evals.suite import list_suites as suite_names
    from evals.suite import load_suite

    if body.suite not in suite_names():
        known = "、".join(suite_names()) or "なし"
        raise RecordNotFound(f"評価セット「{body.suite}」は登録されていません（登録済み: {known}）。")
    suite = load_suite(body.suite)
    if not suite.runnable:
        raise InvalidRecord(f"評価セット「{suite.name}」はまだ実行できません（対象の業務が未実装です）。")
    _check_backends(ctx.settings, user, body.backends or [])
    run_id = new_run_id(suite.name)
    jobs = jobs_of(request.app)
    jobs.set(run_id, suite=suite.name, task=suite.task, user=user.name)
    principal = principal_of(user)
    settings = ctx.settings

    def work() -> None:
        try:
            # No cache: its key does not name the principal, so another user's sources could come back.
            run_suite(
                suite, settings, backends=body.backends or None, limit=body.limit, principal=principal,
                progress=False, use_cache=False, on_progress=lambda _d, _t: jobs.tick(run_id), run_id=run_id,
            )  # fmt: skip
        except YakubaError as exc:
            log.warning("eval run %s failed: %s", run_id, exc.message)
            jobs.set(run_id, error=exc.message)
        except Exception:
            log.exception("eval run %s failed", run_id)
            jobs.set(run_id, error=RUN_FAILED)

    jobs.pool.submit(work)
    return StartRunResponse(run_id=run_id, status="queued")
