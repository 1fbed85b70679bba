from langchain_core.documents import Document

from assistant.retrieval.base import Filters
from assistant.retrieval.langchain_retriever import YakubaRetriever
from assistant.retrieval.local_store import build_in_memory


def test_invoke_returns_documents_with_metadata(chunks, embedder):
    store = build_in_memory(chunks, embedder)
    retriever = YakubaRetriever(store=store, k=3)
    docs = retriever.invoke("住民票の写しを郵便で請求できますか")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.page_content.startswith("住民票の写しを郵便で請求")
    meta = top.metadata
    assert meta["doc_type"] == "inquiry" and meta["source"] == "照会記録.csv"
    assert meta["location"] == store.get([top.id])[0].location
    assert "市民課" in meta["location"]
    assert meta["chunk_id"] == top.id
    assert {"title", "score", "classification", "groups", "date", "fields"} <= set(meta)
    assert docs[0].metadata["score"] >= docs[1].metadata["score"]


def test_filters_are_applied(chunks, embedder, restricted_texts):
    store = build_in_memory(chunks, embedder)
    retriever = YakubaRetriever(store=store, k=4, filters=Filters(max_classification=1))
    docs = retriever.invoke("予算査定の内部検討")
    assert len(docs) == 4
    assert not {d.page_content for d in docs} & restricted_texts
