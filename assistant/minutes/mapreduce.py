"""Minutes of long sessions: map-reduce over speaker turns, with cached map steps, progress and cancellation.

`draft_minutes` is what the CLI, the API and batch workers call. It takes the minutes task's own path (offline,
or one LLM call) when the backend is extractive or the transcript fits in one map step; otherwise:

1. map — the turns are cut into segments of whole turns of at most `settings.minutes_map_chars` characters (a
   longer turn is a segment of its own); each segment is one `minutes_map` task run through the runner (routed
   under the classification policy, masked, audited), a few at a time. A map answer from the requested backend
   is cached on disk (`assistant.minutes.map_cache`) under a key that leaves out the style and the length limit,
   so a retry after a failure or a change of style re-uses every finished step (a cache hit is audited, with no
   model call);
2. merge — when the partial minutes are too large for one call, consecutive groups are merged by the
   `minutes_reduce` task (style-independent, cached the same way) until they fit;
3. reduce — one `minutes_reduce` call merges them into minutes in the chosen style and limit.

Afterwards: turn references are checked (a point citing a turn that does not exist is dropped), the length
limit is enforced exactly (`assistant.minutes.fitting`: cut at a sentence boundary; an item whose first sentence
is already too long is re-asked once, then cut), and the 発言録 record and the 質疑応答 pairs are filled in.
Memory stays bounded by the transcript itself: each step holds one segment, and only partial minutes are kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.minutes.fitting import fit_minutes
from assistant.minutes.map_cache import MapCache, cache_dir, schema_digest, step_key
from assistant.router import ModelRequest
from assistant.tasks.base import Principal, Task, TaskContext, TaskOutput, Usage
from assistant.tasks.minutes_map import MINUTES_MAP, MapInput, MapOutput
from assistant.tasks.minutes_models import LLMMinutes, LLMPoint, Minutes, MinutesInput, Turn
from assistant.tasks.minutes_reduce import (
    MINUTES_REDUCE,
    PartialMinutes,
    ReduceInput,
    ReduceOutput,
    render_parts,
)
from assistant.tasks.runner import CANCELLED_MESSAGE
from core.errors import Cancelled, YakubaError

if TYPE_CHECKING:
    from assistant.router import Decision
    from assistant.tasks.runner import Runner

log = logging.getLogger(__name__)

CACHED_REASON = "保存済みの部分要約を再利用（モデル呼出しなし）"
TURN_OVERHEAD = 40  # characters of markup around a turn in a map prompt
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class MinutesProgress:
    """One progress report: `stage` is "map", "merge", "reduce" or "done"; `message` is the step's Japanese label
    (counts are in `done`/`total`, cache hits so far in `cached`: callers format them)."""

    stage: str
    done: int
    total: int
    cached: int = 0
    message: str = ""


@dataclass
class _Run:
    """What one `draft_minutes` call accumulates (its own: nothing is kept between calls)."""

    runner: Runner
    principal: Principal
    backend: str | None
    allow_auto: bool
    cancel: threading.Event
    on_progress: Callable[[MinutesProgress], None]
    decision: Decision
    cache: MapCache
    outputs: list[TaskOutput] = field(default_factory=list)
    cached: int = 0
    calls: int = 0
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def context(self) -> TaskContext:
        return TaskContext(self.runner.settings, self.principal, self.runner.store)


def turn_size(turn: Turn) -> int:
    return len(turn.text) + len(turn.speaker) + TURN_OVERHEAD


def segment_turns(turns: list[Turn], max_chars: int) -> list[list[Turn]]:
    """Consecutive segments of whole turns, each within `max_chars` (a longer turn is a segment of its own)."""
    segments: list[list[Turn]] = []
    current: list[Turn] = []
    size = 0
    for turn in turns:
        if current and size + turn_size(turn) > max_chars:
            segments.append(current)
            current, size = [], 0
        current.append(turn)
        size += turn_size(turn)
    if current:
        segments.append(current)
    return segments


def transcript_turns(inp: MinutesInput) -> tuple[list[Turn], MinutesInput]:
    """The input's turns (read from its transcript text when not given, numbered 1…n) and the input with its
    blank metadata filled from the transcript (the minutes task's own reading)."""
    from assistant.tasks.minutes import read_turns, with_metadata

    transcript = read_turns(inp)
    return transcript.turns, with_metadata(inp, transcript).model_copy(update={"turns": transcript.turns})


def draft_minutes(
    inp: MinutesInput,
    runner: Runner,
    principal: Principal | None = None,
    backend: str | None = None,
    *,
    allow_auto: bool = False,
    on_progress: Callable[[MinutesProgress], None] | None = None,
    cancel: threading.Event | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Minutes:
    """Minutes of `inp` for `principal` with `backend` (None = the minutes task's default). Raises YakubaError
    subclasses (policy refusal, unavailable backend, Cancelled …), all audited."""
    principal = principal or Principal()
    cancel = cancel or threading.Event()
    report = on_progress or (lambda _: None)
    settings = runner.settings
    backend = backend or settings.task_defaults.get("minutes")
    turns, inp = transcript_turns(inp)
    decision = _decide(runner, inp, principal, backend, allow_auto)
    if decision is None:  # refused or unknown: the runner records why and raises it
        first = MapInput(turns=turns[:1], title=inp.title, classification=inp.classification)
        runner.run(MINUTES_MAP, first, principal, backend=backend, allow_auto=allow_auto, cancel=cancel)
        decision = _decide(runner, inp, principal, backend, allow_auto)
    if (
        decision is None
        or decision.mode == "extractive"
        or sum(map(turn_size, turns)) <= settings.minutes_map_chars
    ):
        report(MinutesProgress("reduce", 0, 1, message="議事録を作成しています。"))
        minutes = _single_pass(runner, inp, principal, backend, allow_auto, cancel)
        report(MinutesProgress("done", 1, 1, message="議事録を作成しました。"))
        return minutes
    run = _Run(
        runner, principal, backend, allow_auto, cancel, report, decision, MapCache(cache_dir(settings))
    )
    started = time.monotonic()
    parts = _map(run, inp, turns, max(1, concurrency))
    parts = _merge(run, inp, parts, max(1, concurrency))
    minutes = _reduce(run, inp, turns, parts)
    log.info(
        "minutes of %d turns: %d segments, %d model calls, %d cached steps, %.1f s",
        len(turns), len(segment_turns(turns, settings.minutes_map_chars)), run.calls, run.cached,
        time.monotonic() - started,
    )  # fmt: skip
    report(MinutesProgress("done", 1, 1, run.cached, "議事録を作成しました。"))
    return minutes


def _decide(
    runner: Runner, inp: MinutesInput, principal: Principal, backend: str | None, allow_auto: bool
) -> Decision | None:
    """Where map steps would go (no call, nothing recorded); None when refused or unknown."""
    request = ModelRequest(
        task=MINUTES_MAP.name, system="", prompt="", level=inp.classification, backend=backend,
        allow_auto=allow_auto, user=principal.name,
    )  # fmt: skip
    try:
        if backend and not principal.may_use(runner.settings, backend):
            return None
        return runner.router.decide(request)
    except YakubaError:
        return None


def _single_pass(
    runner: Runner,
    inp: MinutesInput,
    principal: Principal,
    backend: str | None,
    allow_auto: bool,
    cancel: threading.Event,
) -> Minutes:
    from assistant.tasks import get_task

    return runner.run(
        get_task("minutes"), inp, principal, backend=backend, allow_auto=allow_auto, cancel=cancel
    )


# --- steps ------------------------------------------------------------------------------------------------------
def _step(run: _Run, task: Task[Any, Any], step_input: Any) -> tuple[LLMMinutes, Any]:
    """One map or merge step: from the cache, or through the runner (then cached when the requested backend
    answered). Returns (partial minutes, the task output or None when cached)."""
    context = run.context()
    sources = task.gather(step_input, context)
    system, prompt = task.prompts(step_input, sources)
    key = step_key(
        task=task.name, version=task.version, schema=schema_digest(LLMMinutes), backend=run.decision.address,
        model=run.decision.model_id, system=system, prompt=prompt, level=step_input.classification,
    )  # fmt: skip
    hit = run.cache.get(key)
    if hit is not None:
        _audit_hit(run, task, [c.chunk_id for c in sources.chunks])
        with run.lock:
            run.cached += 1
        return hit, None
    output = run.runner.run(
        task, step_input, run.principal, backend=run.backend, allow_auto=run.allow_auto, cancel=run.cancel,
        sources=sources,
    )  # fmt: skip
    partial = output.partial if isinstance(output, MapOutput) else output.merged
    if output.mode == "llm" and output.backend == run.decision.address:
        run.cache.put(key, partial)
    with run.lock:
        run.calls += 1
        run.outputs.append(output)
        run.dropped += output.dropped_points
    return partial, output


def _audit_hit(run: _Run, task: Task[Any, Any], chunk_ids: list[str]) -> None:
    d = run.decision
    run.runner.router.audit.record(
        {
            "user": run.principal.name,
            "task": task.name,
            "requested": run.backend,
            "backend": d.address,
            "model_id": d.model_id,
            "mode": d.mode,
            "data_location": d.data_location,
            "level": d.level,
            "reason": CACHED_REASON,
            "chunk_ids": chunk_ids,
            "usage": None,
            "cost": 0.0,
            "cached": True,
            "outcome": "ok",
        }  # fmt: skip
    )


def _parallel(
    run: _Run, jobs: list[Callable[[], PartialMinutes]], stage: str, label: str, workers: int
) -> list:
    """Run `jobs` a few at a time, in order of results; the first failure cancels what has not started."""
    results: list[PartialMinutes | None] = [None] * len(jobs)
    done = 0
    run.on_progress(MinutesProgress(stage, 0, len(jobs), run.cached, label))
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        futures: dict[Future, int] = {pool.submit(_guarded(run, job)): n for n, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()
                    raise future.exception()  # type: ignore[misc]
                results[futures[future]] = future.result()
                done += 1
                run.on_progress(MinutesProgress(stage, done, len(jobs), run.cached, label))
    return [r for r in results if r is not None]


def _guarded(run: _Run, job: Callable[[], PartialMinutes]) -> Callable[[], PartialMinutes]:
    def call() -> PartialMinutes:
        if run.cancel.is_set():
            raise Cancelled(CANCELLED_MESSAGE)
        return job()

    return call


def _map(run: _Run, inp: MinutesInput, turns: list[Turn], workers: int) -> list[PartialMinutes]:
    segments = segment_turns(turns, run.runner.settings.minutes_map_chars)

    def job(n: int, segment: list[Turn]) -> Callable[[], PartialMinutes]:
        def call() -> PartialMinutes:
            step = MapInput(
                turns=segment, title=inp.title, part=n, parts=len(segments), classification=inp.classification
            )
            partial, _ = _step(run, MINUTES_MAP, step)
            return PartialMinutes(first_turn=segment[0].index, last_turn=segment[-1].index, minutes=partial)

        return call

    jobs = [job(n, segment) for n, segment in enumerate(segments, start=1)]
    return _parallel(run, jobs, "map", "部分要約", workers)


def _groups(parts: list[PartialMinutes], budget: int) -> Iterator[list[PartialMinutes]]:
    """Consecutive groups of at least two parts whose rendering fits `budget` (where two parts allow)."""
    group: list[PartialMinutes] = []
    for part in parts:
        if len(group) >= 2 and len(render_parts([*group, part])) > budget:
            yield group
            group = []
        group.append(part)
    if group:
        yield group  # a last single part passes through unchanged


def _merge(run: _Run, inp: MinutesInput, parts: list[PartialMinutes], workers: int) -> list[PartialMinutes]:
    budget = run.runner.settings.minutes_map_chars
    level = 0
    while len(parts) > 1 and len(render_parts(parts)) > budget:
        level += 1
        groups = list(_groups(parts, budget))

        def job(group: list[PartialMinutes]) -> Callable[[], PartialMinutes]:
            def call() -> PartialMinutes:
                if len(group) == 1:
                    return group[0]
                step = ReduceInput(
                    parts=group, title=inp.title, final=False, classification=inp.classification
                )
                merged, _ = _step(run, MINUTES_REDUCE, step)
                return PartialMinutes(
                    first_turn=group[0].first_turn, last_turn=group[-1].last_turn, minutes=merged
                )

            return call

        parts = _parallel(run, [job(g) for g in groups], "merge", f"中間統合（第{level}段）", workers)
    return parts


def _reduce(run: _Run, inp: MinutesInput, turns: list[Turn], parts: list[PartialMinutes]) -> Minutes:
    from assistant.minutes.llm import minutes_from_llm
    from assistant.tasks.minutes import finish

    run.on_progress(MinutesProgress("reduce", 0, 1, run.cached, "部分要約を統合しています。"))
    step = ReduceInput(
        parts=parts, title=inp.title, agenda=inp.agenda, style=inp.style, final=True, max_chars=inp.max_chars,
        classification=inp.classification,
    )  # fmt: skip
    output = _final_reduce(run, step)
    raw, fit = fit_minutes(_raw(inp, output.merged), inp.max_chars, hard=False)
    if fit.unfit and output.mode == "llm":  # re-ask once for items that cannot be cut at a sentence boundary
        note = (
            f"前回の出力では、次の項目が字数制限（{inp.max_chars}字）を超え、文の区切りで短くできませんでした："
            f"{'、'.join(fit.unfit[:10])}。各項目を{inp.max_chars}字以内で書き直すこと。"
        )
        output = _final_reduce(run, step.model_copy(update={"note": note}))
        raw, fit = fit_minutes(_raw(inp, output.merged), inp.max_chars, hard=False)
    raw, forced = fit_minutes(raw, inp.max_chars, hard=True)
    merged = LLMMinutes(
        agenda=raw.agenda, speakers=raw.speakers, actions=raw.actions, qa=raw.qa,
        decisions=[LLMPoint(text=p.text, turns=p.turns) for p in raw.decisions],
        next_meeting=output.merged.next_meeting,
    )  # fmt: skip
    # the minutes task's own checks (turns, speakers, 発言録, 質疑応答 by style), then the limit once more
    minutes, _ = fit_minutes(minutes_from_llm(inp, turns, merged), inp.max_chars, hard=True)
    run.on_progress(MinutesProgress("reduce", 1, 1, run.cached, "部分要約を統合しました。"))
    return finish(_stamp(run, minutes, output, fit.cut, forced.forced))


def _final_reduce(run: _Run, step: ReduceInput) -> ReduceOutput:
    output = run.runner.run(
        MINUTES_REDUCE, step, run.principal, backend=run.backend, allow_auto=run.allow_auto, cancel=run.cancel
    )
    run.calls += 1
    run.outputs.append(output)
    run.dropped += output.dropped_points
    return output


def _raw(inp: MinutesInput, merged: LLMMinutes) -> Minutes:
    """The merged answer as minutes, unshortened (to see what is over the limit before anything is cut)."""
    from assistant.tasks.minutes_models import Point

    return Minutes(
        max_chars=inp.max_chars, agenda=merged.agenda, speakers=merged.speakers, actions=merged.actions,
        decisions=[Point(text=p.text, turns=p.turns) for p in merged.decisions], qa=merged.qa,
    )  # fmt: skip


def _stamp(run: _Run, minutes: Minutes, final: ReduceOutput, cut: int, forced: int) -> Minutes:
    """Backend, mode and summed usage of every step; a Japanese notice of how the minutes were made."""
    costs = [o.usage.cost for o in run.outputs]
    usage = Usage(
        input_tokens=sum(o.usage.input_tokens for o in run.outputs),
        output_tokens=sum(o.usage.output_tokens for o in run.outputs),
        cost=None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
    )
    segments = sum(1 for o in run.outputs if isinstance(o, MapOutput)) + run.cached
    notes = [f"長時間の会議のため、文字起こしを部分に分けて要約し、統合しました（モデル呼出し{run.calls}回"]
    notes[0] += f"、保存済みの部分要約の再利用{run.cached}件）。" if run.cached else "）。"
    if run.dropped:
        notes.append(f"存在しない発言番号を示した要点{run.dropped}件を除外しました。")
    if cut or forced:
        notes.append(f"字数制限（{minutes.max_chars}字）に合わせて{cut + forced}件の要点を短縮しました。")
    substituted = next((o for o in run.outputs if o.substitution), None)
    log.debug("minutes stamped from %d steps (%d segments)", len(run.outputs), segments)
    return minutes.model_copy(
        update={
            "backend": final.backend,
            "model_id": final.model_id,
            "mode": final.mode,
            "usage": usage,
            "notice": "".join(notes),
            "requested_backend": substituted.requested_backend if substituted else None,
            "substitution": substituted.substitution if substituted else None,
        }  # fmt: skip
    )
