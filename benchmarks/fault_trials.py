"""Backend fault trials: POST /chat (JSON and server-sent events) against the fake Bedrock and OpenAI-compatible
servers while they throttle, fail, stall, cut streams, send damaged frames or errors inside the stream.

    .venv/bin/python benchmarks/fault_trials.py [--requests 24] [--seed N]

The API runs in-process (FastAPI TestClient) over a small labelled index (the API tests' corpus and their
bigram embedder) and a fresh SQLite database. Per fault kind, `--requests` chat requests are sent; each one
alternates backend (bedrock/claude-haiku-4-5, openai/fake-chat), form (JSON, SSE) and whether the user allowed
re-routing (`allow_auto`), and the fake is told to fail the next 1-4 requests (drawn from the seeded RNG; three
attempts per backend, so 3-4 failures exhaust the retries). Stream faults strike either before the first piece
of text or half-way through the answer (also drawn).

Printed per kind: requests; answered (by the chosen model or another); retried (a fault, then the chosen model
answered); fell back with notice (another model answered, `substitution` stated); silent substitutions (another
model answered without the notice, or without the user's permission: goal 0); errors shown (an error status or
`error` event with a Japanese message), of which cut mid-answer (the answer broke after text had been produced:
reported, never restarted silently); half-saved (messages stored by a failed request, a question without its
answer, or a stored answer that differs from the one returned: goal 0).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = (
    "throttle",
    "server_error",
    "unavailable",
    "timeout",
    "stream_cut",
    "malformed_frame",
    "stream_error",
)
STREAM_FAULTS = {"stream_cut", "malformed_frame", "stream_error"}
BACKENDS = ("bedrock/claude-haiku-4-5", "openai/fake-chat")
QUESTION = "住民票の写しの交付手数料はいくらですか"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def _api(tmp: Path, bedrock_url: str, openai_url: str):  # noqa: ANN202
    from fastapi.testclient import TestClient

    from assistant.api import create_app
    from assistant.config import Settings
    from assistant.records import create_user
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline
    from tests.api.conftest import CORPUS
    from tests.support.embedder import BigramEmbedder

    corpus = tmp / "corpus"
    for folder, (labels, name, text) in CORPUS.items():
        (corpus / folder).mkdir(parents=True)
        (corpus / folder / ".yakuba.json").write_text(json.dumps(labels), encoding="utf-8")
        (corpus / folder / name).write_text(text, encoding="utf-8")
    embedder = BigramEmbedder()
    IngestPipeline(LocalIndexTarget(tmp / "index"), embedder).run([corpus / f for f in CORPUS])
    settings = Settings(
        home=tmp / "home",
        index_dir=tmp / "index",
        database_url=f"sqlite:///{tmp / 'yakuba.db'}",
        rate_limit_per_minute=0,
        bedrock_endpoint_url=bedrock_url,
        openai_base_url=openai_url,
        openai_models=["fake-chat"],
        backend_backoff_seconds=0.01,
        backend_backoff_max_seconds=0.05,
        backend_timeout_seconds=0.5,
    )
    app = create_app(settings, embedder=embedder)
    with app.state.ctx.write_sessions.begin() as session:
        key = create_user(session, "tester", [], 1)[1]
    return TestClient(app), app.state.ctx, {"Authorization": f"Bearer {key}"}


def _messages(ctx) -> list[tuple[str, str, str]]:  # noqa: ANN001
    from assistant.records.models import Message

    with ctx.sessions() as session:
        return [(m.conversation_id, m.role, m.text) for m in session.query(Message).order_by(Message.id)]


def trial(client, ctx, headers, fakes, kind: str, n: int, rng: random.Random) -> dict[str, int]:  # noqa: ANN001
    keys = ("requests", "answered", "retried", "fallback", "silent", "errors", "cut", "half_saved")
    row = dict.fromkeys(keys, 0)
    for i in range(n):
        backend = BACKENDS[i % 2]
        stream, allow_auto = bool(i // 2 % 2), bool(i // 4 % 2)
        fake = fakes[backend]
        fake.reset()
        fake.stall_seconds = 1.0
        fake.cut_fraction = rng.choice((0.0, 0.5)) if kind in STREAM_FAULTS else 0.5
        fake.fail_next(rng.randint(1, 4), kind)
        before = _messages(ctx)
        body = {"message": QUESTION, "backend": backend, "stream": stream, "allow_auto": allow_auto}
        response = client.post("/chat", json=body, headers=headers)
        if stream:
            name, data = _sse(response.text)[-1]
            ok = name == "done"
        else:
            ok, data = response.status_code == 200, response.json()
        row["requests"] += 1
        added = _messages(ctx)[len(before) :]
        if ok:
            row["answered"] += 1
            if data["backend"] == backend:
                row["retried"] += 1
            elif data.get("substitution") and allow_auto:
                row["fallback"] += 1
            else:
                row["silent"] += 1
            whole = [(r, t) for _, r, t in added] == [("user", QUESTION), ("assistant", data["answer"])]
            row["half_saved"] += 0 if whole else 1
        else:
            row["errors"] += 1 if JAPANESE.search(data.get("message", "")) else 0
            row["cut"] += 1 if "途中で途切れました" in data.get("message", "") else 0
            row["half_saved"] += 1 if added else 0
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24, help="Chat requests per fault kind.")
    parser.add_argument("--seed", type=int, default=None, help="Random seed (default: drawn and printed).")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    print(f"seed {seed}")
    rng = random.Random(seed)

    import logging
    import os

    from tests.fakes.bedrock_server import FakeBedrock
    from tests.fakes.openai_server import FakeOpenAI

    logging.disable(logging.WARNING)  # the router logs every failed attempt; the table says it all
    os.environ.update(  # the fake Bedrock needs signed requests, never real credentials
        AWS_ACCESS_KEY_ID="fake", AWS_SECRET_ACCESS_KEY="fake", AWS_EC2_METADATA_DISABLED="true"
    )
    tmp = Path(tempfile.mkdtemp(prefix="yakuba-faults-"))
    try:
        with FakeBedrock() as bedrock, FakeOpenAI() as openai:
            client, ctx, headers = _api(tmp, bedrock.url, openai.url)
            fakes = {BACKENDS[0]: bedrock, BACKENDS[1]: openai}
            header = ("fault", "requests", "answered", "retried", "fell back+notice", "silent subst.",
                      "errors shown", "of which cut mid-answer", "half-saved")  # fmt: skip
            print(" | ".join(header))
            totals: dict[str, int] = {}
            t0 = time.monotonic()
            for kind in KINDS:
                row = trial(client, ctx, headers, fakes, kind, args.requests, rng)
                for key, value in row.items():
                    totals[key] = totals.get(key, 0) + value
                print(" | ".join([kind, *(str(v) for v in row.values())]), flush=True)
            print(" | ".join(["total", *(str(v) for v in totals.values())]))
            print(f"{time.monotonic() - t0:.1f} s")
            client.close()
            ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
