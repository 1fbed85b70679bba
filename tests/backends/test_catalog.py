"""`describe_backends` (behind `yakuba models`): every backend, with a cheap reachability check."""

from __future__ import annotations

import pytest

from assistant.backends.catalog import describe_backends
from assistant.config import Settings


@pytest.fixture
def settings(tmp_path, fake_bedrock, fake_openai):
    return Settings(
        home=tmp_path,
        bedrock_endpoint_url=fake_bedrock.url,
        openai_base_url=fake_openai.url,
        openai_models=["fake-chat", "missing-model"],
    )


def by_address(rows):
    return {row["address"]: row for row in rows}


def test_lists_every_backend_with_its_properties(settings):
    rows = by_address(describe_backends(settings, timeout=2.0))
    assert list(rows) == [
        "bedrock/claude-sonnet-4-5",
        "bedrock/claude-haiku-4-5",
        "bedrock/nova-lite",
        "openai/fake-chat",
        "openai/missing-model",
        "offline/extractive",
    ]
    sonnet = rows["bedrock/claude-sonnet-4-5"]
    assert sonnet["model_id"] == "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert (sonnet["provider"], sonnet["mode"], sonnet["data_location"]) == ("bedrock", "llm", "japan")
    assert sonnet["configured"] is True and sonnet["reachable"] is True and sonnet["note"] is None
    assert rows["bedrock/nova-lite"]["data_location"] == "apac"
    assert rows["openai/fake-chat"]["reachable"] is True
    assert rows["openai/fake-chat"]["data_location"] == "organisation"
    missing = rows["openai/missing-model"]
    assert missing["reachable"] is False and "missing-model" in missing["note"]
    offline = rows["offline/extractive"]
    assert (offline["mode"], offline["reachable"], offline["data_location"]) == (
        "extractive",
        True,
        "organisation",
    )


def test_without_check_nothing_is_probed(settings, fake_openai):
    rows = describe_backends(settings, check=False)
    assert {row["reachable"] for row in rows} == {None}
    assert fake_openai.requests == []


def test_missing_aws_credentials_are_reported(settings, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    row = by_address(describe_backends(settings))["bedrock/claude-haiku-4-5"]
    assert row["reachable"] is False and "認証情報" in row["note"]


def test_unreachable_endpoints_are_reported(tmp_path, aws_dummy_credentials):
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    settings = Settings(home=tmp_path, bedrock_endpoint_url=closed, openai_base_url=closed + "/v1")
    rows = by_address(describe_backends(settings, timeout=1.0))
    assert rows["bedrock/nova-lite"]["reachable"] is False and "接続" in rows["bedrock/nova-lite"]["note"]
    assert rows["openai/*"]["reachable"] is False and "接続" in rows["openai/*"]["note"]


def test_openai_not_configured_is_listed_with_a_note(tmp_path, aws_dummy_credentials):
    rows = by_address(describe_backends(Settings(home=tmp_path, openai_base_url=None), check=False))
    row = rows["openai/*"]
    assert row["configured"] is False and "YAKUBA_OPENAI_BASE_URL" in row["note"]
