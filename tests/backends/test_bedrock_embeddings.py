"""Bedrock embedders through the fake Bedrock Runtime (real boto3 and langchain-aws)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.backends import embedders
from assistant.backends.bedrock_embeddings import BedrockEmbedder
from assistant.config import Settings, get_settings
from core.errors import UnknownEmbedderError

TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-multilingual-v3"


@pytest.fixture
def settings(tmp_path, fake_bedrock):
    return Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url)


def test_titan_embeds_each_text_normalised(settings, fake_bedrock):
    embedder = BedrockEmbedder(TITAN, settings)
    vectors = embedder.embed_documents(["住民票の写し", "印鑑登録証明書", "住民票の写しの交付"])
    assert vectors.shape == (3, 1024) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("住民票")
    assert query.shape == (1024,)
    assert float(vectors[0] @ query) > float(vectors[1] @ query)
    assert [r["model_id"] for r in fake_bedrock.requests] == [TITAN] * 4
    assert fake_bedrock.requests[0]["body"]["inputText"] == "住民票の写し"
    assert embedder.name == f"bedrock/{TITAN}" and embedder.dim == 1024
    assert embedder.data_location == "japan"  # a bare model ID runs in the region (ap-northeast-1)


def test_data_location_follows_the_region_and_the_override(tmp_path, fake_bedrock):
    outside = Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url, aws_region="us-east-1")
    assert BedrockEmbedder(TITAN, outside).data_location == "global"
    configured = outside.model_copy(update={"backend_data_locations": {f"bedrock/{TITAN}": "apac"}})
    assert BedrockEmbedder(TITAN, configured).data_location == "apac"


def test_cohere_batches_and_uses_input_types(settings, fake_bedrock):
    embedder = BedrockEmbedder(COHERE, settings)
    vectors = embedder.embed_documents([f"文書{i}" for i in range(100)])
    assert vectors.shape == (100, 1024)
    embedder.embed_query("問い合わせ")
    bodies = [r["body"] for r in fake_bedrock.requests]
    assert [len(b["texts"]) for b in bodies] == [96, 4, 1]
    assert [b["input_type"] for b in bodies] == ["search_document", "search_document", "search_query"]


def test_overlong_text_is_clipped_not_rejected(settings, fake_bedrock):
    vectors = BedrockEmbedder(COHERE, settings).embed_documents(["あ" * 5000])
    assert vectors.shape == (1, 1024)
    assert len(fake_bedrock.requests[0]["body"]["texts"][0]) == 2048


def test_unsupported_model_is_refused(settings):
    with pytest.raises(UnknownEmbedderError):
        BedrockEmbedder("amazon.titan-embed-text-v1", settings)


def test_available_through_the_embedder_registry(fake_bedrock, monkeypatch):
    monkeypatch.setenv("YAKUBA_BEDROCK_ENDPOINT_URL", fake_bedrock.url)
    get_settings.cache_clear()
    monkeypatch.setattr(embedders, "_CACHE", {})  # sandbox the process-wide registry and cache
    monkeypatch.setattr(embedders, "EMBEDDERS", embedders.EMBEDDERS.copy())
    embedders.register_embedder("bedrock", "assistant.backends.bedrock_embeddings:PROVIDER")
    embedder = embedders.get_embedder(f"bedrock/{TITAN}")
    assert embedder.name == f"bedrock/{TITAN}"
    assert embedders.get_embedder(f"bedrock:{TITAN}") is embedder  # the older address still works
    assert embedder.embed_query("窓口").shape == (1024,)
    assert fake_bedrock.requests[0]["model_id"] == TITAN
