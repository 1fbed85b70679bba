"""A real Yakuba API for the UI tests: the app factory served by uvicorn on a free loopback port,
over a temporary YAKUBA_HOME with a small index and users made through `assistant.records`.

The API trusts identity headers from 127.0.0.1 (trusted-proxy mode); requests without them must
bring a key, as the sign-in tests do. LLM backends are the fake Bedrock of `tests.fakes` (on 127.0.0.1), so the model selector has real
choices and a generated answer really streams; the default backend is the extractive one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.bedrock_server import FakeBedrock
from tests.support.embedder import BigramEmbedder

GUIDE = """# マイナンバーカード交付事務の手引き

## 交付申請

マイナンバーカードの交付申請には、本人確認書類と通知カードが必要です。
本人確認書類は、運転免許証又は旅券とします。

## 受取

交付通知書が届いたら、市民課の窓口で受け取ってください。
"""
TELEWORK = """テレワーク勤務実施要領

第1条 在宅勤務を行う職員は、事前に所属長の承認を受けるものとする。
第2条 在宅勤務の日数は、原則として週2日までとする。
"""
BUDGET_MEMO = "令和7年度予算編成方針（財政課内部資料）\n\n予算要求書は十月末までに財政課へ提出する。\n"


@dataclass
class LiveApi:
    url: str
    home: Path
    keys: dict[str, str]  # user name → API key
    bedrock: FakeBedrock


def _write_corpus(root: Path) -> Path:
    docs = root / "docs"
    (docs / "財政課").mkdir(parents=True)
    (docs / "マイナンバーカード交付事務の手引き.md").write_text(GUIDE, encoding="utf-8")
    (docs / "テレワーク勤務実施要領.txt").write_text(TELEWORK, encoding="utf-8")
    (docs / "財政課" / "予算編成方針.txt").write_text(BUDGET_MEMO, encoding="utf-8")
    (docs / "財政課" / ".yakuba.json").write_text(json.dumps({"classification": 2, "groups": ["財政課"]}))
    return docs


def _create_users(database_url: str) -> dict[str, str]:
    from assistant.records import create_user, init_db, make_session_factory

    engine = init_db(database_url)
    with make_session_factory(engine).begin() as session:
        keys = {
            "tanaka": create_user(session, "tanaka", groups=["総務課"], clearance=2)[1],
            "sato": create_user(session, "sato", groups=["財政課"], clearance=2)[1],
        }
    engine.dispose()
    return keys


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="package")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The API with: tanaka (総務課, may upload) and sato (財政課, may not); a guide, a telework
    rule and a budget memo visible to 財政課 only."""
    import uvicorn

    from assistant.api import create_app
    from assistant.config import Settings
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline

    root = tmp_path_factory.mktemp("ui-api")
    home = root / "home"
    missing = root / "no-aws-config"
    with pytest.MonkeyPatch.context() as env, FakeBedrock() as bedrock:
        # Dummy AWS credentials for boto3 to sign requests to the fake; nothing else is consulted.
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(missing),
            "AWS_SHARED_CREDENTIALS_FILE": str(missing),
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
            env.delenv(name, raising=False)

        settings = Settings(
            home=home,
            upload_groups=["総務課"],
            bedrock_endpoint_url=bedrock.url,
            backend_max_attempts=1,
            rate_limit_per_minute=0,
            # An SSO proxy on this host may name the user; requests without its headers need a key.
            trusted_proxy_enabled=True,
            trusted_proxy_addresses=["127.0.0.1"],
        )
        embedder = BigramEmbedder()
        summary = IngestPipeline(LocalIndexTarget(settings.resolved_index_dir), embedder).run(
            [_write_corpus(root)]
        )
        assert summary.exit_code == 0, summary.render()
        keys = _create_users(settings.resolved_database_url)

        app = create_app(settings, embedder=embedder)
        sock = _free_socket()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        host, port = sock.getsockname()
        try:
            yield LiveApi(url=f"http://{host}:{port}", home=home, keys=keys, bedrock=bedrock)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
