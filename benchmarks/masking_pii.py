"""Personal-data masking on the labelled set: precision and recall per kind, and milliseconds per sentence.

The set is tests/fixtures/masking/pii_ja_{dev,heldout,heldout2}.jsonl (written for this project; see
tests/masking/labelled.py). A labelled span is recalled when detections of its kind cover all of it; a
detection is precise when it overlaps a labelled span of its kind. Look-alike sentences carry no label, so
anything found in them lowers precision.

    .venv/bin/python benchmarks/masking_pii.py [--analyser sudachi|ginza] [--show]

The "ginza" analyser needs the ginza and ja-ginza packages (not a project dependency).

Measured 2026-11-28 (2 shared cores). First score of each held-out part, before any rule change it prompted:
heldout name recall 0.964 (27/28); heldout2 name 0.966 (28/29), address 0.938 (15/16); heldout3 name 0.897
(26/29), address 0.929 (13/14); precision 1.000 throughout. With the final rules every part scores 1.000 except
dev name recall 0.979 (石川まで: a place-name surname with no honorific). sudachi ≈0.3–0.5 ms a sentence,
≈11–17 ms per 1,000 characters; ginza (rules + its `Person` entities) ≈27–39 ms a sentence, ≈880 ms per
1,000 characters, name precision 0.959 on dev (it labels 山田建設株式会社 a person); GiNZA's entities alone
reach name recall 0.862 on heldout2. Hence the default "sudachi".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.masking import Detector  # noqa: E402
from tests.masking.labelled import SPLITS, load  # noqa: E402


def score(split: str, detector: Detector, show: bool) -> None:
    items = load(split)
    detector.find("準備")  # load the analyser outside the timing
    tp_gold, gold, tp_pred, pred = Counter(), Counter(), Counter(), Counter()
    started = time.perf_counter()
    results = [detector.find(item.text) for item in items]
    elapsed = time.perf_counter() - started
    for item, found in zip(items, results, strict=True):
        for kind, start, end in item.spans:
            gold[kind] += 1
            covered = {i for f in found if f.kind == kind for i in range(f.start, f.end)}
            if set(range(start, end)) <= covered:
                tp_gold[kind] += 1
            elif show:
                print(f"  missed {kind}: {item.text[start:end]!r} in {item.text!r}")
        for f in found:
            pred[f.kind] += 1
            if any(k == f.kind and f.start < e and s < f.end for k, s, e in item.spans):
                tp_pred[f.kind] += 1
            elif show:
                print(f"  wrong {f.kind}: {item.text[f.start : f.end]!r} in {item.text!r}")
    print(
        f"{split}: {len(items)} sentences, {1000 * elapsed / len(items):.2f} ms per sentence ({detector.analyser})"
    )
    for kind in sorted(set(gold) | set(pred)):
        precision = tp_pred[kind] / pred[kind] if pred[kind] else float("nan")
        recall = tp_gold[kind] / gold[kind] if gold[kind] else float("nan")
        print(
            f"  {kind:12s} precision {precision:.3f} ({tp_pred[kind]}/{pred[kind]})"
            f"  recall {recall:.3f} ({tp_gold[kind]}/{gold[kind]})"
        )


def throughput(detector: Detector) -> None:
    """A prompt-sized text (every sentence of every split, repeated to ~20,000 characters) in one call."""
    sentences = [item.text for split in SPLITS for item in load(split)]
    text = "\n".join(sentences)
    text = "\n".join([text] * max(1, 20_000 // len(text)))
    started = time.perf_counter()
    found = detector.find(text)
    elapsed = time.perf_counter() - started
    print(
        f"long text: {len(text)} characters, {len(found)} found, {1000 * elapsed:.0f} ms "
        f"({1000 * elapsed / len(text) * 1000:.1f} ms per 1,000 characters)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyser", default="sudachi", choices=["sudachi", "ginza"])
    parser.add_argument("--split", choices=SPLITS, action="append", help="default: both")
    parser.add_argument("--show", action="store_true", help="print every miss and every wrong detection")
    args = parser.parse_args()
    detector = Detector(analyser=args.analyser)
    for split in args.split or SPLITS:
        score(split, detector, args.show)
    throughput(detector)


if __name__ == "__main__":
    main()
