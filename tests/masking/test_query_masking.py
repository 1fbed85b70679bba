"""Search queries reach an external embedder (Bedrock InvokeModel, faked at the wire) masked."""

from __future__ import annotations

import json

import pytest

from assistant.backends.bedrock_embeddings import BedrockEmbedder
from assistant.config import Settings, get_settings
from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import build_in_memory
from assistant.retrieval.query_masking import MaskedQueryEmbedder, outbound_embedder
from core.errors import BackendUnavailable
from core.model import Chunk, make_chunk_id

TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-multilingual-v3"
POLICY = {3: ["organisation"], 2: ["organisation", "japan"], 1: ["organisation", "japan", "global"]}
SECRETS = ("山田太郎", "横浜市中区本町6丁目50番地10", "090", "1234", "123456789018", "taro", "鈴木")
ZWSP = "\u200b"
QUERY = (
    f"山田太郎さん（横浜市中区本町6丁目50番地10、電話090{ZWSP}-1234-5678、"
    f"個人番号1234{ZWSP}5678{ZWSP}9018、taro(at)example.jp）の転入届について鈴木課長に相談"
)


def _chunks() -> list[Chunk]:
    texts = ["転入届の受付は市民課で行います。", "児童手当の支給日は毎年6月です。"]
    return [
        Chunk(
            chunk_id=make_chunk_id("手引.pdf", i, t),
            text=t,
            search_text=t,
            source="手引.pdf",
            title="手引",
            ordinal=i,
        )
        for i, t in enumerate(texts)
    ]


@pytest.fixture
def settings(tmp_path, fake_bedrock):
    return Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url)


def _wire(fake_bedrock) -> str:
    return json.dumps([r["body"] for r in fake_bedrock.requests], ensure_ascii=False)


@pytest.mark.parametrize("model", [TITAN, COHERE])
def test_search_query_sent_to_bedrock_holds_no_name_or_identifier(settings, fake_bedrock, model):
    embedder = BedrockEmbedder(model, settings)
    chunks = _chunks()
    index = build_in_memory(chunks, embedder, alpha=0.7, pool=100, policy=POLICY)
    fake_bedrock.requests.clear()
    hits = index.search(QUERY, k=2, filters=Filters(max_classification=2))
    assert hits and hits[0].dense is not None  # the query was embedded by Bedrock
    wire = _wire(fake_bedrock)
    assert len(fake_bedrock.requests) == 1
    for secret in SECRETS:
        assert secret not in wire
    assert (
        "［氏名1］さん" in wire
        and "［住所1］" in wire
        and "［個人番号1］" in wire
        and "［氏名2］課長" in wire
    )


def test_batched_queries_are_masked_too(settings, fake_bedrock):
    index = build_in_memory(_chunks(), BedrockEmbedder(COHERE, settings), alpha=0.7, pool=100)
    fake_bedrock.requests.clear()
    index.search_many([QUERY, "鈴木一郎様の児童手当"], k=1)
    wire = _wire(fake_bedrock)
    assert fake_bedrock.requests and "鈴木" not in wire and "山田" not in wire


def test_policy_still_keeps_a_level_3_query_away(settings, fake_bedrock):
    index = build_in_memory(_chunks(), BedrockEmbedder(TITAN, settings), alpha=0.7, pool=100, policy=POLICY)
    fake_bedrock.requests.clear()
    hits = index.search(QUERY, k=2, filters=Filters(max_classification=3))
    assert fake_bedrock.requests == [] and hits and hits[0].dense is None


def test_local_embedders_are_left_alone_and_masking_can_be_turned_off(settings, monkeypatch):
    class Local:
        name, dim, data_location = "offline/x", 4, "organisation"

    local = Local()
    assert outbound_embedder(local) is local
    external = BedrockEmbedder(TITAN, settings)
    assert isinstance(outbound_embedder(external), MaskedQueryEmbedder)
    assert outbound_embedder(external).mask is True
    monkeypatch.setenv("YAKUBA_MASK_EMBEDDER_QUERIES", "false")
    get_settings.cache_clear()
    try:
        unmasked = outbound_embedder(external)  # not masked, still audited
        assert isinstance(unmasked, MaskedQueryEmbedder) and unmasked.mask is False
    finally:
        monkeypatch.delenv("YAKUBA_MASK_EMBEDDER_QUERIES")
        get_settings.cache_clear()


class _Sink:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def record(self, event: dict) -> None:
        self.events.append(event)


def test_each_query_sent_out_is_audited_without_its_text(settings, fake_bedrock):
    from assistant.audit import auditing_queries

    index = build_in_memory(_chunks(), BedrockEmbedder(TITAN, settings), alpha=0.7, pool=100)
    sink = _Sink()
    with auditing_queries("hanako", "ask", sink):
        index.search(QUERY, k=1)  # embedded in another thread (query_overlap): the context follows it
    [event] = sink.events
    assert event["user"] == "hanako" and event["task"] == "query_embedding" and event["reason"] == "ask"
    assert event["backend"] == f"bedrock/{TITAN}" and event["outcome"] == "ok" and event["texts"] == 1
    assert event["masked"]["name"] >= 2 and event["masked"]["my_number"] == 1 and event["data_location"] != "organisation"
    assert not any(secret in json.dumps(event, ensure_ascii=False) for secret in SECRETS)

    fake_bedrock.fail_next(1, "validation")  # refused at once (queries are not retried)
    with auditing_queries("hanako", "search", sink), pytest.raises(BackendUnavailable, match="受け付けませんでした"):
        index.search("児童手当の支給日", k=1)
    assert sink.events[-1]["outcome"] == "error" and sink.events[-1]["reason"] == "search"


def test_a_query_outside_the_api_is_audited_in_the_configured_database(settings, fake_bedrock):
    from assistant.records.audit_log import settings_audit_sink
    from assistant.records.models import AuditLog

    index = build_in_memory(_chunks(), BedrockEmbedder(TITAN, settings), alpha=0.7, pool=100)
    index.search("転入届", k=1)  # e.g. `yakuba search`: no request context
    engine = settings_audit_sink(get_settings())._engine
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.task == "query_embedding")).all()
    assert len(rows) == 1 and rows[0].outcome == "ok" and rows[0].backend == f"bedrock/{TITAN}"
