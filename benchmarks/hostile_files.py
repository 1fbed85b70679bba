"""Hostile files (issue 12): each category at the issue's sizes through the loader sandbox, the API's
responsiveness while one is uploaded, and what the sandbox costs an ordinary ingest.

Prints, per category: files tried, loaded, skipped with the reason, time and the loading process's peak memory
(limits: the settings' defaults, or --seconds/--memory-mb). Then, with an API server (uvicorn, in this process)
taking an upload of the 3-million-paragraph DOCX: /health latency (every 0.25 s) and another user's small upload
meanwhile. Then the sample corpus (and 300 small Markdown files) ingested with the test embedder, so loading is
what is timed, by this tree and by the committed HEAD (`git archive`, in-process loading) for comparison.

    .venv/bin/python benchmarks/hostile_files.py [--small] [--skip-api] [--skip-corpus] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.ingesting import load_limits  # noqa: E402
from core.errors import YakubaError  # noqa: E402
from ingest.limits import FileLimitExceeded  # noqa: E402
from ingest.sandbox import LoaderPool  # noqa: E402
from tests.builders import hostile  # noqa: E402


def categories(folder: Path, small: bool) -> dict[str, list]:
    """Category → builders of its files (at the issue's sizes unless `small`)."""
    k = 10 if small else 1
    return {
        "xlsx merged A1:XFD1048576": [lambda: hostile.xlsx_merged_everywhere(folder / "merged.xlsx")],
        "docx 3M paragraphs": [lambda: hostile.docx_many_paragraphs(folder / "many.docx", 3_000_000 // k)],
        "docx zip bomb (2 GB XML)": [lambda: hostile.docx_zip_bomb(folder / "bomb.docx", 2048 // k)],
        "html nested 20k / 200k": [
            lambda: hostile.deep_html(folder / "deep20k.html", 20_000),
            lambda: hostile.deep_html(folder / "deep200k.html", 200_000),
        ],
        "text without line breaks 4.8 / 39 MB": [
            lambda: hostile.long_line_text(folder / "long4.8mb.txt", 1_600_000 // k),
            lambda: hostile.long_line_text(folder / "long39mb.txt", 13_000_000 // k),
        ],
        "pdf 10,000 empty pages": [
            lambda: hostile.blank_pdf(folder / "blank.pdf", 10_000 // k, "最後のページ")
        ],
        "billion laughs / XXE": [
            lambda: hostile.docx_billion_laughs(folder / "laughs.docx"),
            lambda: hostile.xlsx_billion_laughs(folder / "laughs.xlsx"),
            lambda: hostile.docx_xxe(folder / "xxe.docx", Path("/etc/hostname")),
        ],
        "docx XML nested 20k": [lambda: hostile.docx_deep_xml(folder / "deepxml.docx", 20_000)],
    }


def run_categories(settings: Settings, small: bool) -> list[dict]:
    limits = load_limits(settings)
    pool = LoaderPool(workers=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for category, builders in categories(Path(tmp), small).items():
            for build in builders:
                path = build()
                started = time.perf_counter()
                row = {"category": category, "file": path.name, "kb": round(path.stat().st_size / 1024)}
                try:
                    loaded = pool.load(path, path.parent, classification=1, groups=[], chunk_size=400,
                                       chunk_overlap=1, limits=limits)  # fmt: skip
                    row |= {"outcome": f"loaded, {len(loaded.chunks)} chunks", "peak_mb": loaded.peak_mb}
                except FileLimitExceeded as exc:
                    row |= {"outcome": f"skipped: {exc.detail}", "peak_mb": exc.peak_mb}
                except YakubaError as exc:
                    row |= {"outcome": f"refused ({type(exc).__name__}): {exc.message[:90]}", "peak_mb": None}
                row["seconds"] = round(time.perf_counter() - started, 1)
                rows.append(row)
                print(_row_line(row), flush=True)
                path.unlink()
    pool.close()
    return rows


def _row_line(row: dict) -> str:
    peak = f"{row['peak_mb']:.0f} MB" if row.get("peak_mb") else "-"
    return f"  {row['category']:<38} {row['file']:<16} {row['kb']:>7} KB {row['seconds']:>6} s  peak {peak:>8}  {row['outcome']}"


def run_api(settings_values: dict, small: bool) -> dict:
    """/health and a small upload by another user while the API parses the hostile DOCX."""
    import httpx
    import uvicorn

    from assistant.api import create_app
    from assistant.records import create_user
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline
    from tests.support.embedder import BigramEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        corpus = home / "corpus"
        corpus.mkdir()
        (corpus / "窓口案内.md").write_text(
            "# 窓口案内\n\n住民票の写しの交付手数料は300円です。\n", encoding="utf-8"
        )
        embedder = BigramEmbedder()
        IngestPipeline(LocalIndexTarget(home / "index"), embedder).run([corpus])
        settings = Settings(home=home / "home", index_dir=home / "index", database_url=f"sqlite:///{home / 'db'}",
                            rate_limit_per_minute=0, **settings_values)  # fmt: skip
        app = create_app(settings, embedder=embedder)
        with app.state.ctx.write_sessions.begin() as session:
            attacker = create_user(session, "attacker", [], 1, admin=True)[1]
            clerk = create_user(session, "clerk", [], 1, admin=True)[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8799, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = "http://127.0.0.1:8799"
        docx = hostile.docx_many_paragraphs(
            home / "many.docx", 3_000_000 // (10 if small else 1)
        ).read_bytes()
        result: dict = {}

        def attack() -> None:
            started = time.perf_counter()
            r = httpx.post(f"{base}/documents", headers={"Authorization": f"Bearer {attacker}"},
                           files={"files": ("many.docx", docx)}, timeout=600)  # fmt: skip
            result.update(status=r.status_code, seconds=round(time.perf_counter() - started, 1),
                          message=r.json().get("message", "")[:120])  # fmt: skip

        idle = []
        for _ in range(20):  # /health with nothing else going on, for comparison
            started = time.perf_counter()
            httpx.get(f"{base}/health", timeout=60)
            idle.append(time.perf_counter() - started)
        thread = threading.Thread(target=attack)
        thread.start()
        time.sleep(1.0)
        started = time.perf_counter()
        small_upload = httpx.post(f"{base}/documents", headers={"Authorization": f"Bearer {clerk}"},
                                  files={"files": ("開庁時間.md", "# 開庁時間\n\n午前八時三十分からです。\n".encode())},
                                  timeout=600)  # fmt: skip
        small_seconds = time.perf_counter() - started
        latencies = []
        while thread.is_alive():
            started = time.perf_counter()
            ok = httpx.get(f"{base}/health", timeout=60).status_code == 200
            latencies.append((time.perf_counter() - started, ok))
            time.sleep(0.25)
        thread.join()
        server.should_exit = True
        app.state.ctx.close()
    return {
        "hostile_upload": result,
        "small_upload": {"status": small_upload.status_code, "seconds": round(small_seconds, 2)},
        "health_idle_p50_ms": round(statistics.median(idle) * 1000, 1),
        "health_calls": len(latencies),
        "health_ok": sum(ok for _, ok in latencies),
        "health_p50_ms": round(statistics.median(t for t, _ in latencies) * 1000, 1) if latencies else None,
        "health_max_ms": round(max(t for t, _ in latencies) * 1000, 1) if latencies else None,
    }


CORPUS_RUN = """
import json, sys, time
from pathlib import Path
from assistant.retrieval.local_target import LocalIndexTarget
from ingest.pipeline import IngestPipeline
from tests.support.embedder import BigramEmbedder
corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
summary = IngestPipeline(LocalIndexTarget(index), BigramEmbedder()).run([corpus])
print(json.dumps({"seconds": time.perf_counter() - started, "files": summary.files_ingested,
                  "chunks": summary.chunks_total}))
"""


def run_corpus(repeats: int = 3) -> dict:
    """Ingest time of the sample corpus and of 300 small files: this tree vs the committed HEAD."""
    from ingest.sample.corpus import write_sample_corpus

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        head = tmp_path / "head"
        head.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(head)], input=archive.stdout, check=True)
        sample = tmp_path / "sample"
        write_sample_corpus(sample)
        small = tmp_path / "small"
        small.mkdir()
        for i in range(300):
            (small / f"通知{i:03}.md").write_text(
                f"# 通知{i}\n\n第{i}号の通知の本文です。期限は四月末です。\n", encoding="utf-8"
            )
        for corpus_name, corpus in (("sample corpus", sample), ("300 small files", small)):
            for tree_name, tree in (("HEAD (in-process)", head), ("this tree (sandbox)", ROOT)):
                runs = []
                for n in range(repeats):
                    index = tmp_path / f"index-{corpus_name}-{tree_name}-{n}".replace(" ", "_")
                    out = subprocess.run([sys.executable, "-c", CORPUS_RUN, str(corpus), str(index)], cwd=tree,
                                         capture_output=True, text=True, check=True)  # fmt: skip
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                seconds = statistics.median(r["seconds"] for r in runs)
                results[f"{corpus_name} / {tree_name}"] = {**runs[0], "seconds": round(seconds, 2)}
                print(f"  {corpus_name:<16} {tree_name:<22} {seconds:6.2f} s  ({runs[0]['files']} files, "
                      f"{runs[0]['chunks']} chunks; median of {repeats})", flush=True)  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the issue's sizes (a quick look)")
    parser.add_argument("--seconds", type=float, default=None, help="time limit per file (default: settings)")
    parser.add_argument(
        "--memory-mb", type=int, default=None, help="memory limit per file (default: settings)"
    )
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    values = {"ingest_file_seconds": args.seconds, "ingest_file_memory_mb": args.memory_mb}
    values = {key: value for key, value in values.items() if value is not None}
    settings = Settings(**values)
    limits = load_limits(settings)
    print(f"limits: {limits}")
    report: dict = {"limits": limits.__dict__, "categories": run_categories(settings, args.small)}
    if not args.skip_api:
        report["api"] = run_api(values, args.small)
        print(f"  API: {json.dumps(report['api'], ensure_ascii=False)}")
    if not args.skip_corpus:
        report["corpus"] = run_corpus()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
