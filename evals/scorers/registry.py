"""The scorer registry: name → factory, and `get_scorers(names, **options)`.

Options are passed by name to the factories that declare them (only `judge` takes any today:
`judge_router`, `judge_backend`, `judge_aspects`, `judge_settings`, `judge_default_level`); an option no
registered factory declares is an error, so a misspelt option does not pass silently.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from core.errors import YakubaError
from evals.scorers.answers import CharF1, Containment, ExactChoice, Format, Length, Refusal
from evals.scorers.citations import CitationCoverage, CitationValidity, SourceHit
from evals.scorers.rouge import rouge, rouge_char
from evals.scorers.runs import Cost, Latency, Retrieval, Tokens
from evals.scorers.sections import SectionMatch
from evals.types import Scorer


class UnknownScorerError(YakubaError):
    pass


def _judge(
    judge_router: Any = None,
    judge_backend: str | None = None,
    judge_aspects: Iterable[str] | None = None,
    judge_settings: Any = None,
    judge_default_level: int = 3,
) -> Scorer:
    from evals.scorers.judge import ASPECTS, Judge

    return Judge(
        router=judge_router,
        backend=judge_backend,
        aspects=tuple(judge_aspects or ASPECTS),
        settings=judge_settings,
        default_level=judge_default_level,
    )


SCORERS: dict[str, Callable[..., Scorer]] = {
    "containment": Containment,
    "char_f1": CharF1,
    "rouge": rouge,
    "rouge_char": rouge_char,
    "exact_choice": ExactChoice,
    "length": Length,
    "format": Format,
    "citation_validity": CitationValidity,
    "citation_coverage": CitationCoverage,
    "source_hit": SourceHit,
    "refusal": Refusal,
    "retrieval": Retrieval,
    "section_match": SectionMatch,
    "latency": Latency,
    "tokens": Tokens,
    "cost": Cost,
    "judge": _judge,
}


def _accepted(factory: Callable[..., Scorer]) -> set[str]:
    return {
        p.name
        for p in inspect.signature(factory).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    } if not inspect.isclass(factory) else set()


def get_scorers(names: Iterable[str], **options: Any) -> list[Scorer]:
    """The scorers named, in order (duplicates once), each built with the options its factory declares."""
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in SCORERS]
    if unknown:
        raise UnknownScorerError(
            f"評価指標「{'、'.join(unknown)}」はありません。使用できるもの: {', '.join(SCORERS)}"
        )
    known_options = set().union(*(_accepted(f) for f in SCORERS.values()))
    stray = sorted(options.keys() - known_options)
    if stray:
        raise UnknownScorerError(
            f"評価指標の設定項目「{'、'.join(stray)}」はありません。使用できるもの: {', '.join(sorted(known_options))}"
        )
    scorers = []
    for name in names:
        factory = SCORERS[name]
        accepted = _accepted(factory)
        scorers.append(factory(**{k: v for k, v in options.items() if k in accepted}))
    return scorers
