"""Scorers of how the outcome was produced: retrieval of the gold source, latency, tokens and cost."""

from __future__ import annotations

from pathlib import PurePath

from evals.metrics import rank_of, ranking_metrics
from evals.types import Item, Outcome

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10")


def ranked_sources(outcome: Outcome) -> list[str]:
    """The distinct `source` values of the outcome's sources, in rank order (a file counts at its best chunk)."""
    return list(dict.fromkeys(str(s.get("source", "")) for s in outcome.sources))


class Retrieval:
    """recall@1/5/10 and mrr@10 of meta["gold_source"] among the sources given to the task (rank order of distinct
    files). The gold matches a source's path, its file name, or its title. None without a gold source."""

    name = "retrieval"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        gold = item.meta.get("gold_source")
        if not gold:
            return dict.fromkeys(RETRIEVAL_KEYS)
        titles = {str(s.get("source", "")): str(s.get("title", "")) for s in outcome.sources}
        ranked = ranked_sources(outcome)
        aliases = [
            gold if gold in (path, PurePath(path).name, titles.get(path)) else path for path in ranked
        ]
        metrics = ranking_metrics([rank_of(gold, aliases)])
        return {key: float(metrics[key]) for key in RETRIEVAL_KEYS}


class Latency:
    name = "latency"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        return {"latency_ms": float(outcome.latency_ms)}


class Tokens:
    """input + output tokens (also each alone); None when the outcome reports no usage."""

    name = "tokens"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        usage = outcome.usage or {}
        if "input_tokens" not in usage and "output_tokens" not in usage:
            return {"tokens": None, "input_tokens": None, "output_tokens": None}
        tokens_in, tokens_out = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
        return {"tokens": float(tokens_in + tokens_out), "input_tokens": float(tokens_in),
                "output_tokens": float(tokens_out)}


class Cost:
    """USD; None when the backend's price is unknown (usage cost None) or no usage was reported."""

    name = "cost"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        cost = (outcome.usage or {}).get("cost")
        return {"cost_usd": None if cost is None else float(cost)}
