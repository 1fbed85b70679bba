"""API test set-up: a small labelled index (built once with the ingest pipeline and the bigram test
embedder, copied per test), a real SQLite file per test, and users with different rights."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.context import ApiContext
from assistant.config import Settings
from assistant.records import create_user
from tests.support.embedder import BigramEmbedder

# folder → (labels, file name, text). Each restricted text carries a code word that must never
# reach a user without the rights to its chunk.
CORPUS = {
    "public": ({"classification": 1}, "窓口案内.md",
               "# 住民票の写しの交付\n\n住民票の写しの交付手数料は、一通につき300円です。"
               "交付の窓口は市民課です。本人確認書類を持参してください。\n"),
    "zaisei": ({"classification": 2, "groups": ["財政課"]}, "予算編成方針.md",
               "# 令和7年度予算編成方針\n\n令和7年度の予算編成では、経常経費を前年度比5パーセント削減する。"
               "予算編成の秘匿コードはアオサギである。\n"),
    "jinji": ({"classification": 3, "groups": ["人事課"]}, "人事評価要領.md",
              "# 人事評価実施要領\n\n人事評価の結果は本人以外に開示しない。"
              "人事評価の秘匿コードはカワセミである。\n"),
}  # fmt: skip
SECRETS = {"zaisei": ("アオサギ", "予算編成方針"), "jinji": ("カワセミ", "人事評価要領")}
PEOPLE = {
    # name: (groups, clearance, admin)
    "alice": (["財政課"], 2, False),  # sees public + zaisei
    "bob": (["総務課"], 1, False),  # sees public only
    "hana": (["人事課"], 2, False),  # in the group of jinji, but below its classification
    "kanri": ([], 3, True),  # administrator: manages, but reads only unrestricted documents
    "uploader": (["総務課", "文書管理"], 2, False),
}


@pytest.fixture(scope="session")
def embedder() -> BigramEmbedder:
    return BigramEmbedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder) -> Path:
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline

    corpus = tmp_path_factory.mktemp("corpus")
    for folder, (labels, name, text) in CORPUS.items():
        (corpus / folder).mkdir()
        (corpus / folder / ".yakuba.json").write_text(json.dumps(labels), encoding="utf-8")
        (corpus / folder / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    summary = IngestPipeline(LocalIndexTarget(index_dir), embedder).run([corpus / f for f in CORPUS])
    assert summary.exit_code == 0, summary.render()
    return index_dir


@dataclass
class Api:
    client: TestClient
    ctx: ApiContext
    keys: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[user]}"}

    def get(self, path: str, user: str, **kwargs):
        return self.client.get(path, headers=self.auth(user), **kwargs)

    def post(self, path: str, user: str, **kwargs):
        return self.client.post(path, headers=self.auth(user), **kwargs)

    def delete(self, path: str, user: str, **kwargs):
        return self.client.delete(path, headers=self.auth(user), **kwargs)


@pytest.fixture
def make_api(tmp_path, built_index, embedder) -> Iterator[Callable[..., Api]]:
    """Build an API over a fresh copy of the index and a fresh SQLite database."""
    made: list[Api] = []

    def make(*, client_address: str = "testclient", **overrides) -> Api:
        base = tmp_path / f"api{len(made)}"
        index_dir = base / "index"
        shutil.copytree(built_index, index_dir)
        values = {
            "home": base / "home",
            "index_dir": index_dir,
            "database_url": f"sqlite:///{base / 'yakuba.db'}",
            "rate_limit_per_minute": 0,
            "default_backend": "offline/extractive",
            "upload_groups": ["文書管理"],
            **overrides,
        }
        settings = Settings(**values)
        app = create_app(settings, embedder=embedder)
        ctx = app.state.ctx
        keys = {}
        with ctx.write_sessions.begin() as session:
            for name, (groups, clearance, admin) in PEOPLE.items():
                keys[name] = create_user(session, name, groups, clearance, admin=admin)[1]
        client = TestClient(app, client=(client_address, 50000))
        api = Api(client, ctx, keys)
        made.append(api)
        return api

    yield make
    for api in made:
        api.client.close()
        api.ctx.close()


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


def leaks(response_text: str, *folders: str) -> list[str]:
    """The code words or titles of `folders` found in a response body."""
    return [word for f in folders for word in SECRETS[f] if word in response_text]
