"""Bedrock batch inference for large batch jobs: the items of a job as one `CreateModelInvocationJob`.

The job engine calls `run_batch_mode` with the items still to do when `batch_mode_applies` says so (a Bedrock
backend, batch inference configured, at least `min_records` items). Per item, exactly what the runner and the
router do online, reusing their functions:

1. `task.gather` under the item's principal (access groups and clearance), then `task.without_model` — an
   answer needing no model goes through the runner as online (no model call, audited there);
2. the caller's right to the backend (`Principal.may_use`) and the classification policy (`Router.decide` with
   the 機密性 of the item's sources, no automatic re-routing): a refused item is not sent and gets the
   router's Japanese reason;
3. personal-data masking with a fresh `Masker` per item, exactly as the router masks before an external call
   (`Router._generation`); the mapping is kept in memory only, and a resumed job re-creates it by masking the
   same texts again (masking is deterministic);
4. the InvokeModel body (structured output as one forced tool when `task.schema` is set).

Then the records are written to S3 and submitted (or an earlier job of the same items is found and
followed: the job name is derived from the engine's job id and the items' keys), polled with backoff, and
the outputs are mapped back by recordId through `task.from_model` into the same typed output the online path
produces; one audit event per model call, written as the router writes them. If fewer than `min_records`
items remain sendable, nothing is submitted and they come back `deferred` (run them online).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from assistant.backends.bedrock_batch import (
    BATCH_PRICE_FACTOR,
    WITHOUT_OUTPUT,
    BatchInferenceError,
    BedrockBatchClient,
    RecordOutput,
    configuration_problem,
    min_records,
    model_family,
    model_input,
    parse_record,
    record_id_for,
)
from assistant.backends.registry import resolve
from assistant.masking import Masker
from assistant.router import Decision, ModelRequest, ModelResult, Router, _restore_object
from assistant.tasks.base import Principal, Sources, Task, TaskContext, TaskOutput
from assistant.tasks.runner import Runner, _stamp
from core.errors import AccessDenied, Cancelled, PolicyRefused, UnknownBackendError, YakubaError
from core.policy import level_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from assistant.config import Settings
    from assistant.retrieval.base import Store

log = logging.getLogger(__name__)

BATCH_REASON = "Bedrock 一括推論（ジョブ {job}）"
PREPARE_FAILED = (
    "この項目の準備（資料の検索）中にエラーが発生しました。しばらく待ってから再度お試しください。"
)


@dataclass(frozen=True)
class BatchModeItem:
    """One item of the engine's job: a stable key, the task input, and whose access rules apply."""

    key: str
    input: BaseModel
    principal: Principal = field(default_factory=Principal)


@dataclass
class BatchModeOutcome:
    """done: `output` is the task's typed output. refused: not sent (classification or backend rights).
    failed: Bedrock or the item itself failed (`retryable` says whether another try may succeed).
    deferred: not handled in batch mode (too few items, or the job stopped before it): run it online."""

    key: str
    status: Literal["done", "refused", "failed", "deferred"]
    output: TaskOutput | None = None
    error: str | None = None  # Japanese, shown to the user
    retryable: bool = False


@dataclass
class BatchModeReport:
    outcomes: dict[str, BatchModeOutcome]
    job_arn: str | None = None
    job_name: str | None = None
    job_status: str | None = None
    submitted: int = 0  # records sent to Bedrock

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == status)


@dataclass
class _Prepared:
    item: BatchModeItem
    sources: Sources
    request: ModelRequest
    decision: Decision
    masker: Masker | None
    record_id: str
    family: str
    body: dict[str, Any]


def batch_mode_applies(settings: Settings, backend: str | None, n_items: int) -> bool:
    """True when a job of `n_items` on `backend` should run as Bedrock batch inference."""
    if not backend or not backend.startswith("bedrock/") or configuration_problem(settings):
        return False
    try:
        spec = resolve(settings, backend)
        model_family(spec.model_id, _vendor(settings, backend))
    except (UnknownBackendError, BatchInferenceError):
        return False
    return n_items >= min_records(settings)


