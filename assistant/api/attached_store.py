"""The shared index and a conversation's attachments searched as one store for a chat turn.

Each is searched on its own (the shared index under the turn's filters; an attachment under the caller's
access ceiling only: the filters choose among the shared documents, an attached file is always asked about)
and the rankings are fused by reciprocal rank (scores of different indexes are not comparable), so the task
sees a single list of hits and cites an attached file like any other source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.retrieval.base import Filters, Hit

if TYPE_CHECKING:
    from assistant.api.attachments import AttachedIndex
    from assistant.retrieval.base import Store
    from core.model import Chunk

RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al. 2009)


class AttachedStore:
    """`Store` over the shared index (None: nothing ingested yet) and in-memory attachment indexes."""

    def __init__(self, shared: Store | None, attached: list[AttachedIndex]):
        self.shared = shared
        self.attached = attached
        self.embedder_name = shared.embedder_name if shared is not None else ""

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        rankings = []
        if self.shared is not None:
            rankings.append(self.shared.search(query, k=k, filters=filters))
        ceiling = Filters(max_classification=filters.max_classification if filters else None)
        for item in self.attached:
            rankings.append(item.index.search(query, k=k, filters=ceiling, mode=item.mode))
        if len(rankings) == 1:
            return rankings[0]
        fused: dict[str, Hit] = {}
        for hits in rankings:
            for rank, hit in enumerate(hits):
                kept = fused.setdefault(hit.chunk.chunk_id, hit)
                kept.extra["rrf"] = kept.extra.get("rrf", 0.0) + 1.0 / (RRF_K + rank + 1)
        ordered = sorted(fused.values(), key=lambda h: h.extra["rrf"], reverse=True)[:k]
        for hit in ordered:
            hit.score = hit.extra["rrf"]
        return ordered

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        own = {c.chunk_id: c for item in self.attached for c in item.index.get(chunk_ids)}
        rest = [i for i in chunk_ids if i not in own]
        found = {c.chunk_id: c for c in self.shared.get(rest)} if self.shared is not None and rest else {}
        return [own.get(i) or found[i] for i in chunk_ids if i in own or i in found]

    def __len__(self) -> int:
        return (len(self.shared) if self.shared is not None else 0) + sum(len(a.index) for a in self.attached)
