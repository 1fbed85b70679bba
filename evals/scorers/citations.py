"""Citation scorers: do the `[n]` markers point to sources that say what the answer says, and how much of the
answer carries one?

`citation_validity` — the share of marker occurrences in the answer that are valid. A marker `[n]` is valid when
outcome.citations lists n, the citation's chunk_id is among outcome.sources with its text, and:
  * extractive answers (outcome.mode == "extractive"): the text quoted before the marker on its line (bullet and
    「（回答）」-style record label removed; for `[1][2]` the same quote for each) occurs verbatim in the chunk
    text (the chunk's own `[n]` markers removed), or is one of the chunk's quotable units as the extractive
    path builds them (a table row is quoted as 「見出し：値、…」, which is not verbatim text);
  * LLM answers: the sentence carrying the marker shares at least 50 % of its content words (Sudachi, as in
    retrieval) with the cited chunk — the share of the sentence's distinct content words found in the chunk.
    A sentence with no content words counts as valid.
None when the answer has no markers.

`citation_coverage` — the share of the answer's sentences (fixed lines such as 「資料によれば、次のとおりです。」
left out) that carry at least one marker. None for an empty answer or a refusal (nothing to cite).
"""

from __future__ import annotations

import re

from assistant.citations import MARKER
from evals.scorers.text import content_words, is_refusal, marker_numbers, sentences, strip_markers
from evals.types import Item, Outcome

MIN_SHARED = 0.5  # share of an LLM sentence's content words that must occur in the cited chunk

_BULLET = re.compile(r"^\s*(?:[・●○◆◇■□]\s*|[-*]\s+)")
_RECORD_LABEL = re.compile(r"^（(?:回答|照会|件名)）")


def _chunk_texts(outcome: Outcome) -> dict[int, str]:
    """Marker number → the cited chunk's text, for citations whose chunk is among the sources."""
    by_id = {s.get("chunk_id"): s.get("text") for s in outcome.sources}
    texts: dict[int, str] = {}
    for citation in outcome.citations:
        text = by_id.get(citation.get("chunk_id"))
        if isinstance(text, str) and isinstance(citation.get("n"), int):
            texts[citation["n"]] = text
    return texts


def _quoted(text: str) -> list[tuple[str, int]]:
    """(quote, n) for every marker of an extractive answer: the text before it on its line."""
    pairs: list[tuple[str, int]] = []
    for line in text.splitlines():
        parts = MARKER.split(line)
        quote = ""
        for body, group in zip(parts[0::2], parts[1::2], strict=False):
            cleaned = _RECORD_LABEL.sub("", _BULLET.sub("", body).strip()).strip()
            quote = cleaned or quote  # `[1][2]`: the second marker cites the same quote
            pairs.extend((quote, n) for n in marker_numbers(group))
    return pairs


def _verbatim(quote: str, chunk_text: str) -> bool:
    from assistant.quote_units import chunk_units

    plain = strip_markers(chunk_text)
    return bool(quote) and (quote in plain or quote in chunk_units(plain))


def shared_share(sentence: str, chunk_text: str) -> float:
    words = set(content_words(sentence))
    if not words:
        return 1.0
    return len(words & set(content_words(chunk_text))) / len(words)


class CitationValidity:
    name = "citation_validity"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        texts = _chunk_texts(outcome)
        checks: list[bool] = []
        if outcome.mode == "extractive":
            for quote, n in _quoted(outcome.text):
                checks.append(n in texts and _verbatim(quote, texts[n]))
        else:
            cache: dict[tuple[str, int], bool] = {}
            for sentence, numbers in sentences(outcome.text):
                for n in numbers:
                    if (sentence, n) not in cache:
                        cache[sentence, n] = n in texts and shared_share(sentence, texts[n]) >= MIN_SHARED
                    checks.append(cache[sentence, n])
        return {"citation_validity": sum(checks) / len(checks) if checks else None}


class CitationCoverage:
    name = "citation_coverage"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        found = sentences(outcome.text)
        if not found or is_refusal(outcome.text):
            return {"citation_coverage": None}
        return {"citation_coverage": sum(1 for _, numbers in found if numbers) / len(found)}



class SourceHit:
    """1.0 when the answer cites one of the item's expected sources (出典: titles or file names), matched against
    each citation's title, source path and file name. Applies to items that list expected sources."""

    name = "source_hit"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        expected = [s for s in item.expected.get("sources") or [] if isinstance(s, str) and s.strip()]
        if not expected:
            return {"source_hit": None}
        names = set()
        for citation in outcome.citations:
            source = str(citation.get("source") or "")
            names |= {str(citation.get("title") or ""), source, source.rsplit("/", 1)[-1]}
        return {"source_hit": 1.0 if any(e.strip() in names for e in expected) else 0.0}