def run_batch_mode(
    task: Task[Any, Any],
    items: list[BatchModeItem],
    *,
    settings: Settings,
    router: Router,
    backend: str,
    job_id: str,
    store: Callable[[], Store] | None = None,
    client: BedrockBatchClient | None = None,
    check: Callable[[], None] | None = None,
    on_submitted: Callable[[str, str], None] | None = None,
    on_status: Callable[[dict[str, Any]], None] | None = None,
) -> BatchModeReport:
    """Run `items` of `task` as one Bedrock batch inference job; returns an outcome per item key.

    `check` is called between polls and may raise `Cancelled` (the Bedrock job is then stopped and the
    exception re-raised); `on_submitted(job_arn, job_name)` lets the engine store the job (e.g. in
    `BatchJob.extra`); `on_status` receives every GetModelInvocationJob response (progress).
    """
    spec = resolve(settings, backend)
    family = model_family(spec.model_id, _vendor(settings, backend))
    runner = Runner(settings, router, store)
    outcomes: dict[str, BatchModeOutcome] = {}
    prepared: list[_Prepared] = []

    def prepare(item: BatchModeItem) -> _Prepared | BatchModeOutcome:
        return _prepare(task, item, settings, router, runner, backend, spec, family)

    with ThreadPoolExecutor(max_workers=max(1, settings.batch_concurrency)) as pool:
        for item, result in zip(items, pool.map(prepare, items), strict=True):
            if isinstance(result, BatchModeOutcome):
                outcomes[item.key] = result
            else:
                prepared.append(result)
    report = BatchModeReport(outcomes)
    if len(prepared) < min_records(settings):
        for p in prepared:
            outcomes[p.item.key] = BatchModeOutcome(p.item.key, "deferred")
        return report

    client = client or BedrockBatchClient(settings)
    base = _job_name(job_id, [p.record_id for p in prepared])
    job = _existing(client, base)
    if job is None:
        attempt = len(client.find(base)) + 1
        name = f"{base}-{attempt}"
        records = [{"recordId": p.record_id, "modelInput": p.body} for p in prepared]
        job = {"jobArn": client.submit(name, spec.model_id, records), "jobName": name}
    report.job_arn, report.job_name, report.submitted = job["jobArn"], job["jobName"], len(prepared)
    if on_submitted is not None:
        on_submitted(report.job_arn, report.job_name)
    started = time.monotonic()
    try:
        final = client.wait(report.job_arn, check=check, on_status=on_status)
    except Cancelled:
        client.stop(report.job_arn)
        raise
    report.job_status = final["status"]
    lines = {} if final["status"] in WITHOUT_OUTPUT else client.outputs(final)
    short = report.job_arn.rsplit("/", 1)[-1]
    for p in prepared:
        outcomes[p.item.key] = _apply(task, p, lines, final, router, spec, started, short)
    return report


def _vendor(settings: Settings, backend: str) -> str | None:
    entry = settings.bedrock_extra_models.get(backend.partition("/")[2]) or {}
    provider = entry.get("provider")
    return str(provider) if provider else None


def _job_name(job_id: str, record_ids: list[str]) -> str:
    """`yakuba-<job id>-<digest of the items>`: the same items of the same job give the same name."""
    digest = hashlib.sha256(",".join(sorted(record_ids)).encode()).hexdigest()[:10]
    safe = re.sub(r"[^A-Za-z0-9]", "", job_id)[:36] or "job"
    return f"yakuba-{safe}-{digest}"


def _existing(client: BedrockBatchClient, base: str) -> dict[str, Any] | None:
    """The newest earlier job of the same items that has not failed (a resumed engine follows it)."""
    for job in client.find(base):
        if job["status"] not in WITHOUT_OUTPUT | {"Stopped", "Stopping"}:
            return job
    return None


