"""An embedder that embeds only once the search's lexical ranking has started: shows that a single
search embeds its query beside BM25 (assistant/retrieval/query_overlap.py), not before it."""

from __future__ import annotations

import threading


class GatedEmbedder:
    """Wraps a test embedder; `waited` tells whether the gate opened within 5 s (False: serial search)."""

    def __init__(self, inner, lexical_started: threading.Event, fail: bool = False) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.lexical_started, self.fail = lexical_started, fail
        self.waited: bool | None = None

    def embed_documents(self, texts: list[str]):
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str):
        self.waited = self.lexical_started.wait(5)
        if self.fail:
            raise RuntimeError("embedder down")
        return self.inner.embed_query(text)
