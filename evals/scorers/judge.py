"""LLM-as-judge: one rubric per aspect (prompts/judge_<aspect>.md, in Japanese), a 1–5 score with a reason.

Every judge call goes through the project's router as task "judge", so the classification policy, personal-data
masking and the audit log apply exactly as for the task itself. The request's level is the highest 機密性 among
the outcome's sources — for every aspect, also those whose prompt does not show the sources (relevance, style):
the answer quotes them. A source without a `classification` field counts as `default_level` (3, the strictest,
unless told otherwise), so an outcome that does not carry its sources' levels is never sent further than the
policy allows for level-3 text.

Metrics: judge_<aspect> (1–5), judge_refused (1.0 when the policy refused the judge backend for this item: the
aspects are then None), judge_failed (1.0 when the backend failed or answered out of schema twice), and
judge_cost_usd. Errored or empty outcomes are not sent (aspects None); their failure shows in `format_ok`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.prompts import load_prompt, neutralise, render_sources
from core.errors import PolicyRefused, YakubaError
from core.model import Chunk
from core.policy import level_of
from evals.types import Item, Outcome

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.router import Router

log = logging.getLogger(__name__)

ASPECTS = ("groundedness", "relevance", "style")
TASK = "judge"
_CHUNK_FIELDS = {f.name for f in dataclasses.fields(Chunk)}


class JudgeNotConfigured(YakubaError):
    """No LLM backend is set for the judge."""


class Verdict(BaseModel):
    """The judge's verdict on one aspect of an answer."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, description="1 (worst) to 5 (best), per the rubric.")
    reason: str = Field(description="Why, in Japanese, one to three sentences.")


def source_chunks(outcome: Outcome, default_level: int) -> list[Chunk]:
    """The outcome's sources as chunks (for render_sources and level_of); missing levels get `default_level`."""
    chunks = []
    for src in outcome.sources:
        values: dict[str, Any] = {k: v for k, v in src.items() if k in _CHUNK_FIELDS}
        text = str(values.get("text") or "")
        values |= {
            "chunk_id": str(values.get("chunk_id") or ""),
            "text": text,
            "search_text": str(values.get("search_text") or text),
            "source": str(values.get("source") or ""),
            "title": str(values.get("title") or ""),
            "classification": int(src.get("classification") or default_level),
        }
        chunks.append(Chunk(**values))
    return chunks


def question_of(item: Item) -> str:
    question = item.input.get("question")
    if isinstance(question, str):
        return question
    return "\n".join(str(v) for v in item.input.values() if isinstance(v, str))


class Judge:
    """Scores answers on `aspects` with the LLM `backend` (an address; default: settings.task_defaults["judge"])."""

    name = "judge"

    def __init__(
        self,
        router: Router | None = None,
        backend: str | None = None,
        aspects: Sequence[str] = ASPECTS,
        settings: Settings | None = None,
        default_level: int = 3,
        user: str | None = "evals",
    ):
        from assistant.backends.registry import resolve

        if router is None:
            from assistant.config import get_settings
            from assistant.router import Router

            router = Router(settings or get_settings())
        self.router = router
        self.backend = backend or router.settings.task_defaults.get(TASK)
        if not self.backend or resolve(router.settings, self.backend).mode != "llm":
            raise JudgeNotConfigured(
                f"評価用のモデル（judge）に生成AIのモデルが指定されていません（{self.backend or '未指定'}）。"
                "`judge_backend` に bedrock/claude-haiku-4-5 などを指定するか、"
                '設定 task_defaults に {"judge": "…"} を追加してください。'
            )
        unknown = [a for a in aspects if a not in ASPECTS]
        if unknown:
            raise ValueError(f"unknown judge aspects {unknown}; use some of {', '.join(ASPECTS)}")
        self.aspects = tuple(aspects)
        self.default_level = default_level
        self.user = user
        self._system = load_prompt("judge_system").render()
        self._templates = {a: load_prompt(f"judge_{a}") for a in self.aspects}

    def prompt(self, aspect: str, item: Item, outcome: Outcome, chunks: Sequence[Chunk]) -> str:
        reference = item.expected.get("reference") or "\n".join(item.expected.get("answers") or [])
        values = {
            "question": neutralise(question_of(item)),
            "answer": neutralise(outcome.text),
            "sources": render_sources(chunks) or "（なし）",
            "reference": neutralise(reference) if reference else "（なし）",
        }
        template = self._templates[aspect]
        return template.render(**{k: v for k, v in values.items() if k in template.placeholders})

    def verdicts(self, item: Item, outcome: Outcome) -> tuple[dict[str, Verdict | None], dict[str, float | None]]:
        """Aspect → verdict (None when not judged), and the bookkeeping metrics."""
        from assistant.router import ModelRequest

        found: dict[str, Verdict | None] = dict.fromkeys(self.aspects)
        extra: dict[str, float | None] = {"judge_refused": 0.0, "judge_failed": 0.0, "judge_cost_usd": 0.0}
        if outcome.error is not None or not outcome.text.strip():
            return found, {"judge_refused": None, "judge_failed": None, "judge_cost_usd": None}
        chunks = source_chunks(outcome, self.default_level)
        for aspect in self.aspects:
            request = ModelRequest(
                task=TASK,
                system=self._system,
                prompt=self.prompt(aspect, item, outcome, chunks),
                level=level_of(chunks),
                chunk_ids=[c.chunk_id for c in chunks],
                backend=self.backend,
                user=self.user,
                schema=Verdict,
            )
            try:
                result = self.router.call(request)
            except PolicyRefused as exc:
                log.warning("judge refused for item %s: %s", item.id, exc.message)
                return dict.fromkeys(self.aspects), extra | {"judge_refused": 1.0, "judge_cost_usd": None}
            except YakubaError as exc:
                log.warning("judge failed on %s for item %s: %s", aspect, item.id, exc.message)
                extra["judge_failed"] = 1.0
                continue
            cost = result.usage.get("cost")
            extra["judge_cost_usd"] = None if cost is None or extra["judge_cost_usd"] is None else (
                extra["judge_cost_usd"] + cost
            )
            if isinstance(result.data, Verdict):
                found[aspect] = result.data
            elif result.data is not None:
                found[aspect] = Verdict.model_validate(result.data)
            else:  # a backend that ignored the schema (should not happen for an LLM backend)
                extra["judge_failed"] = 1.0
        return found, extra

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        found, extra = self.verdicts(item, outcome)
        return {f"judge_{a}": (None if v is None else float(v.score)) for a, v in found.items()} | extra
