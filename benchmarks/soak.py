"""Soak: concurrent clients against a real `yakuba serve` for N minutes; errors, latency and the server's memory.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--clients 20] [--seed N] [--upload-share 0.05]

Set-up in a temporary YAKUBA_HOME: the sample corpus is written and indexed with the default embedder
(`yakuba ingest`), four users are made with `yakuba users add` (two of them in the uploader group 総務課), and
`yakuba serve` runs as its own process on a free loopback port (rate limit off, offline/extractive answers).

Each client (a thread with its own HTTP connection, one of the four users) repeats a request drawn from the seeded
RNG until the time is up: chat (JSON, or server-sent events; a new conversation or a follow-up in the client's
last one), search, conversation listing (the list, then one conversation), and small Markdown uploads (uploader
users only; the others list documents instead). An error is any status other than 200, an SSE stream that does
not end in `done`, or a failed connection (goal 0).

Printed: requests, errors, p50 and p95 latency per kind and overall; the server's resident memory (its process and
any children) at the start, after every minute, and at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
YAKUBA = str(ROOT / ".venv" / "bin" / "yakuba")
USERS = {  # name: (groups, clearance)
    "soumu1": ("総務課", 2),
    "soumu2": ("総務課,文書管理", 1),
    "zaisei": ("財政課", 2),
    "shimin": ("市民課", 1),
}
QUESTIONS = (
    "住民票の写しの交付手数料はいくらですか",
    "マイナンバーカードの交付申請に必要な書類は何ですか",
    "会計年度任用職員の休暇について照会事例はあるか",
    "児童手当の支給要件を教えてください",
    "公文書の保存期間はどのように定められていますか",
    "ごみの分別区分について",
)
FOLLOW_UPS = ("窓口はどこですか", "期限はいつまでですか", "手数料はかかりますか")
SEARCHES = ("住民票", "予算編成", "情報公開", "児童手当 支給", "個人情報の取扱い", "会議録")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    import psutil

    try:
        process = psutil.Process(pid)
        processes = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def _setup(home: Path, env: dict[str, str]) -> dict[str, str]:
    """Index the sample corpus, create the users; return name → API key."""
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "ingest.sample", str(home / "corpus")], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([YAKUBA, "ingest", str(home / "corpus"), "--quiet"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    keys = {}
    for name, (groups, clearance) in USERS.items():
        made = subprocess.run([YAKUBA, "users", "add", name, "--groups", groups, "--clearance", str(clearance),
                               "--json"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # fmt: skip
        keys[name] = json.loads(made.stdout)["api_key"]
    print(f"sample index and {len(keys)} users ready in {time.monotonic() - t0:.1f} s")
    return keys


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {error}")

    def totals(self) -> tuple[int, int]:
        with self.lock:
            return sum(len(v) for v in self.latencies.values()), sum(self.errors.values())


def _sse_ok(text: str) -> bool:
    events = [line[7:] for line in text.splitlines() if line.startswith("event: ")]
    return bool(events) and events[-1] == "done"


def client(
    number: int, base: str, name: str, key: str, deadline: float, seed: int, share: float, tally: Tally
):
    import httpx

    rng = random.Random(seed * 1000 + number)
    uploader = USERS[name][0].startswith("総務課")
    conversation: str | None = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=300) as http:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            draw = rng.random()
            kind = (
                "chat"
                if draw < 0.4
                else "search"
                if draw < 0.7
                else "conversations"
                if draw < 1 - share
                else "upload"
            )
            t0 = time.monotonic()
            error = None
            try:
                if kind == "chat":
                    body: dict = {"message": rng.choice(QUESTIONS)}
                    if conversation and rng.random() < 0.4:
                        body = {"message": rng.choice(FOLLOW_UPS), "conversation_id": conversation}
                    if rng.random() < 0.5:
                        kind = "chat (SSE)"
                        r = http.post("/chat", json={**body, "stream": True})
                        if r.status_code != 200 or not _sse_ok(r.text):
                            error = f"{r.status_code} {r.text[-300:]}"
                    else:
                        r = http.post("/chat", json=body)
                        if r.status_code != 200:
                            error = f"{r.status_code} {r.text[:300]}"
                        else:
                            conversation = r.json()["conversation_id"]
                elif kind == "search":
                    r = http.post("/search", json={"query": rng.choice(SEARCHES), "k": 5})
                    error = None if r.status_code == 200 else f"{r.status_code} {r.text[:300]}"
                elif kind == "conversations":
                    r = http.get("/conversations")
                    if r.status_code == 200 and r.json():
                        r = http.get(f"/conversations/{rng.choice(r.json())['id']}")
                    error = None if r.status_code == 200 else f"{r.status_code} {r.text[:300]}"
                elif uploader:
                    text = f"# 連絡事項 {name}-{number}-{n}\n\n第{n}回の連絡事項です。窓口の受付時間は午前9時からです。\n"
                    files = [("files", (f"連絡-{number}-{n}.md", text.encode("utf-8"), "text/markdown"))]
                    r = http.post("/documents", files=files, data={"classification": "1"})
                    error = None if r.status_code == 200 else f"{r.status_code} {r.text[:300]}"
                else:
                    kind = "documents"
                    r = http.get("/documents")
                    error = None if r.status_code == 200 else f"{r.status_code} {r.text[:300]}"
            except (
                Exception
            ) as exc:  # a dropped connection or a timeout is an error of the soak, not of the script
                error = f"{type(exc).__name__}: {exc}"
            tally.add(kind, time.monotonic() - t0, error)


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="Random seed (default: drawn and printed).")
    parser.add_argument("--upload-share", type=float, default=0.05, help="Share of requests that upload.")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    print(f"seed {seed}; {args.clients} clients for {args.minutes:g} min")
    home = Path(tempfile.mkdtemp(prefix="yakuba-soak-"))
    port = _free_port()
    env = {**os.environ, "YAKUBA_HOME": str(home), "YAKUBA_RATE_LIMIT_PER_MINUTE": "0",
           "YAKUBA_UPLOAD_GROUPS": '["総務課"]', "YAKUBA_DEFAULT_BACKEND": "offline/extractive"}  # fmt: skip
    for name in ("YAKUBA_INDEX_DIR", "YAKUBA_DATABASE_URL"):
        env.pop(name, None)
    server = None
    try:
        keys = _setup(home, env)
        log = (home / "server.log").open("w")
        server = subprocess.Popen([YAKUBA, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        import httpx

        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"the server exited: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        rss = [("start", _rss_mb(server.pid))]
        print(f"server pid {server.pid} on {base}; RSS at start {rss[0][1]:.0f} MB", flush=True)
        tally = Tally()
        t0 = time.monotonic()
        deadline = t0 + args.minutes * 60
        names = list(keys)
        threads = [
            threading.Thread(target=client, args=(i, base, names[i % len(names)], keys[names[i % len(names)]],
                                                  deadline, seed, args.upload_share, tally), daemon=True)
            for i in range(args.clients)
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        minute = 1
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            if time.monotonic() >= t0 + minute * 60 and minute <= args.minutes:
                requests, errors = tally.totals()
                rss.append((f"minute {minute}", _rss_mb(server.pid)))
                print(
                    f"minute {minute}: RSS {rss[-1][1]:.0f} MB, {requests} requests, {errors} errors",
                    flush=True,
                )
                minute += 1
        wall = time.monotonic() - t0
        rss.append(("end", _rss_mb(server.pid)))
        print()
        print("kind | requests | errors | p50 ms | p95 ms")
        everything: list[float] = []
        for kind, values in sorted(tally.latencies.items()):
            everything += values
            print(f"{kind} | {len(values)} | {tally.errors.get(kind, 0)} | {_pct(values, 50) * 1000:.0f} | "
                  f"{_pct(values, 95) * 1000:.0f}")  # fmt: skip
        requests, errors = tally.totals()
        print(
            f"all | {requests} | {errors} | {_pct(everything, 50) * 1000:.0f} | {_pct(everything, 95) * 1000:.0f}"
        )
        print(f"{requests / wall:.1f} requests/s over {wall:.0f} s")
        print("server RSS (MB): " + ", ".join(f"{label} {mb:.0f}" for label, mb in rss))
        for example in tally.examples:
            print("error:", example)
        if server.poll() is not None:
            print(f"the server exited with {server.returncode}")
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
