"""A whole 2020 Tokyo assembly meeting to minutes by map-reduce through the fake Bedrock: calls, tokens, time, cache.

    .venv/bin/python benchmarks/minutes_mapreduce.py [--meeting 4] [--backend bedrock/claude-haiku-4-5]
        [--map-chars 12000] [--delay 0] [--concurrency 4] [--max-chars 100]

Reads meeting `--meeting` (1-based) of ../shared/datasets/tokyo_assembly_2020_minutes (the 定例会 file) with the
minutes task's JSON reader, starts the fake Bedrock runtime on 127.0.0.1 (its structured answers built from each
prompt by `tests.fakes.minutes_responder`; `--delay` seconds of latency per call) and drafts minutes with
`assistant.minutes.mapreduce.draft_minutes` in a fresh temporary YAKUBA_HOME, four times:

1. 要点筆記 with a cold map cache;  2. the same again (a retry): no map call expected;
3. 質疑応答 (a style change): no map call expected;  4. 発言録 without a limit.

For each run: model calls by task (from the audit log: `minutes_map`; `minutes_reduce` = intermediate merges plus
the final reduce, and its one re-ask when an item cannot be cut to the limit; cache hits of each), input/output tokens (the
fake counts about two characters per token), wall time and the process's peak RSS. The fake answers instantly
(unless `--delay`), so the times are our own overhead: routing, masking, HTTP, validation, caching.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASET = ROOT.parent / "shared" / "datasets" / "tokyo_assembly_2020_minutes"
FILE = "utterances_tokyo_proceeding2020_withURL.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meeting", type=int, default=4, help="Meeting in the 定例会 file (1-based).")
    parser.add_argument("--backend", default="bedrock/claude-haiku-4-5")
    parser.add_argument("--map-chars", type=int, default=12_000, help="settings.minutes_map_chars")
    parser.add_argument("--delay", type=float, default=0.0, help="Latency of each fake model call (s).")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-chars", type=int, default=100)
    args = parser.parse_args()
    if not (DATASET / FILE).is_file():
        raise SystemExit(f"dataset not found: {DATASET / FILE}")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():  # fmt: skip
        os.environ[name] = value

    from assistant.audit import JsonlAuditSink
    from assistant.config import Settings
    from assistant.minutes.fitting import within_limit
    from assistant.minutes.mapreduce import draft_minutes, segment_turns
    from assistant.minutes.transcripts import read_transcript_file
    from assistant.router import Router
    from assistant.tasks.minutes_models import MinutesInput
    from assistant.tasks.runner import Runner
    from tests.fakes.bedrock_server import FakeBedrock
    from tests.fakes.minutes_responder import minutes_responder

    transcript = read_transcript_file(DATASET / FILE, meeting=args.meeting)
    turns = transcript.turns
    chars = sum(len(t.text) for t in turns)
    print(f"meeting: {transcript.title} ({transcript.held_on}): {len(turns)} turns, {chars:,} characters")
    print(f"segments of ≤{args.map_chars:,} characters: {len(segment_turns(turns, args.map_chars))}")
    runs = [("要点筆記", args.max_chars, "cold cache"), ("要点筆記", args.max_chars, "rerun"),
            ("質疑応答", args.max_chars, "style change"), ("発言録", None, "style change, no limit")]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, FakeBedrock(delay_seconds=args.delay) as fake:
        fake.structured_responder = minutes_responder
        home = Path(tmp)
        settings = Settings(home=home, bedrock_endpoint_url=fake.url, minutes_map_chars=args.map_chars)
        audit_path = home / "audit.jsonl"
        runner = Runner(settings, Router(settings, JsonlAuditSink(audit_path)))
        header = f"{'run':<30} {'map':>5} {'reduce':>7} {'map hit':>7} {'red hit':>7} {'in tok':>9} {'out tok':>8} {'s':>6}"
        print(header)
        seen = 0
        for style, limit, label in runs:
            inp = MinutesInput(turns=turns, title=transcript.title, held_on=transcript.held_on, style=style,
                               max_chars=limit, classification=2)  # fmt: skip
            started = time.monotonic()
            minutes = draft_minutes(inp, runner, backend=args.backend, concurrency=args.concurrency)
            seconds = time.monotonic() - started
            events = [json.loads(line) for line in audit_path.read_text(encoding="utf-8").splitlines()][seen:]
            seen += len(events)
            calls = Counter(e["task"] for e in events if not e.get("cached") and e["outcome"] == "ok")
            cached = Counter(e["task"] for e in events if e.get("cached"))
            print(
                f"{style + '（' + label + '）':<28} {calls['minutes_map']:>5} {calls['minutes_reduce']:>7} "
                f"{cached['minutes_map']:>7} {cached['minutes_reduce']:>7} {minutes.usage.input_tokens:>9,} "
                f"{minutes.usage.output_tokens:>8,} {seconds:>6.2f}"
            )
            assert within_limit(minutes, limit), "an item is over the limit"
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"requests to the fake: {len(fake.requests)}; peak RSS of this process: {peak_mb:.0f} MB")
        print(f"last minutes: {len(minutes.record)} turns in the 発言録, {len(minutes.agenda)} agenda items, "
              f"{len(minutes.speakers)} speakers; notice: {minutes.notice}")  # fmt: skip


if __name__ == "__main__":
    main()