def _prepare(
    task: Task[Any, Any],
    item: BatchModeItem,
    settings: Settings,
    router: Router,
    runner: Runner,
    backend: str,
    spec: Any,
    family: str,
) -> _Prepared | BatchModeOutcome:
    key, principal = item.key, item.principal
    started = time.monotonic()
    try:
        if not principal.may_use(settings, backend):
            raise AccessDenied(
                f"モデル「{backend}」を利用する権限がありません。利用できるモデルはモデル一覧で確認してください。"
            )
        context = TaskContext(settings, principal, runner.store, {})
        sources = task.gather(item.input, context)
        if task.without_model(item.input, sources) is not None:
            output = runner.run(task, item.input, principal, backend=backend, sources=sources)
            return BatchModeOutcome(key, "done", output=output)
        system, prompt = task.prompts(item.input, sources)
        request = ModelRequest(
            task=task.name,
            system=system,
            prompt=prompt,
            level=level_of(sources.chunks),
            chunk_ids=[c.chunk_id for c in sources.chunks],
            backend=backend,
            user=principal.name,
            schema=task.schema,
        )
        try:
            decision = router.decide(request)
        except PolicyRefused as exc:
            router._record(request, None, started, outcome="refused", error=exc.message)
            return BatchModeOutcome(key, "refused", error=exc.message)
    except AccessDenied as exc:
        _audit_failure(router, task, principal, backend, "refused", exc.message)
        return BatchModeOutcome(key, "refused", error=exc.message)
    except YakubaError as exc:
        _audit_failure(router, task, principal, backend, "error", exc.message)
        return BatchModeOutcome(key, "failed", error=exc.message, retryable=False)
    except Exception as exc:  # a bug or an outage while gathering: isolate the item
        log.exception("preparing batch item %s failed", key)
        _audit_failure(router, task, principal, backend, "error", f"internal error: {type(exc).__name__}")
        return BatchModeOutcome(key, "failed", error=PREPARE_FAILED, retryable=True)
    masker = Masker() if spec.data_location != "organisation" else None
    call = router._generation(request, masker)  # masked exactly as the router masks an external call
    body = model_input(
        family, call.system, call.prompt, task.schema, settings.llm_max_tokens, settings.llm_temperature
    )
    return _Prepared(item, sources, request, decision, masker, record_id_for(key), family, body)


def _audit_failure(
    router: Router, task: Task[Any, Any], principal: Principal, backend: str, outcome: str, message: str
) -> None:
    """The runner's audit event for a failure before routing (same fields as `Runner._record_failure`)."""
    router.audit.record(
        {
            "user": principal.name,
            "task": task.name,
            "requested": backend,
            "backend": backend,
            "chunk_ids": [],
            "outcome": outcome,
            "error": message,
        }  # fmt: skip
    )


def _apply(
    task: Task[Any, Any],
    p: _Prepared,
    lines: dict[str, dict[str, Any]],
    job: dict[str, Any],
    router: Router,
    spec: Any,
    started: float,
    short_id: str,
) -> BatchModeOutcome:
    key, address = p.item.key, p.decision.address
    decision = replace(p.decision, reason=f"{p.decision.reason}・{BATCH_REASON.format(job=short_id)}")
    masked = p.masker.counts if p.masker else {}
    line = lines.get(p.record_id)
    if line is None:
        if job["status"] in WITHOUT_OUTPUT:
            reason = job.get("message") or job["status"]
            message = f"Bedrock の一括推論ジョブが完了しませんでした（{job['status']}: {reason}）。"
            router._record(p.request, decision, started, "unavailable", message, [(address, "error")], masked)
            return BatchModeOutcome(key, "failed", error=message, retryable=True)
        return BatchModeOutcome(key, "deferred")  # stopped or expired before this record: run it online
    record: RecordOutput = parse_record(p.family, task.schema, line)
    if record.reply is None:
        outcome = "invalid_output" if record.invalid else "error"
        message = (
            f"「{address}」の出力が指定の形式に適合しませんでした（一括推論）。"
            if record.invalid
            else f"Bedrock の一括推論でこの項目の処理に失敗しました（{record.error}）。"
        )
        router._record(p.request, decision, started, outcome, message, [(address, outcome)], masked)
        return BatchModeOutcome(key, "failed", error=message, retryable=record.transient)
    reply = record.reply
    data = reply.data
    if p.masker is not None and data is not None and task.schema is not None:
        data = _restore_object(data, p.masker)
    cost = spec.cost(record.usage.input_tokens, record.usage.output_tokens)
    usage = {
        "input_tokens": record.usage.input_tokens,
        "output_tokens": record.usage.output_tokens,
        "cost": cost * BATCH_PRICE_FACTOR if cost is not None else None,
    }
    result = ModelResult(
        text=p.masker.unmask(reply.text) if p.masker else reply.text,
        data=data,
        decision=decision,
        usage=usage,
        masked=masked,
        attempts=[(address, "ok")],
        latency_ms=int((time.monotonic() - started) * 1000),
    )
    router._record(p.request, decision, started, "ok", attempts=result.attempts, masked=masked, result=result)
    try:
        output = task.from_model(p.item.input, p.sources, result)
    except YakubaError as exc:
        return BatchModeOutcome(key, "failed", error=exc.message, retryable=False)
    return BatchModeOutcome(key, "done", output=_stamp(output, decision, usage))
