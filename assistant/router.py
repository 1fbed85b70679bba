"""The router: the only place that decides which backend serves a request.

It applies, in order: the user's choice or the task default; the classification policy (which data locations
may see which 機密性 level, with optional automatic re-routing); personal-data masking for backends outside the
organisation; retries with backoff on throttling and transient errors; one retry on invalid structured output;
the configured fallback chain (each step checked against the policy again); token and cost accounting; and one
audit event per request.

The router is stateless: `call` returns its own `ModelResult` and keeps nothing per call, so one router serves
any number of concurrent calls (the API, batch workers and evaluation runs share one).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.audit import AuditSink, default_audit_sink
from assistant.backends.base import Backend, BackendSpec, Generation, InvalidOutput, Reply, TokenUsage
from assistant.backends.registry import create_backend, list_specs, resolve
from assistant.masking import Masker
from core.errors import (
    BackendUnavailable,
    Cancelled,
    InvalidModelOutput,
    PolicyRefused,
    TaskTimeout,
    UnknownBackendError,
    YakubaError,
)
from core.policy import LOCATION_LABELS, allows

if TYPE_CHECKING:
    from pydantic import BaseModel

    from assistant.config import Settings

log = logging.getLogger(__name__)

RETRY_NOTE = "\n\n（注）前回の出力は指定された形式に適合しませんでした（{error}）。指定された形式のとおりに出力してください。"


@dataclass
class ModelRequest:
    """What a task asks of a model. Carries no chunk objects: only their level and ids (for the audit)."""

    task: str  # the task's name ("ask", "reply", "minutes", "judge" …)
    system: str  # rendered system prompt
    prompt: str  # rendered user prompt, containing the sources as labelled data
    level: int = 1  # 機密性 of what the prompt holds: the highest among its sources
    chunk_ids: list[str] = field(default_factory=list)
    backend: str | None = None  # the user's explicit choice; None = task default from configuration
    allow_auto: bool = False  # user allows automatic re-routing when policy refuses the choice
    user: str | None = None
    schema: type[BaseModel] | None = None  # structured output wanted from LLM backends
    offline: Callable[[], Reply] | None = None  # the task's own extractive path
    max_tokens: int | None = None  # the task's output ceiling when it differs from settings.llm_max_tokens


@dataclass(frozen=True)
class Decision:
    address: str
    model_id: str
    mode: str  # "llm" | "extractive"
    data_location: str
    level: int  # 機密性 of the request
    reason: str  # Japanese, may be shown to the user
    instead_of: str | None = None  # the address chosen first, when the policy re-routed the request

    @classmethod
    def of(cls, spec: BackendSpec, level: int, reason: str, instead_of: str | None = None) -> Decision:
        return cls(spec.address, spec.model_id, spec.mode, spec.data_location, level, reason, instead_of)


@dataclass
class ModelResult:
    """One call's own outcome (nothing of it is kept on the router)."""

    text: str  # the answer as shown to the user (personal data restored)
    data: Any  # the validated structured object (LLM with a schema), the task's output (offline), or None
    decision: Decision  # the backend that actually answered
    usage: dict[str, Any]  # {input_tokens, output_tokens, cost (USD or None)}
    masked: dict[str, int]  # kind → distinct values masked
    attempts: list[tuple[str, str]]  # (address, outcome) in the order tried
    latency_ms: int
    requested: Decision | None = None  # the first choice, when another backend answered instead

    @property
    def substituted(self) -> bool:
        return self.requested is not None and self.requested.address != self.decision.address


def policy_allows(settings: Settings, spec: BackendSpec, level: int) -> bool:
    return allows(settings.classification_policy, level, spec.data_location, spec.address)


_OUTCOME_LABELS = {
    "transient": "混雑または一時的な障害",
    "error": "エラー",
    "invalid_output": "形式に適合しない出力",
    "not_configured": "未設定",
    "refused_by_policy": "機密性の制限により対象外",
}


