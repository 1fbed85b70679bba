"""Personal data masked out of search queries before an embedder outside the organisation embeds them.

A query typed into search or chat ("山田太郎さんの転入届", "090-1234-5678 から問い合わせ") would otherwise reach
Bedrock verbatim. Whether a query may go to such an embedder at all is the classification policy's decision
(`LocalIndex._may_embed_queries`); this masks what does go, like the router masks a chat request. The
placeholders are never restored: the vector is all that comes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from assistant.masking import Masker

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder


class MaskedQueryEmbedder:
    """An external embedder whose queries are masked; documents and identity pass through unchanged."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.data_location = getattr(inner, "data_location", "organisation")

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(Masker().mask(text))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        masked = [Masker().mask(text) for text in texts]
        batch = getattr(self.inner, "embed_queries", None)
        return batch(masked) if batch else np.vstack([self.inner.embed_query(t) for t in masked])


def outbound_embedder(embedder: Embedder) -> Embedder:
    """`embedder` itself when it runs inside the organisation (or masking is off), else a masking wrapper."""
    from assistant.config import get_settings

    if getattr(embedder, "data_location", "organisation") == "organisation":
        return embedder
    if not get_settings().mask_embedder_queries:
        return embedder
    return MaskedQueryEmbedder(embedder)
