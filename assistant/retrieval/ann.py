"""Approximate nearest neighbours for large segments: FAISS HNSW (inner product on unit vectors).

A segment of at least `ann_min_chunks` rows gets an `IndexHNSWFlat` when it is written (segments.py);
smaller segments (one added file) are scanned exactly. Access filters act inside the graph search
(an `IDSelectorBitmap` of the allowed rows), so filtered-out chunks are never returned and the best
allowed ones are; when a filter leaves only a small share of a segment, those rows are scored
exactly instead (a scan of few rows is both cheaper and exact, where a graph walk would mostly meet
excluded nodes). Parameters are measured in benchmarks/local_store_scale.py: M=16, efConstruction=64 built
1M × 384 in ~7 min on the shared 2-core machine (100k: 23 s); efSearch 64–128 gave recall@10 0.99+ for real
queries at 100k and 1M. Random unit queries among random unit vectors (no structure for a graph to use) are
the known worst case of HNSW and stay far below that; real embeddings are not uniform.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ANN_FILE = "hnsw.faiss"
HNSW_M = 16
EF_CONSTRUCTION = 64
EXACT_BELOW_SHARE = 0.05  # a filter leaving fewer allowed rows than this share: exact scan of those rows


def build(folder: Path, vectors: np.ndarray) -> None:
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(folder / ANN_FILE))


def load(folder: Path) -> Any:
    """The segment's index, for searching. One query never needs OpenMP threads, and idle ones spin for a
    while after each search, taking the cores the query encoder needs next (as its own threads do for BLAS,
    RETRIEVAL-FACTS), so a process that searches uses one."""
    import faiss

    faiss.omp_set_num_threads(1)
    return faiss.read_index(str(folder / ANN_FILE))


def search(
    index: Any, vectors: np.ndarray, query: np.ndarray, n: int, allowed: np.ndarray | None, ef: int
) -> tuple[np.ndarray, np.ndarray]:
    """The (rows, cosines) of up to `n` best allowed rows of one segment, best first."""
    import faiss

    total = len(vectors)
    count = total if allowed is None else int(np.count_nonzero(allowed))
    if allowed is not None and (count < EXACT_BELOW_SHARE * total or count <= n):
        return _exact(vectors, query, n, allowed)
    params = faiss.SearchParametersHNSW()
    params.efSearch = max(ef, n)
    if allowed is not None:
        bits = np.packbits(allowed, bitorder="little")
        params.sel = faiss.IDSelectorBitmap(total, faiss.swig_ptr(bits))
    scores, rows = index.search(query.reshape(1, -1).astype(np.float32), n, params=params)
    found = rows[0] >= 0
    if np.count_nonzero(found) < min(n, count):  # the walk ran out of allowed nodes: never return too few
        return _exact(vectors, query, n, allowed)
    return rows[0][found].astype(np.int64), scores[0][found].astype(np.float32)


def _exact(vectors: np.ndarray, query: np.ndarray, n: int, allowed: np.ndarray | None):
    rows = np.arange(len(vectors)) if allowed is None else np.flatnonzero(allowed)
    scores = np.asarray(vectors[rows]) @ query
    best = np.argsort(-scores, kind="stable")[:n]
    return rows[best].astype(np.int64), scores[best].astype(np.float32)
