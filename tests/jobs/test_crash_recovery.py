"""kill -9 of a worker process at three different points, then resume: every item is done and recorded exactly
once. Two worker processes on one job (SQLite and PostgreSQL): every item exactly once, both workers took part."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant.jobs.store import JobStore
from assistant.tasks.base import Principal
from tests.jobs.worker_proc import COMPLETIONS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
N = 30


def _spawn(db_url: str, job_id: str, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.jobs.worker_proc", db_url, job_id, *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _job(store: JobStore, sleep: float) -> str:
    with store.engine.begin() as conn:
        conn.execute(text(COMPLETIONS))
    inputs = [(i + 2, {"text": f"照会{i:02d}", "sleep": sleep}) for i in range(N)]
    return store.create("echo", inputs, Principal(name="tester")).id


def _check_exactly_once(store: JobStore, job_id: str) -> list[int]:
    progress = store.progress(job_id)
    assert (progress.state, progress.done) == ("done", N), progress.as_dict()
    items = store.items(job_id)
    assert [i.result["answer"] for i in items] == [f"回答：照会{i:02d}" for i in range(N)]
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT item_id, count(*), min(pid) FROM test_completions GROUP BY item_id")
        ).all()
    assert sorted(r[0] for r in rows) == sorted(i.id for i in items)
    assert all(count == 1 for _, count, _ in rows)
    return [pid for _, _, pid in rows]


def _wait_done(store: JobStore, job_id: str, at_least: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while store.progress(job_id).done < at_least:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("point", ["while_running_an_item", "inside_the_commit", "from_outside_mid_job"])
def test_kill_9_at_three_points_then_resume_does_every_item_exactly_once(point, store, db_url):
    job_id = _job(store, sleep=0.02)
    if point == "while_running_an_item":
        proc = _spawn(db_url, job_id, "--kill-on", "照会12")
    elif point == "inside_the_commit":
        proc = _spawn(db_url, job_id, "--kill-in-commit", "7")
    else:
        proc = _spawn(db_url, job_id)
        _wait_done(store, job_id, 15, proc)
        proc.kill()
    assert proc.wait(timeout=60) == -9
    killed = store.progress(job_id)
    assert 0 < killed.done < N and killed.state == "running"
    if point != "from_outside_mid_job":
        assert killed.running > 0  # items the dead worker held
    resumed = _spawn(db_url, job_id)
    assert resumed.wait(timeout=120) == 0, resumed.stderr.read().decode()
    _check_exactly_once(store, job_id)


def test_two_worker_processes_share_one_job(store, db_url, tmp_path):
    job_id = _job(store, sleep=0.1)
    barrier = ["--barrier", str(tmp_path / "barrier"), "--parties", "2"]
    (tmp_path / "barrier").mkdir()
    first, second = _spawn(db_url, job_id, *barrier), _spawn(db_url, job_id, *barrier)
    for proc in (first, second):
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    pids = _check_exactly_once(store, job_id)
    assert {first.pid, second.pid} == set(pids)
    assert {i.result["pid"] for i in store.items(job_id)} == {first.pid, second.pid}
