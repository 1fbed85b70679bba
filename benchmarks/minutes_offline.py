"""A whole Tokyo assembly meeting (2020, `tokyo_assembly_2020_minutes`) to minutes offline, in each style: wall time
(untraced run) and peak memory (Python allocations by tracemalloc in a second run, and the process's peak RSS), turns, characters, and what was
found (topics, points, decisions, Q&A pairs).

    .venv/bin/python benchmarks/minutes_offline.py [--meeting 4] [--max-chars 200] [--out-dir DIR]

With --out-dir the minutes of each style are written there as text and DOCX (`render_minutes_docx`, 「案」).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared/datasets/tokyo_assembly_2020_minutes/utterances_tokyo_proceeding2020_withURL.json"
)


def main() -> None:
    from assistant.minutes.offline import build_minutes
    from assistant.minutes.transcripts import read_transcript_file
    from assistant.tasks.minutes import finish
    from assistant.tasks.minutes_models import STYLES, MinutesInput

    parser = argparse.ArgumentParser()
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument(
        "--meeting", type=int, default=4, help="1-based meeting in the file (4 = 2020/2/28, 151 turns)"
    )
    parser.add_argument("--max-chars", type=int, default=None)
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args()
    if not args.path.is_file():
        raise SystemExit(f"dataset not found: {args.path}")
    started = time.perf_counter()
    transcript = read_transcript_file(args.path, meeting=args.meeting)
    read_s = time.perf_counter() - started
    chars = sum(len(t.text) for t in transcript.turns)
    print(
        f"{transcript.title} ({transcript.held_on}): {len(transcript.turns)} turns, {chars:,} characters; "
        f"read in {read_s:.2f} s"
    )
    print(
        f"{'style':8} {'wall s':>7} {'peak MiB':>9} {'topics':>7} {'points':>7} {'decis.':>7} {'QA':>5} {'text chars':>11}"
    )
    for style in STYLES:
        inp = MinutesInput(
            style=style, max_chars=args.max_chars, title=transcript.title, held_on=transcript.held_on
        )
        started = time.perf_counter()
        minutes = finish(build_minutes(inp, transcript.turns))
        wall = time.perf_counter() - started
        tracemalloc.start()  # a second run for memory: tracing slows Python down
        finish(build_minutes(inp, transcript.turns))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        points = sum(len(a.points) for a in minutes.agenda) + sum(len(s.points) for s in minutes.speakers)
        print(
            f"{style:8} {wall:7.2f} {peak / 2**20:9.1f} {len(minutes.agenda):7d} {points:7d} "
            f"{len(minutes.decisions):7d} {len(minutes.qa):5d} {len(minutes.text):11,d}"
        )
        if args.out_dir:
            from assistant.exports.minutes_docx import render_minutes_docx

            args.out_dir.mkdir(parents=True, exist_ok=True)
            (args.out_dir / f"minutes-{style}.txt").write_text(minutes.text, encoding="utf-8")
            (args.out_dir / f"minutes-{style}.docx").write_bytes(render_minutes_docx(minutes, approved=False))
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
