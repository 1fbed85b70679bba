"""Ranking metrics with a single gold item per query."""

from __future__ import annotations

import math

import numpy as np


def rank_of(gold: str, ranked: list[str]) -> int | None:
    """1-based rank of gold in ranked, or None."""
    try:
        return ranked.index(gold) + 1
    except ValueError:
        return None


def ranking_metrics(ranks: list[int | None]) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and nDCG@10 over queries whose gold rank is given (None = not found)."""
    n = len(ranks)
    if n == 0:
        return {"n_queries": 0}

    def recall(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    ndcg = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= 10) / n
    return {
        "n_queries": n,
        "recall@1": round(recall(1), 4),
        "recall@5": round(recall(5), 4),
        "recall@10": round(recall(10), 4),
        "mrr@10": round(mrr, 4),
        "ndcg@10": round(ndcg, 4),
    }


def latency_percentiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {"query_p50_ms": 0.0, "query_p95_ms": 0.0}
    ms = np.asarray(seconds) * 1000.0
    return {"query_p50_ms": round(float(np.percentile(ms, 50)), 2),
            "query_p95_ms": round(float(np.percentile(ms, 95)), 2)}
