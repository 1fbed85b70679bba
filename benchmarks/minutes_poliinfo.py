"""PoliInfo-1 summarization (596 Tokyo assembly speeches, 50–200 字 limits): the minutes task's offline path against
the lead baseline (first N characters) and the tail baseline (last N characters).

Scores: ROUGE-1 / ROUGE-2 recall and F1 over content words (`evals.scorers.text.content_words`: Sudachi mode C,
normalised forms, 助詞・助動詞・補助記号 dropped — the unit NTCIR PoliInfo scored with, but a different analyser
than the task's MeCab/IPAdic) and the share of outputs within the limit (`evals.scorers.answers.char_length`).

    .venv/bin/python benchmarks/minutes_poliinfo.py [--path FILE] [--limit N]

Prints one row per system, and (with --show K) K sample outputs next to their references.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared/datasets/poliinfo1_summarization/Summarization-FormalRun-Training.json"
)


def main() -> None:
    from assistant.minutes.offline import build_minutes
    from assistant.minutes.text import minutes_text
    from assistant.minutes.transcripts import read_transcript
    from assistant.tasks.minutes_models import MinutesInput
    from evals.datasets.poliinfo import load_poliinfo1
    from evals.scorers.answers import char_length
    from evals.scorers.rouge import rouge_scores
    from evals.scorers.text import content_words

    parser = argparse.ArgumentParser()
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    if not args.path.is_file():
        raise SystemExit(f"dataset not found: {args.path}")
    items = load_poliinfo1(args.path).items[: args.limit]

    def offline(text: str, n: int) -> str:
        transcript = read_transcript(text)
        return minutes_text(build_minutes(MinutesInput(max_chars=n), transcript.turns))

    def flat(text: str) -> str:
        return "".join(text.replace("\n", "").split())

    def tail_sentences(text: str, n: int) -> str:
        """The last whole sentences that fit (a word-boundary-respecting tail baseline)."""
        from core.sentences import split_sentences

        kept: list[str] = []
        for sentence in reversed(split_sentences(flat(text))):
            if sum(map(len, kept)) + len(sentence) > n:
                break
            kept.insert(0, sentence)
        return "".join(kept)

    systems = {
        "offline": offline,
        "lead": lambda text, n: flat(text)[:n],
        "tail": lambda text, n: flat(text)[-n:],
        "tail-sent": tail_sentences,
    }
    rows = {}
    samples = []
    for name, make in systems.items():
        scores: dict[str, list[float]] = {}
        started = time.perf_counter()
        for item in items:
            n = item.input["max_chars"]
            out = make(item.input["transcript"], n)
            values = rouge_scores(content_words(out), content_words(item.expected["reference"]))
            values["within"] = 1.0 if char_length(out) <= n else 0.0
            values["empty"] = 0.0 if out.strip() else 1.0
            for key, value in values.items():
                scores.setdefault(key, []).append(value)
            if name == "offline" and len(samples) < args.show:
                samples.append((item.id, n, out, item.expected["reference"]))
        rows[name] = {k: statistics.fmean(v) for k, v in scores.items()}
        rows[name]["seconds"] = time.perf_counter() - started
    print(f"items: {len(items)}")
    print(
        f"{'system':8} {'R1 rec':>7} {'R1 F':>7} {'R2 rec':>7} {'R2 F':>7} {'within':>7} {'empty':>6} {'sec':>6}"
    )
    for name, r in rows.items():
        print(
            f"{name:8} {r['rouge1_r']:7.3f} {r['rouge1_f']:7.3f} {r['rouge2_r']:7.3f} {r['rouge2_f']:7.3f} "
            f"{r['within']:7.1%} {r['empty']:6.1%} {r['seconds']:6.1f}"
        )
    print("NTCIR-14 PoliInfo best formal run (published): R1 recall 0.356, R2 recall 0.189")
    for item_id, n, out, ref in samples:
        print(f"\n[{item_id}] {n}字\n  出力: {out}\n  正解: {ref}")


if __name__ == "__main__":
    main()
