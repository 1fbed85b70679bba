"""Ranking maths: top-k selection under an access mask, score normalisation, hybrid fusion.

Pure functions over numpy arrays, so they are tested directly and shared by the local store and the
evaluation scripts. Every score array holds one score per chunk row of the index.

Weighted fusion (the default) follows the measurement in RETRIEVAL-FACTS: per query, take the best
`pool` rows of each ranker (among the allowed rows only), min-max normalise both scores over the
union of those candidates, and rank by  α·dense + (1−α)·lexical.  Reciprocal rank fusion is kept
for comparison; it was worse than BM25 alone on R@1 in our measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

FusionMethod = Literal["weighted", "rrf"]
RRF_K = 60


class Ranking(NamedTuple):
    """The k best rows, best first, with the fused score and both normalised ranker scores."""

    rows: np.ndarray  # int64 row numbers into the index
    scores: np.ndarray  # fused score used for the order
    lexical: np.ndarray  # min-max normalised BM25 over the candidate pool
    dense: np.ndarray  # min-max normalised cosine over the candidate pool


def top_rows(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Row numbers of the `n` highest scores, best first (ties: lower row first).

    `allowed` is a boolean mask over rows; rows outside it are never returned, and up to `n`
    allowed rows are always returned — the access filter acts before the cut, not after.
    """
    rows = np.flatnonzero(allowed) if allowed is not None else None
    cand = scores[rows] if rows is not None else scores
    n = min(n, len(cand))
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    best = np.argpartition(-cand, n - 1)[:n] if n < len(cand) else np.arange(len(cand))
    best = best[np.lexsort((best, -cand[best]))]
    return (rows[best] if rows is not None else best).astype(np.int64)


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]. A constant array maps to 1 where positive and 0 elsewhere."""
    scores = np.asarray(scores, dtype=np.float32)
    if scores.size == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    if hi - lo <= 1e-12:
        return (scores > 0).astype(np.float32)
    return (scores - lo) / (hi - lo)


def weighted_fusion(dense: np.ndarray, lexical: np.ndarray, alpha: float) -> np.ndarray:
    """α·minmax(dense) + (1−α)·minmax(lexical) over aligned candidate arrays."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within 0..1, got {alpha}")
    return alpha * minmax(dense) + (1.0 - alpha) * minmax(lexical)


def reciprocal_rank_fusion(rankings: Sequence[np.ndarray], k: int = RRF_K) -> dict[int, float]:
    """Σ 1/(k + rank) over the rankings a row appears in (rank is 1-based)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (k + rank)
    return fused


def rank_single(
    scores: np.ndarray, k: int, allowed: np.ndarray | None = None, *, positive_only=False
) -> Ranking:
    """One ranker alone (BM25-only or dense-only search)."""
    rows = top_rows(scores, k, allowed)
    if positive_only:
        rows = rows[scores[rows] > 0]
    picked = scores[rows].astype(np.float32)
    return Ranking(rows, picked, minmax(picked), minmax(picked))


def rank_hybrid(
    dense: np.ndarray,
    lexical: np.ndarray,
    k: int,
    *,
    alpha: float,
    pool: int,
    allowed: np.ndarray | None = None,
    method: FusionMethod = "weighted",
) -> Ranking:
    """Fuse the dense and BM25 rankings; candidates are the best max(pool, k) allowed rows of each."""
    depth = max(pool, k)
    dense_top = top_rows(dense, depth, allowed)
    lexical_top = top_rows(lexical, depth, allowed)
    lexical_top = lexical_top[lexical[lexical_top] > 0]  # a chunk sharing no word is no BM25 candidate
    cand = np.union1d(dense_top, lexical_top)
    dense_n = minmax(dense[cand])
    lexical_n = minmax(lexical[cand])
    if method == "weighted":
        fused = weighted_fusion(dense[cand], lexical[cand], alpha)
    elif method == "rrf":
        by_row = reciprocal_rank_fusion([dense_top, lexical_top])
        fused = np.array([by_row[int(r)] for r in cand], dtype=np.float32)
    else:
        raise ValueError(f"unknown fusion method {method!r}")
    order = np.lexsort((cand, -fused))[:k]
    return Ranking(cand[order], fused[order], lexical_n[order], dense_n[order])
