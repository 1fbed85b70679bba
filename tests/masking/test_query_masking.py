"""Search queries reach an external embedder (Bedrock InvokeModel, faked at the wire) masked."""

from __future__ import annotations

import json

import pytest

from assistant.backends.bedrock_embeddings import BedrockEmbedder
from assistant.config import Settings, get_settings
from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import build_in_memory
from assistant.retrieval.query_masking import MaskedQueryEmbedder, outbound_embedder
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
    monkeypatch.setenv("YAKUBA_MASK_EMBEDDER_QUERIES", "false")
    get_settings.cache_clear()
    try:
        assert outbound_embedder(external) is external
    finally:
        monkeypatch.delenv("YAKUBA_MASK_EMBEDDER_QUERIES")
        get_settings.cache_clear()
