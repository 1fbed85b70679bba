"""A LangChain `BaseRetriever` over any Yakuba store, so chains can use the same retrieval as the API."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, SkipValidation

from assistant.retrieval.base import Filters, Hit, Store


class YakubaRetriever(BaseRetriever):
    """Returns the store's hits as Documents: the chunk text, with its metadata and scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: SkipValidation[Store]  # a Protocol: checked by type checkers, not at run time
    k: int = 10
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit_to_document(hit) for hit in self.store.search(query, k=self.k, filters=self.filters)]


def hit_to_document(hit: Hit) -> Document:
    chunk = hit.chunk
    metadata: dict[str, Any] = {
        "chunk_id": chunk.chunk_id,
        "title": chunk.title,
        "source": chunk.source,
        "location": chunk.location,
        "score": hit.score,
        "lexical": hit.lexical,
        "dense": hit.dense,
        "classification": chunk.classification,
        "groups": list(chunk.groups),
        "doc_type": chunk.doc_type,
        "page": chunk.page,
        "section": list(chunk.section),
        "article": chunk.article,
        "date": chunk.date,
        "fields": dict(chunk.fields),
    }
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.chunk_id)
