"""Search queries leaving the organisation: personal data masked out, and every call audited.

A query typed into search or chat ("山田太郎さんの転入届", "090-1234-5678 から問い合わせ") would otherwise reach
Bedrock verbatim. Whether a query may go to such an embedder at all is the classification policy's decision
(`LocalIndex._may_embed_queries`); this masks what does go, like the router masks a chat request. The
placeholders are never restored: the vector is all that comes back.

Like a chat model call, each query embedding sent outside is one audit row (task `query_embedding`):
the user and task of the search (`assistant.audit.auditing_queries`, set by the task runner and POST
/search), the embedder, where its data goes, what was masked, latency and outcome — never the text.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.audit import query_audit
from assistant.masking import Masker

if TYPE_CHECKING:
    from assistant.audit import AuditSink
    from assistant.retrieval.base import Embedder


class MaskedQueryEmbedder:
    """An external embedder whose queries are masked (unless `mask` is off) and audited; documents and
    identity pass through unchanged."""

    def __init__(self, inner: Embedder, *, mask: bool = True) -> None:
        self.inner = inner
        self.mask = mask
        self.name = inner.name
        self.dim = inner.dim
        self.data_location = getattr(inner, "data_location", "organisation")

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._audited([text], lambda sent: self.inner.embed_query(sent[0]))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        batch = getattr(self.inner, "embed_queries", None)
        return self._audited(
            texts, lambda sent: batch(sent) if batch else np.vstack([self.inner.embed_query(t) for t in sent])
        )

    def _audited(self, texts: list[str], call: Any) -> Any:
        masker = Masker() if self.mask else None
        sent = [masker.mask(t) for t in texts] if masker else list(texts)
        started = time.perf_counter()
        outcome, error = "ok", None
        try:
            return call(sent)
        except Exception as exc:
            outcome, error = "error", f"{type(exc).__name__}: {exc}"[:300]
            raise
        finally:
            context = query_audit()
            sink = context.sink if context else _settings_sink()
            sink.record({
                "user": context.user if context else "",
                "task": "query_embedding",
                "reason": context.task if context else "search",
                "requested": self.name,
                "backend": self.name,
                "model_id": getattr(self.inner, "model_id", None),
                "data_location": self.data_location,
                "masked": masker.counts if masker else {},
                "texts": len(texts),
                "latency_ms": int((time.perf_counter() - started) * 1000),
                "outcome": outcome,
                "error": error,
            })  # fmt: skip


def _settings_sink() -> AuditSink:
    """The configured database's audit log: searches outside the API and the runner (CLI, scripts)."""
    from assistant.config import get_settings
    from assistant.records.audit_log import settings_audit_sink

    return settings_audit_sink(get_settings())


def outbound_embedder(embedder: Embedder) -> Embedder:
    """`embedder` itself when it runs inside the organisation, else a wrapper that audits each query
    and masks it (unless YAKUBA_MASK_EMBEDDER_QUERIES is off)."""
    from assistant.config import get_settings

    if getattr(embedder, "data_location", "organisation") == "organisation":
        return embedder
    return MaskedQueryEmbedder(embedder, mask=get_settings().mask_embedder_queries)
