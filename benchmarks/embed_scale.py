"""Ingest-scale Bedrock embedding throughput against the fake Bedrock Runtime (a separate process on 127.0.0.1).

The fake answers each InvokeModel after `--latency` seconds and throttles (ThrottlingException) what exceeds a
quota: first `--capacity` requests in flight, then `--rate` requests per second. The stage (ingest/embedding.py)
embeds `--texts` synthetic Japanese chunk texts with Titan Text Embeddings v2 (one request per text, masking on)
at concurrency 1 (sequential), 4, 8 and 16, in botocore's adaptive and standard retry modes; an embedding run
killed (SIGKILL) half-way is resumed, counting what the re-run sends. Requests and retries come from the per-run
audit row (counted at botocore's hooks).

    .venv/bin/python benchmarks/embed_scale.py [--texts 480] [--latency 0.05] [--capacity 12] [--rate 60]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.model import Chunk  # noqa: E402

TITAN = "amazon.titan-embed-text-v2:0"
TOPICS = [
    "住民票の写しの交付",
    "転入届の受付",
    "公文書の保存期間",
    "テレワーク勤務",
    "情報公開請求",
    "予算要求",
]
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "ap-northeast-1",
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}  # fmt: skip

RESUMED_RUN = """
import sys
from benchmarks.embed_scale import chunks, embedder
from ingest.embedding import embed_missing
home, url, index, n = sys.argv[1:5]
class Target:
    index_dir, location = index, index
embed_missing(embedder(home, url, 8, "adaptive"), chunks(int(n)), target=Target())
"""


def chunks(n: int) -> list[Chunk]:
    texts = [
        f"第{i}条 {TOPICS[i % len(TOPICS)]}に関する事務は、所管課が{i % 30 + 1}日以内に処理し、"
        f"その結果を申請者に通知する。ただし、特別の事情があるときは、この限りでない。（整理番号{i:06d}）"
        for i in range(n)
    ]
    return [Chunk(f"c{i}", t, t, f"規程/{i // 10:04d}.md", "規程") for i, t in enumerate(texts)]


class Rows:
    """An audit sink keeping the rows in memory."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def record(self, event: dict) -> None:
        self.rows.append(event)


def embedder(home: str, url: str, concurrency: int, mode: str, rows: Rows | None = None):
    from assistant.backends.bedrock_embeddings import BedrockEmbedder
    from assistant.config import Settings

    settings = Settings(
        home=Path(home), bedrock_endpoint_url=url, embed_concurrency=concurrency, embed_retry_mode=mode
    )
    model = BedrockEmbedder(TITAN, settings)
    model.audit = rows or Rows()
    return model


def start_fake(latency: float, limit: list[str]) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "tests.fakes.bedrock_server", "--delay", str(latency), *limit]
    env = {**os.environ, **AWS_ENV}  # the fake logs clients killed mid-request: not part of the figures
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    return proc, proc.stdout.readline().strip()


def run_once(home: Path, url: str, n: int, concurrency: int, mode: str) -> dict:
    from ingest.embedding import embed_missing

    class Target:
        index_dir = location = str(home / f"idx-{concurrency}-{mode}")

    rows = Rows()
    model = embedder(str(home), url, concurrency, mode, rows)
    started = time.perf_counter()
    embed_missing(model, chunks(n), target=Target())
    seconds = time.perf_counter() - started
    row = rows.rows[-1]
    return {"seconds": seconds, "rate": n / seconds, "requests": row["requests"], "retries": row["retries"]}


def resume(home: Path, url: str, n: int) -> None:
    from ingest.embedding import embed_missing

    index = home / "idx-resume"
    env = {**os.environ, **AWS_ENV, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", RESUMED_RUN, str(home), url, str(index), str(n)]
    proc = subprocess.Popen(args, cwd=ROOT, env=env)
    time.sleep(0.1)
    cache = index / ".embed-cache.sqlite"
    import sqlite3

    while proc.poll() is None:
        time.sleep(0.1)
        if cache.exists():
            with sqlite3.connect(cache) as db:
                done = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
            if done >= n // 2:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait()

    class Target:
        index_dir = location = str(index)

    rows = Rows()
    started = time.perf_counter()
    embed_missing(embedder(str(home), url, 8, "adaptive", rows), chunks(n), target=Target())
    row = rows.rows[-1]
    print(
        f"resume after kill -9: {row['texts_cached']} of {n} texts from the cache, {row['texts_sent']} sent "
        f"({row['requests']} requests) in {time.perf_counter() - started:.2f} s"
    )


def table(home: Path, url: str, n: int, runs: list[tuple[str, int]]) -> None:
    print(f"{'mode':9} {'conc':>4} {'seconds':>8} {'texts/s':>8} {'requests':>8} {'retries':>7}")
    for mode, concurrency in runs:
        r = run_once(home, url, n, concurrency, mode)
        print(f"{mode:9} {concurrency:>4} {r['seconds']:>8.2f} {r['rate']:>8.1f} "
              f"{r['requests']:>8} {r['retries']:>7}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=480)
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds per request at the fake.")
    parser.add_argument("--capacity", type=int, default=12, help="Requests the fake serves at once.")
    parser.add_argument(
        "--rate", type=float, default=60, help="Requests per second the fake allows (2nd part)."
    )
    args = parser.parse_args()
    os.environ.update(AWS_ENV)
    with tempfile.TemporaryDirectory(prefix="embed-scale-") as tmp:
        home = Path(tmp)
        print(
            f"{args.texts} texts, Titan v2 (1 text/request), latency {args.latency * 1000:.0f} ms at the fake"
        )
        fake, url = start_fake(args.latency, ["--embed-capacity", str(args.capacity)])
        try:
            run_once(home / "warm", url, 16, 1, "adaptive")  # Sudachi (masking) and boto3 loaded
            print(f"-- quota: {args.capacity} requests in flight (beyond: ThrottlingException)")
            runs = [("adaptive", c) for c in (1, 4, 8, 16)] + [("standard", 8), ("standard", 16)]
            table(home / "capacity", url, args.texts, runs)
            resume(home, url, args.texts)
        finally:
            fake.terminate()
            fake.wait()
        fake, url = start_fake(args.latency, ["--embed-rate", str(args.rate)])
        try:
            print(f"-- quota: {args.rate:g} requests per second (beyond: ThrottlingException)")
            runs = [("adaptive", 4), ("adaptive", 8), ("adaptive", 16), ("standard", 8), ("standard", 16)]
            table(home / "rate", url, args.texts, runs)
        finally:
            fake.terminate()
            fake.wait()


if __name__ == "__main__":
    main()
