"""The `section_match` scorer of the reply task: is the expected 所管課 (expected["section"]) the first suggested
section (section_top1) or among the first three (section_top3)? Names are compared after NFKC without spaces. An
item without an expected section scores None; an item whose run failed scores 0 (a failure is a miss)."""

from __future__ import annotations

from assistant.inquiry.triage import normalise_section
from evals.types import Item, Outcome

METRICS = ("section_top1", "section_top3")


class SectionMatch:
    name = "section_match"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        expected = item.expected.get("section")
        if not isinstance(expected, str) or not expected.strip():
            return dict.fromkeys(METRICS)
        suggestions = (outcome.output or {}).get("section_suggestions") or []
        names = [normalise_section(str(s.get("section", ""))) for s in suggestions]
        target = normalise_section(expected)
        return {"section_top1": float(names[:1] == [target]), "section_top3": float(target in names[:3])}
