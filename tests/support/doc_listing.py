"""The documents listing computed the slow way, chunk by chunk: what the stores' summaries must equal."""

from __future__ import annotations

from assistant.retrieval.base import Filters
from assistant.retrieval.doc_summaries import record_key
from core.model import Chunk


def listed(chunks: list[Chunk], filters: Filters | None) -> list[tuple]:
    """SourceSummary tuples of `chunks` (in order) as far as `filters` allow."""
    out: dict[str, list] = {}
    records: dict[str, set] = {}
    for c in chunks:
        if filters is not None and not filters.allows(c):
            continue
        entry = out.setdefault(c.source, [c.source, c.title, c.doc_type, 0, sorted(c.groups), 0, None])
        entry[3], entry[5] = max(entry[3], c.classification), entry[5] + 1
        if c.doc_type == "inquiry":
            records.setdefault(c.source, set()).add(record_key(c))
    for source, seen in records.items():
        out[source][6] = len(seen)
    return [tuple(v) for v in out.values()]

