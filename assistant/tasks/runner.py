"""The one runner: principal → sources → route → stream → validate → cite → audit → typed result.

Used alike by the API, the CLI, batch workers and evaluation runs. It persists nothing: whoever called it stores
the result (a conversation, a draft, an evaluation record). Every outcome is audited exactly once: model calls,
refusals and backend errors by the router, everything else (answers given without a model, refusals and errors
before routing) here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.audit import auditing_queries
from assistant.extractive import EXTRACTIVE_NOTICE
from assistant.router import ModelRequest, Router
from assistant.tasks.base import Principal, Sources, Task, TaskContext, TaskOutput, Usage
from core.errors import AccessDenied, Cancelled, PolicyRefused, TaskTimeout, YakubaError
from core.policy import level_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from assistant.config import Settings
    from assistant.retrieval.base import Store
    from assistant.router import Decision

log = logging.getLogger(__name__)

Out = TypeVar("Out", bound=TaskOutput)

NO_MODEL_REASON = "質問に関連する資料が見つからないため、モデルを呼び出さずに回答"
TIMEOUT_MESSAGE = (
    "処理が制限時間内に終わりませんでした。しばらく待ってから再度お試しいただくか、"
    "別のモデル（例: offline/extractive）を選択してください。"
)
CANCELLED_MESSAGE = "処理は取り消されました。"


class Control:
    """Cancellation and the per-call deadline of one run; `check()` raises when either applies."""

    def __init__(self, cancel: threading.Event | None = None, timeout: float | None = None):
        self.cancel = cancel or threading.Event()
        self.deadline = time.monotonic() + timeout if timeout else None

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled(CANCELLED_MESSAGE)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TaskTimeout(TIMEOUT_MESSAGE)


class Runner:
    """Runs any task; thread-safe (it and its router keep no per-call state)."""

    def __init__(self, settings: Settings, router: Router, store: Callable[[], Store] | None = None):
        self.settings = settings
        self.router = router
        self._store = store

    def store(self) -> Store:
        if self._store is None:
            raise YakubaError("この処理には検索対象の索引が必要ですが、指定されていません。")
        return self._store()

    def run(
        self,
        task: Task[Any, Out],
        inp: BaseModel,
        principal: Principal | None = None,
        *,
        backend: str | None = None,
        allow_auto: bool = False,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        timeout: float | None = None,
        sources: Sources | None = None,
        scope: dict[str, Any] | None = None,
    ) -> Out:
        """Run `task` on `inp` for `principal`. `sources` replaces the task's own gathering (evaluations with
        gold contexts); `scope` adds caller-independent filters to its retrieval (e.g. `exclude_sources`).
        Raises YakubaError subclasses (all audited); Cancelled / TaskTimeout when stopped."""
        principal = principal or Principal()
        control = Control(cancel, timeout)
        emit = _checked(on_token, control)
        audit = {"user": principal.name, "task": task.name, "requested": backend}
        try:
            control.check()
            if backend and not principal.may_use(self.settings, backend):
                raise AccessDenied(
                    f"モデル「{backend}」を利用する権限がありません。利用できるモデルはモデル一覧で確認してください。"
                )
            if sources is None:
                context = TaskContext(self.settings, principal, self.store, dict(scope or {}))
                with auditing_queries(principal.name, task.name, self.router.audit):  # query embeddings
                    sources = task.gather(inp, context)
            control.check()
            early = task.without_model(inp, sources)
        except Exception as exc:
            self._record_failure(audit, exc)
            raise
        if early is not None:
            return self._answer_without_model(task, early, audit, backend, allow_auto, emit)
        system, prompt = task.prompts(inp, sources)
        request = ModelRequest(
            task=task.name,
            system=system,
            prompt=prompt,
            level=level_of(sources.chunks),
            chunk_ids=[c.chunk_id for c in sources.chunks],
            backend=backend,
            allow_auto=allow_auto,
            user=principal.name,
            schema=task.schema,
            offline=lambda: task.offline(inp, sources),
            max_tokens=task.max_tokens(self.settings),
        )
        # Text goes to `on_token` as it comes; a caller that does not stream (JSON, batch) sees none of it, so a
        # stream cut mid-answer is retried for it instead of reported.
        on_text = emit if on_token is not None else None
        result = self.router.call(request, on_text=on_text, check=control.check)  # audited by the router
        if result.decision.mode == "extractive":
            output = result.data
        else:
            output = task.from_model(inp, sources, result)
        return _stamp(output, result.decision, result.usage, requested=result.requested)

    def _answer_without_model(
        self,
        task: Task[Any, Out],
        output: Out,
        audit: dict[str, Any],
        backend: str | None,
        allow_auto: bool,
        emit: Callable[[str], None],
    ) -> Out:
        request = ModelRequest(task=task.name, system="", prompt="", backend=backend, allow_auto=allow_auto)
        try:
            decision = self.router.decide(request)
        except YakubaError as exc:
            self._record_failure(audit, exc)
            raise
        self.router.audit.record(
            {
                **audit,
                "backend": decision.address,
                "model_id": decision.model_id,
                "mode": decision.mode,
                "level": 1,
                "chunk_ids": [],
                "reason": NO_MODEL_REASON,
                "outcome": "ok",
            }
        )
        text = getattr(output, "answer", None) or getattr(output, "text", None)
        if text:
            emit(text)
        return _stamp(output, decision, {})

    def _record_failure(self, audit: dict[str, Any], exc: Exception) -> None:
        if isinstance(exc, TaskTimeout):
            outcome = "timeout"
        elif isinstance(exc, Cancelled):
            outcome = "cancelled"
        elif isinstance(exc, PolicyRefused | AccessDenied):
            outcome = "refused"
        else:
            outcome = "error"
        message = exc.message if isinstance(exc, YakubaError) else f"internal error: {type(exc).__name__}"
        self.router.audit.record(
            {**audit, "backend": audit["requested"], "chunk_ids": [], "outcome": outcome, "error": message}
        )


def _checked(on_token: Callable[[str], None] | None, control: Control) -> Callable[[str], None]:
    def emit(piece: str) -> None:
        control.check()
        if on_token is not None:
            on_token(piece)

    return emit


def _stamp(output: Out, decision: Decision, usage: dict[str, Any], requested: Decision | None = None) -> Out:
    """Fill in the fields every task output carries: backend, mode, usage, notices."""
    update: dict[str, Any] = {
        "backend": decision.address,
        "model_id": decision.model_id,
        "mode": decision.mode,
        "usage": Usage(
            input_tokens=usage.get("input_tokens") or 0,
            output_tokens=usage.get("output_tokens") or 0,
            cost=usage.get("cost", 0.0),
        ),
        "notice": EXTRACTIVE_NOTICE if decision.mode == "extractive" else None,
    }
    first = requested.address if requested is not None else decision.instead_of
    if first is not None and first != decision.address:
        update["requested_backend"] = first
        update["substitution"] = (
            f"選択されたモデル「{first}」は利用できなかったため、"
            f"「{decision.address}」が回答しました（{decision.reason}）。"
        )
    return output.model_copy(update=update)
