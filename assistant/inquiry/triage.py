"""Triage of an inquiry: the most similar past inquiries (records of doc_type "inquiry", searched under the
caller's access filters, so a record the caller may not see is neither listed nor counted) and the section
(所管課) suggested from the sections that answered them.

Similar records: the hybrid search over inquiry records with the inquiry's 件名 and 照会内容, one entry per record
(a long record cut into several chunks counts once, at its best chunk). Suggestion: each of the `VOTERS` most
similar records votes for its 所管課 with weight 1 / (rank + RANK_OFFSET); the confidence of a section is its share
of the votes. Rank weights, not the fused scores: the fused score is min-max normalised per query (the last hit
always gets ~0), so it says little about how similar a record is. VOTERS and RANK_OFFSET were chosen on
PoliInfo-3 (benchmarks/reply_triage.py, 6,854 records up to 2017 as the past, the 382 questions of 2018 as the dev
year): top-1 / top-3 accuracy .524 / .524 with the nearest record alone, .563 / .869 voting over 10 (offset 2),
.592 / .895 over 20 (offset 5); the most frequent section alone is right .516 of the time.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from assistant.tasks.reply_models import SectionSuggestion, SimilarInquiry
from core.wareki import parse_date
from ingest.loaders.records import ANSWER, ANSWERED, ASKED, QUESTION, SUBJECT

if TYPE_CHECKING:
    from assistant.retrieval.base import Hit, Store
    from core.model import Chunk

SHOWN = 5  # similar past inquiries listed beside the draft
VOTERS = 20  # similar records whose sections vote for the suggestion
RANK_OFFSET = 5.0  # vote weight 1 / (rank + RANK_OFFSET), rank 0 = the most similar
POOL = 3  # chunks searched per record wanted (records cut into several chunks, duplicates)
SUGGESTIONS = 3  # suggested sections kept
SECTION = "所管課"
SECTION_FALLBACKS = ("所管課", "回答課", "回答者")


def record_key(chunk: Chunk) -> tuple[str, str]:
    """One key per past record: its file and its number, else its subject and question."""
    fields = chunk.fields
    number = fields.get("番号")
    return (
        (chunk.source, number)
        if number
        else (chunk.source, f"{fields.get(SUBJECT, '')}\x00{fields.get(QUESTION, '')}")
    )


def section_of(chunk: Chunk) -> str | None:
    return next(
        (chunk.fields[name].strip() for name in SECTION_FALLBACKS if chunk.fields.get(name, "").strip()), None
    )


def normalise_section(name: str) -> str:
    """For comparing section names: NFKC without spaces."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def _iso(value: str | None) -> str | None:
    return parse_date(value) if value else None


def as_similar(hit: Hit) -> SimilarInquiry:
    chunk = hit.chunk
    fields = chunk.fields
    return SimilarInquiry(
        chunk_id=chunk.chunk_id,
        subject=fields.get(SUBJECT) or chunk.title,
        question=fields.get(QUESTION, ""),
        answer=fields.get(ANSWER, ""),
        sender=fields.get("照会元") or None,
        section=section_of(chunk),
        asked_on=_iso(fields.get(ASKED)),
        answered_on=_iso(fields.get(ANSWERED)) or chunk.date,
        score=round(float(hit.score), 4),
        classification=chunk.classification,
        source=chunk.source,
    )


def similar_hits(store: Store, query: str, filters: Any, n: int) -> list[Hit]:
    """The `n` most similar past records (best chunk of each), searched with doc_type "inquiry" under `filters`."""
    from dataclasses import replace

    scoped = replace(filters, doc_type="inquiry")
    seen: set[tuple[str, str]] = set()
    hits: list[Hit] = []
    for hit in store.search(query, k=n * POOL, filters=scoped):
        key = record_key(hit.chunk)
        if key in seen:
            continue
        seen.add(key)
        hits.append(hit)
        if len(hits) >= n:
            break
    return hits


def suggest_sections(
    sections: list[str | None], *, voters: int = VOTERS, offset: float = RANK_OFFSET, keep: int = SUGGESTIONS
) -> list[SectionSuggestion]:
    """Sections of the most similar records (most similar first) → suggestions with their share of the votes."""
    votes: dict[str, float] = defaultdict(float)
    names: dict[str, str] = {}
    for rank, section in enumerate(sections[:voters]):
        if not section:
            continue
        key = normalise_section(section)
        names.setdefault(key, section)
        votes[key] += 1.0 / (rank + offset)
    total = sum(votes.values())
    if not total:
        return []
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])[:keep]
    return [
        SectionSuggestion(section=names[key], confidence=round(weight / total, 3)) for key, weight in ranked
    ]


def triage(store: Store, query: str, filters: Any) -> tuple[list[SimilarInquiry], list[SectionSuggestion]]:
    """(the SHOWN most similar past inquiries, the suggested sections) for an inquiry's text."""
    hits = similar_hits(store, query, filters, max(SHOWN, VOTERS))
    similar = [as_similar(hit) for hit in hits]
    return similar[:SHOWN], suggest_sections([s.section for s in similar])
