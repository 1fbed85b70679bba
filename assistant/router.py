"""The router: the only place that decides which backend serves a request.

It applies, in order: the user's choice or the task default; the classification policy (which
data locations may see which 機密性 level, with optional automatic re-routing); personal-data
masking for backends outside the organisation; retries with backoff on throttling and transient
errors; the configured fallback chain (each step checked against the policy again); token and
cost accounting; and one audit event per request.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from assistant.audit import AuditSink, default_audit_sink
from assistant.backends.base import (
    DATA_LOCATIONS,
    LOCATION_LABELS,
    Backend,
    BackendSpec,
    Generation,
    TokenUsage,
)
from assistant.backends.registry import create_backend, list_specs, resolve
from assistant.masking import Masker
from core.errors import BackendUnavailable, PolicyRefused, UnknownBackendError, YakubaError

if TYPE_CHECKING:
    from assistant.config import Settings
    from core.model import Chunk

log = logging.getLogger(__name__)


@dataclass
class ModelRequest:
    task: str  # "ask" (later "reply", "minutes")
    question: str  # the user's question (the extractive backend uses it)
    system: str  # rendered system prompt
    prompt: str  # rendered user prompt, containing the sources as labelled data
    chunks: list[Chunk] = field(default_factory=list)  # the chunks in the prompt, in citation order
    backend: str | None = None  # the user's explicit choice; None = task default from configuration
    allow_auto: bool = False  # user allows automatic re-routing when policy refuses the choice
    user: str | None = None


@dataclass(frozen=True)
class Decision:
    address: str
    model_id: str
    mode: str  # "llm" | "extractive"
    data_location: str
    level: int  # 機密性 of the request: the highest among its chunks
    reason: str  # Japanese, may be shown to the user

    @classmethod
    def of(cls, spec: BackendSpec, level: int, reason: str) -> Decision:
        return cls(spec.address, spec.model_id, spec.mode, spec.data_location, level, reason)


@dataclass
class ModelResult:
    text: str  # the answer as shown to the user (personal data restored)
    decision: Decision  # the backend that actually answered
    usage: dict[str, Any]  # {input_tokens, output_tokens, cost (USD or None)}
    masked: dict[str, int]  # kind → distinct values masked
    attempts: list[tuple[str, str]]  # (address, outcome) in the order tried
    latency_ms: int


def request_level(chunks: list[Chunk]) -> int:
    return max((c.classification for c in chunks), default=1)


def policy_allows(settings: Settings, spec: BackendSpec, level: int) -> bool:
    """Entries are data locations ("japan") or address patterns ("offline/*")."""
    policy = settings.classification_policy
    rules = policy.get(level)
    if rules is None:  # a level above the configured ones gets the strictest rule
        rules = policy.get(max(policy), []) if policy else []
    return any(
        spec.data_location == rule if rule in DATA_LOCATIONS else fnmatch(spec.address, rule)
        for rule in rules
    )


_OUTCOME_LABELS = {
    "transient": "混雑または一時的な障害",
    "error": "エラー",
    "not_configured": "未設定",
    "refused_by_policy": "機密性の制限により対象外",
}


class Router:
    def __init__(self, settings: Settings, audit: AuditSink | None = None):
        self.settings = settings
        self.audit = audit if audit is not None else default_audit_sink(settings)
        self.last_result: ModelResult | None = None
        self._backends: dict[str, Backend] = {}

    # --- decision ---------------------------------------------------------------------------
    def decide(self, req: ModelRequest) -> Decision:
        """The backend for `req` under the policy; raises PolicyRefused or UnknownBackendError."""
        level = request_level(req.chunks)
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
                    return Decision.of(alt, level, why)
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
    def stream(self, req: ModelRequest) -> Iterator[str]:
        """Yield the answer text (personal data restored); then `last_result` holds the details.

        Policy refusals and unknown backends are raised here, before anything is sent.
        """
        self.last_result = None
        started = time.monotonic()
        try:
            decision = self.decide(req)
        except YakubaError as exc:
            outcome = "refused" if isinstance(exc, PolicyRefused) else "error"
            self._record(req, None, started, outcome=outcome, error=exc.message)
            raise
        return self._run(req, decision, started)

    def invoke(self, req: ModelRequest) -> ModelResult:
        for _ in self.stream(req):
            pass
        assert self.last_result is not None
        return self.last_result

    def _chain(self, decision: Decision) -> list[tuple[str, str]]:
        """(address, reason) pairs: the decision, then its configured fallbacks."""
        fallbacks = self.settings.fallbacks
        following = fallbacks.get(decision.address, fallbacks.get("*", []))
        chain = [(decision.address, decision.reason)]
        for address in dict.fromkeys(following):
            if address != decision.address:
                chain.append((address, f"「{decision.address}」が利用できないための代替"))
        return chain

    def _run(self, req: ModelRequest, decision: Decision, started: float) -> Iterator[str]:
        attempts: list[tuple[str, str]] = []
        masked: dict[str, int] = {}
        current = decision
        for index, (address, reason) in enumerate(self._chain(decision)):
            try:
                spec = resolve(self.settings, address)
            except UnknownBackendError:
                attempts.append((address, "not_configured"))
                continue
            current = Decision.of(spec, decision.level, reason)
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
            for attempt in range(1, self.settings.backend_max_attempts + 1):
                usage = TokenUsage()
                restorer = masker.restorer() if masker else None
                parts: list[str] = []
                backend: Backend | None = None
                try:
                    backend = self._backend(spec)
                    for piece in backend.stream(call, usage):
                        text = restorer.feed(piece) if restorer else piece
                        if text:
                            parts.append(text)
                            yield text
                    tail = restorer.flush() if restorer else ""
                    if tail:
                        parts.append(tail)
                        yield tail
                except GeneratorExit:
                    attempts.append((address, "cancelled"))
                    self._record(req, current, started, "cancelled", attempts=attempts, masked=masked)
                    raise
                except Exception as exc:  # provider errors have no common base class
                    transient = backend is not None and backend.is_transient(exc)
                    attempts.append(
                        (address, f"{'transient' if transient else 'error'}:{type(exc).__name__}")
                    )
                    log.warning("backend %s attempt %d failed: %s", address, attempt, type(exc).__name__)
                    if parts:  # the user already saw part of this answer: do not restart silently
                        message = f"「{address}」からの回答が途中で途切れました。もう一度お試しください。"
                        self._record(req, current, started, "interrupted", message, attempts, masked)
                        raise BackendUnavailable(message) from exc
                    if transient and attempt < self.settings.backend_max_attempts:
                        time.sleep(self._backoff(attempt))
                        continue
                    break
                attempts.append((address, "ok"))
                cost = spec.cost(usage.input_tokens, usage.output_tokens)
                self.last_result = ModelResult(
                    text="".join(parts),
                    decision=current,
                    usage={
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                        "cost": cost,
                    },
                    masked=masked,
                    attempts=attempts,
                    latency_ms=_elapsed_ms(started),
                )
                self._record(req, current, started, "ok", attempts=attempts, masked=masked)
                return
        message = self._unavailable_message(attempts)
        self._record(req, current, started, "unavailable", message, attempts, masked)
        raise BackendUnavailable(message)

    def _generation(self, req: ModelRequest, masker: Masker | None) -> Generation:
        if masker is None:
            return Generation(req.system, req.prompt, req.question, list(req.chunks))
        # Chunks are not handed to a backend outside the organisation: only the masked prompt is.
        return Generation(masker.mask(req.system), masker.mask(req.prompt), masker.mask(req.question), [])

    def _backend(self, spec: BackendSpec) -> Backend:
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
    ) -> None:
        result = self.last_result if outcome == "ok" else None
        self.audit.record(
            {
                "user": req.user,
                "task": req.task,
                "requested": req.backend,
                "backend": decision.address if decision else req.backend,
                "model_id": decision.model_id if decision else None,
                "mode": decision.mode if decision else None,
                "data_location": decision.data_location if decision else None,
                "level": decision.level if decision else request_level(req.chunks),
                "reason": decision.reason if decision else None,
                "masked": masked or {},
                "chunk_ids": [c.chunk_id for c in req.chunks],
                "usage": dict(result.usage) if result else None,
                "cost": result.usage["cost"] if result else None,
                "latency_ms": _elapsed_ms(started),
                "attempts": [list(a) for a in attempts or []],
                "outcome": outcome,
                "error": error,
            }
        )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