class Router:
    def __init__(self, settings: Settings, audit: AuditSink | None = None):
        self.settings = settings
        self.audit = audit if audit is not None else default_audit_sink(settings)
        self._backends: dict[str, Backend] = {}
        self._lock = threading.Lock()

    # --- decision ---------------------------------------------------------------------------
    def decide(self, req: ModelRequest) -> Decision:
        """The backend for `req` under the policy; raises PolicyRefused or UnknownBackendError."""
        level = req.level
        if req.backend:
            address, reason = req.backend, "利用者の選択"
        elif req.task in self.settings.task_defaults:
            address, reason = self.settings.task_defaults[req.task], f"業務「{req.task}」の既定のモデル"
        else:
            address, reason = self.settings.default_backend, "既定のモデル"
        spec = resolve(self.settings, address)
        if policy_allows(self.settings, spec, level):
            return Decision.of(spec, level, reason)
        if req.allow_auto:
            for candidate in self.settings.auto_route_preference:
                try:
                    alt = resolve(self.settings, candidate)
                except UnknownBackendError:
                    continue
                if alt.configured and policy_allows(self.settings, alt, level):
                    why = f"機密性{level}の資料を含むため「{address}」から自動で切り替え"
                    return Decision.of(alt, level, why, instead_of=address)
        raise PolicyRefused(self._refusal_message(spec, level))

    def _refusal_message(self, spec: BackendSpec, level: int) -> str:
        allowed = [
            s.address
            for s in list_specs(self.settings)
            if s.configured and policy_allows(self.settings, s, level)
        ]
        head = (
            f"機密性{level}の資料を含むため、「{spec.address}」"
            f"（処理場所: {LOCATION_LABELS[spec.data_location]}）には送信できません。"
        )
        if not allowed:
            return (
                head
                + f"機密性{level}の資料を扱えるモデルが設定されていません。管理者にお問い合わせください。"
            )
        return head + f"次のモデルを選択するか、自動切替を許可してください: {', '.join(allowed)}"

    # --- generation -------------------------------------------------------------------------
    def call(
        self,
        req: ModelRequest,
        on_text: Callable[[str], None] | None = None,
        check: Callable[[], None] | None = None,
    ) -> ModelResult:
        """Route and run `req`; text reaches `on_text` as it is generated (personal data restored).

        `check` is called before every attempt and with every piece of text; it raises `Cancelled` (or
        `TaskTimeout`) to stop the call, which is then audited as cancelled. Policy refusals and unknown
        backends are raised before anything is sent. A stream cut after text was shown (`on_text` given) is
        reported, not restarted; with no `on_text` nobody saw the partial text, so it is retried like any
        transient error.
        """
        started = time.monotonic()
        try:
            decision = self.decide(req)
        except YakubaError as exc:
            outcome = "refused" if isinstance(exc, PolicyRefused) else "error"
            self._record(req, None, started, outcome=outcome, error=exc.message)
            raise
        visible = on_text is not None
        return self._run(req, decision, started, on_text or (lambda _: None), check or (lambda: None), visible)

    def _chain(self, decision: Decision, req: ModelRequest) -> list[tuple[str, str]]:
        """(address, reason) pairs: the decision, then its configured fallbacks. A model the user chose is
        replaced only when the user allowed re-routing (`allow_auto`); otherwise its failure is reported."""
        if req.backend and not req.allow_auto:
            return [(decision.address, decision.reason)]
        fallbacks = self.settings.fallbacks
        following = fallbacks.get(decision.address, fallbacks.get("*", []))
        chain = [(decision.address, decision.reason)]
        for address in dict.fromkeys(following):
            if address != decision.address:
                chain.append((address, f"「{decision.address}」が利用できないための代替"))
        return chain

    def _run(
        self,
        req: ModelRequest,
        decision: Decision,
        started: float,
        on_text: Callable[[str], None],
        check: Callable[[], None],
        visible: bool = True,
    ) -> ModelResult:
        attempts: list[tuple[str, str]] = []
        masked: dict[str, int] = {}
        current = decision
        for index, (address, reason) in enumerate(self._chain(decision, req)):
            try:
                spec = resolve(self.settings, address)
            except UnknownBackendError:
                attempts.append((address, "not_configured"))
                continue
            current = Decision.of(spec, decision.level, reason, decision.instead_of if index == 0 else None)
            if not spec.configured:
                attempts.append((address, "not_configured"))
                continue
            if index > 0 and not policy_allows(self.settings, spec, decision.level):
                attempts.append((address, "refused_by_policy"))
                continue
            masker = Masker() if spec.data_location != "organisation" else None
            call = self._generation(req, masker)
            if masker:  # every masked step sees the same values, so one count covers the chain
                masked = masker.counts
            retried_invalid = False
            attempt = 0
            while attempt < self.settings.backend_max_attempts:
                attempt += 1
                usage = TokenUsage()
                restorer = masker.restorer() if masker else None
                shown: list[str] = []

                def emit(piece: str, restorer=restorer, shown=shown) -> None:
                    check()
                    text = restorer.feed(piece) if restorer else piece
                    if text:
                        shown.append(text)
                        on_text(text)

                backend: Backend | None = None
                try:
                    check()
                    backend = self._backend(spec)
                    reply = backend.generate(call, usage, emit)
                    tail = restorer.flush() if restorer else ""
                    if tail:
                        shown.append(tail)
                        on_text(tail)
                except Cancelled as exc:
                    attempts.append((address, "timeout" if isinstance(exc, TaskTimeout) else "cancelled"))
                    outcome = "timeout" if isinstance(exc, TaskTimeout) else "cancelled"
                    self._record(req, current, started, outcome, attempts=attempts, masked=masked)
                    raise
                except InvalidOutput as exc:
                    attempts.append((address, "invalid_output"))
                    log.warning("backend %s returned invalid structured output: %s", address, exc)
                    if not retried_invalid:
                        retried_invalid = True
                        attempt -= 1  # a re-ask, not a transport retry
                        call = self._generation(req, masker, note=RETRY_NOTE.format(error=str(exc)[:300]))
                        continue
                    message = (
                        f"「{address}」の出力が指定の形式に適合しませんでした（再試行後も同様）。"
                        "別のモデルを選択するか、しばらく待ってから再度お試しください。"
                    )
                    self._record(req, current, started, "invalid_output", message, attempts, masked)
                    raise InvalidModelOutput(message) from exc
                except Exception as exc:  # provider errors have no common base class
                    transient = backend is not None and backend.is_transient(exc)
                    attempts.append(
                        (address, f"{'transient' if transient else 'error'}:{type(exc).__name__}")
                    )
                    log.warning("backend %s attempt %d failed: %s", address, attempt, type(exc).__name__)
                    if isinstance(exc, YakubaError):  # our own error with a message for the user
                        self._record(req, current, started, "error", exc.message, attempts, masked)
                        raise
                    if shown and visible:  # the user already saw part of this answer: do not restart silently
                        message = f"「{address}」からの回答が途中で途切れました。もう一度お試しください。"
                        self._record(req, current, started, "interrupted", message, attempts, masked)
                        raise BackendUnavailable(message) from exc
                    if transient and attempt < self.settings.backend_max_attempts:
                        time.sleep(self._backoff(attempt))
                        continue
                    break
                attempts.append((address, "ok"))
                data = reply.data
                if masker is not None and data is not None and req.schema is not None:
                    data = _restore_object(data, masker)
                result = ModelResult(
                    text="".join(shown) if shown else (masker.unmask(reply.text) if masker else reply.text),
                    data=data,
                    decision=current,
                    usage={
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                        "cost": spec.cost(usage.input_tokens, usage.output_tokens),
                    },
                    masked=masked,
                    attempts=attempts,
                    latency_ms=_elapsed_ms(started),
                    requested=decision if current.address != decision.address else None,
                )
                self._record(req, current, started, "ok", attempts=attempts, masked=masked, result=result)
                return result
        message = self._unavailable_message(attempts)
        self._record(req, current, started, "unavailable", message, attempts, masked)
        raise BackendUnavailable(message)

    def _generation(self, req: ModelRequest, masker: Masker | None, note: str = "") -> Generation:
        if masker is None:
            return Generation(req.system, req.prompt + note, req.schema, req.offline, req.max_tokens)
        # The task's offline path (which reads the sources) is never handed to a backend outside the organisation.
        return Generation(
            masker.mask(req.system), masker.mask(req.prompt) + note, req.schema, None, req.max_tokens
        )

    def _backend(self, spec: BackendSpec) -> Backend:
        with self._lock:  # clients are built once and shared (boto3 clients are thread-safe)
            if spec.address not in self._backends:
                self._backends[spec.address] = create_backend(self.settings, spec)
            return self._backends[spec.address]

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half the delay fixed, half random."""
        delay = min(
            self.settings.backend_backoff_max_seconds,
            self.settings.backend_backoff_seconds * 2 ** (attempt - 1),
        )
        return delay / 2 + random.uniform(0, delay / 2)

    def _unavailable_message(self, attempts: list[tuple[str, str]]) -> str:
        tried: dict[str, str] = {}
        for address, outcome in attempts:
            kind, _, name = outcome.partition(":")
            label = _OUTCOME_LABELS.get(kind, kind)
            tried[address] = f"{label}（{name}）" if name else label
        summary = "、".join(f"「{a}」: {o}" for a, o in tried.items())
        return (
            f"モデルから回答を得られませんでした（{summary}）。"
            "しばらく待ってから再度お試しいただくか、別のモデル（例: offline/extractive）を選択してください。"
            "自動切替を許可すると、選択したモデルが利用できないときは利用できる別のモデルが回答します"
            "（どのモデルが回答したかは回答に表示されます）。"
        )

    # --- audit ------------------------------------------------------------------------------
    def _record(
        self,
        req: ModelRequest,
        decision: Decision | None,
        started: float,
        outcome: str,
        error: str | None = None,
        attempts: list[tuple[str, str]] | None = None,
        masked: dict[str, int] | None = None,
        result: ModelResult | None = None,
    ) -> None:
        self.audit.record(
            {
                "user": req.user,
                "task": req.task,
                "requested": req.backend,
                "backend": decision.address if decision else req.backend,
                "model_id": decision.model_id if decision else None,
                "mode": decision.mode if decision else None,
                "data_location": decision.data_location if decision else None,
                "level": req.level,
                "reason": decision.reason if decision else None,
                "masked": masked or {},
                "chunk_ids": list(req.chunk_ids),
                "usage": dict(result.usage) if result else None,
                "cost": result.usage["cost"] if result else None,
                "latency_ms": _elapsed_ms(started),
                "attempts": [list(a) for a in attempts or []],
                "outcome": outcome,
                "error": error,
            }
        )


def _restore_object(data: Any, masker: Masker) -> Any:
    """Put the personal data back into every string of a structured answer (placeholders → values)."""
    from pydantic import BaseModel

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return masker.unmask(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    if isinstance(data, BaseModel):
        return type(data).model_validate(walk(data.model_dump()))
    return walk(data)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
