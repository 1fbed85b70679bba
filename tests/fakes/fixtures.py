"""Pytest fixtures for the fake model servers (loaded through `pytest_plugins` in tests/conftest.py).

Each test gets a fresh server on a free port: starting one takes milliseconds, and no state
(scripted replies, pending failures, the request log) can leak between tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.bedrock_server import FakeBedrock
from tests.fakes.openai_server import FakeOpenAI

TEST_REGION = "ap-northeast-1"


@pytest.fixture
def aws_dummy_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy AWS credentials and region; no profile, config file or instance metadata is consulted."""
    missing = tmp_path_factory.mktemp("aws") / "absent"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_bedrock(aws_dummy_credentials: None) -> Iterator[FakeBedrock]:
    """A running fake Bedrock Runtime; pass `fake_bedrock.url` as `endpoint_url`.

    Depends on `aws_dummy_credentials`, so boto3 can sign requests and never uses real credentials.
    """
    with FakeBedrock() as server:
        yield server


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake OpenAI-compatible server; pass `fake_openai.url` as `base_url`."""
    with FakeOpenAI() as server:
        yield server
