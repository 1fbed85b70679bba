"""Dense scores over index segments laid end to end (`starts[i]`: the first global row of segment i).

Exact: a numpy product over each segment's memory-mapped vectors. Approximate: each segment's HNSW index
(ann.py), or an exact scan of a segment without one (the small segments of recent changes), plus the exact
cosine of every BM25 candidate, so hybrid fusion sees a true dense score for every candidate it ranks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval import ann
from assistant.retrieval.fusion import top_rows

if TYPE_CHECKING:
    from assistant.retrieval.segments import Segment

_SCORE_BLOCK_BYTES = 64 * 2**20  # query-block × corpus score matrix kept under this for many queries


def exact_scores(segments: list[Segment], starts: np.ndarray, matrix: np.ndarray) -> Iterator[np.ndarray]:
    """Cosine of every row, one array per query (row of `matrix`), in query order."""
    size = int(starts[-1])
    if len(matrix) == 1:
        scores = np.empty(size, dtype=np.float32)
        with single_thread_blas():  # see RETRIEVAL-FACTS: the encoder's spinning threads
            for seg, start in zip(segments, starts, strict=False):
                scores[start : start + seg.rows] = seg.vectors @ matrix[0]
        yield scores
        return
    block = max(1, _SCORE_BLOCK_BYTES // (4 * max(1, size)))
    for first in range(0, len(matrix), block):
        part = matrix[first : first + block]
        scores = np.empty((len(part), size), dtype=np.float32)
        for seg, start in zip(segments, starts, strict=False):
            scores[:, start : start + seg.rows] = part @ seg.vectors.T
        yield from scores


def ann_scores(
    segments: list[Segment],
    starts: np.ndarray,
    query: np.ndarray,
    depth: int,
    allowed: np.ndarray | None,
    lexical: np.ndarray | None,
    *,
    ef_search: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense scores where known: the `depth` best allowed rows of each segment and the exact cosine of the
    `depth` best BM25 candidates; -inf elsewhere. Returned with the mask of those rows (all allowed), to
    which the ranking is then restricted."""
    size = int(starts[-1])
    dense = np.full(size, -np.inf, dtype=np.float32)
    scope = np.zeros(size, dtype=bool)
    with single_thread_blas():
        for seg, start in zip(segments, starts, strict=False):
            part = None if allowed is None else allowed[start : start + seg.rows]
            if seg.ann is not None:
                rows, scores = ann.search(seg.ann, seg.vectors, query, depth, part, ef_search)
            else:
                seg_scores = seg.vectors @ query
                rows = top_rows(seg_scores, depth, part)
                scores = seg_scores[rows]
            dense[start + rows] = scores
            scope[start + rows] = True
        if lexical is not None:
            candidates = positive_top(lexical, depth, allowed)
            dense[candidates] = cosines(segments, starts, candidates, query)
            scope[candidates] = True
    return dense, scope


def positive_top(scores: np.ndarray, n: int, allowed: np.ndarray | None) -> np.ndarray:
    """`fusion.top_rows` restricted to positive scores, partitioning only those: most BM25 scores of a large
    index are 0, and a partition of a million scores costs more than the scoring of a typical query."""
    rows = np.flatnonzero(scores > 0)
    if allowed is not None:
        rows = rows[allowed[rows]]
    if len(rows) > n:
        rows = rows[np.argpartition(-scores[rows], n - 1)[:n]]
    return rows[np.lexsort((rows, -scores[rows]))].astype(np.int64)


def cosines(segments: list[Segment], starts: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The exact cosine of these global rows (only their vectors are read)."""
    out = np.empty(len(rows), dtype=np.float32)
    which = np.searchsorted(starts, rows, side="right") - 1
    for i in np.unique(which):
        picked = which == i
        out[picked] = np.asarray(segments[i].vectors[rows[picked] - starts[i]]) @ query
    return out


_blas_controller = None
_blas_lock = threading.Lock()


@contextmanager
def single_thread_blas() -> Iterator[None]:
    """One BLAS thread for a single query's matrix-vector product (cached controller: ~20 µs)."""
    global _blas_controller
    with _blas_lock:
        if _blas_controller is None:
            from threadpoolctl import ThreadpoolController

            _blas_controller = ThreadpoolController()
    with _blas_controller.limit(limits=1, user_api="blas"):
        yield
