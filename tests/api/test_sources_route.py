"""Original files of cited sources (GET /sources/…): served only to users who may see every chunk of the
document, PDFs at the cited page, never a file outside the source roots, every open audited."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.source_files import NOT_FOUND, find_source_file
from assistant.config import Settings
from assistant.records import create_user
from core.errors import RecordNotFound
from core.model import Chunk
from tests.builders.office import write_pdf, write_xlsx
from tests.support.embedder import BigramEmbedder

PAGES = [
    "転入届の手引き\n第1章 総則",
    "第2章 届出期間\n転入届は、転入した日から十四日以内に届け出なければならない。",
    "第3章 必要書類\n転入届には、転出証明書と本人確認書類を添付する。",
]
PEOPLE = {  # name: (groups, clearance)
    "alice": (["財政課"], 2),  # sees everything open and the 財政課 workbook
    "bob": (["総務課"], 1),  # sees the open guide only
    "hana": (["財政課"], 1),  # in the group of the workbook, below its 機密性
}


@dataclass
class SourcesApi:
    client: TestClient
    ctx: object
    root: Path
    keys: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, user: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {self.keys[user]}"} if user else {}
        return self.client.get(path, headers=headers, **kwargs)

    def chunk_id(self, source_suffix: str, **where) -> str:
        store = self.ctx.stores.get()
        return next(
            c.chunk_id
            for c in store.chunks
            if c.source.endswith(source_suffix) and all(getattr(c, k) == v for k, v in where.items())
        )

    def audit_rows(self) -> list:
        from sqlalchemy import select

        from assistant.records.models import AuditLog

        with self.ctx.sessions() as session:
            return list(session.scalars(select(AuditLog).where(AuditLog.task == "source_open")))


def _corpus(root: Path) -> Path:
    docs = root / "docs"
    (docs / "zaisei").mkdir(parents=True)
    write_pdf(docs / "転入届の手引き.pdf", PAGES, title="転入届の手引き")
    write_xlsx(
        docs / "zaisei" / "予算要求一覧.xlsx",
        {"総括": [["項目", "金額"], ["人件費", 100]], "内訳": [["事業", "金額"], ["窓口改善", 20]]},
    )
    (docs / "zaisei" / ".yakuba.json").write_text(json.dumps({"classification": 2, "groups": ["財政課"]}))
    return docs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The corpus under `library/` and its index under `index/`, ingested once for the module."""
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline

    base = tmp_path_factory.mktemp("sources")
    summary = IngestPipeline(LocalIndexTarget(base / "index"), BigramEmbedder()).run(
        [_corpus(base / "library")]
    )
    assert summary.exit_code == 0, summary.render()
    return base


@pytest.fixture
def sources_api(tmp_path, built) -> SourcesApi:
    """An API over a copy of the corpus and its index (a test may change either), with fresh users."""
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    root = tmp_path / "library"
    settings = Settings(
        home=tmp_path / "home",
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'yakuba.db'}",
        rate_limit_per_minute=0,
        default_backend="offline/extractive",
        source_roots=[root],
    )
    app = create_app(settings, embedder=BigramEmbedder())
    ctx = app.state.ctx
    api = SourcesApi(TestClient(app), ctx, root)
    with ctx.write_sessions.begin() as session:
        for name, (groups, clearance) in PEOPLE.items():
            api.keys[name] = create_user(session, name, groups, clearance)[1]
    yield api
    api.client.close()
    ctx.close()


def test_an_allowed_user_opens_the_pdf_at_the_cited_page(sources_api):
    chunk_id = sources_api.chunk_id("転入届の手引き.pdf", page=3)
    link = sources_api.get(f"/sources/{chunk_id}", "bob")
    assert link.status_code == 200, link.text
    body = link.json()
    assert body["opens_at"] == "page" and body["page"] == 3 and body["inline"] is True
    assert body["media_type"] == "application/pdf" and body["file_name"] == "転入届の手引き.pdf"
    assert body["url"].startswith("/sources/open/") and body["url"].endswith("#page=3")
    assert sources_api.keys["bob"] not in body["url"]  # a signed link, never the API key

    path, _, fragment = body["url"].partition("#")
    opened = sources_api.get(path)  # the browser's request: no Authorization header
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"].startswith("inline;")
    assert quote("転入届の手引き.pdf") in opened.headers["content-disposition"]
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert opened.content == (sources_api.root / "docs" / "転入届の手引き.pdf").read_bytes()

    direct = sources_api.get(f"/sources/{chunk_id}/file", "bob")
    assert direct.status_code == 200 and direct.content == opened.content


def test_a_spreadsheet_is_downloaded_and_its_sheet_named(sources_api):
    chunk_id = sources_api.chunk_id("予算要求一覧.xlsx", sheet="内訳")
    body = sources_api.get(f"/sources/{chunk_id}", "alice").json()
    assert body["opens_at"] is None and body["sheet"] == "内訳" and "内訳" in body["location"]
    assert "#" not in body["url"]
    opened = sources_api.get(body["url"])
    assert opened.status_code == 200
    assert opened.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert opened.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize("user", ["bob", "hana"])  # outside the groups; in the group but below the 機密性
def test_a_user_who_may_not_see_the_document_gets_the_same_404(sources_api, user):
    chunk_id = sources_api.chunk_id("予算要求一覧.xlsx")
    missing = sources_api.get("/sources/0123456789abcdef0123", user)
    for path in (f"/sources/{chunk_id}", f"/sources/{chunk_id}/file"):
        refused = sources_api.get(path, user)
        assert refused.status_code == 404
        assert refused.json() == missing.json() == {"error": "not_found", "message": NOT_FOUND}
    links = sources_api.client.post(
        "/sources/links",
        json={"chunk_ids": [chunk_id, sources_api.chunk_id("転入届の手引き.pdf", page=2)]},
        headers={"Authorization": f"Bearer {sources_api.keys[user]}"},
    )
    assert [link["page"] for link in links.json()["links"]] == [2]  # the workbook is left out


def test_a_link_is_checked_again_when_used(sources_api):
    """A link issued to a user stops working when the user loses the right, is disabled, or forges it."""
    from assistant.records import get_user

    chunk_id = sources_api.chunk_id("予算要求一覧.xlsx")
    url = sources_api.get(f"/sources/{chunk_id}", "alice").json()["url"]
    assert sources_api.get(url).status_code == 200
    with sources_api.ctx.write_sessions.begin() as session:
        get_user(session, "alice").groups = ["総務課"]
    assert sources_api.get(url).status_code == 404
    token = url.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert sources_api.get(f"/sources/open/{forged}").status_code == 404


def test_an_expired_link_says_so(sources_api, monkeypatch):
    import itsdangerous.timed

    chunk_id = sources_api.chunk_id("転入届の手引き.pdf", page=1)
    url = sources_api.get(f"/sources/{chunk_id}", "bob").json()["url"].partition("#")[0]
    later = itsdangerous.timed.TimestampSigner.get_timestamp(None) + 31 * 60  # past source_link_minutes
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    expired = sources_api.get(url)
    assert expired.status_code == 404 and "有効期限" in expired.json()["message"]


@pytest.mark.parametrize(
    "attempt",
    [
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fyakuba.db",
        "docs%2F転入届の手引き.pdf",
        "open/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_path_traversal_attempts_get_404(sources_api, attempt):
    response = sources_api.get(f"/sources/{attempt}/file", "alice")
    assert response.status_code == 404
    assert b"root:" not in response.content and b"SQLite" not in response.content


def test_a_file_changed_since_ingest_is_not_served(sources_api):
    chunk_id = sources_api.chunk_id("転入届の手引き.pdf", page=1)
    path = sources_api.root / "docs" / "転入届の手引き.pdf"
    path.write_bytes(path.read_bytes() + b"% appended after ingest\n")
    assert sources_api.get(f"/sources/{chunk_id}/file", "bob").status_code == 404


def test_every_open_and_refusal_is_audited(sources_api):
    pdf = sources_api.chunk_id("転入届の手引き.pdf", page=2)
    workbook = sources_api.chunk_id("予算要求一覧.xlsx")
    url = sources_api.get(f"/sources/{pdf}", "bob").json()["url"].partition("#")[0]
    assert not sources_api.audit_rows()  # issuing a link opens nothing
    sources_api.get(url)
    piece = sources_api.client.get(url, headers={"Range": "bytes=100-199"})  # the PDF viewer reading on
    assert piece.status_code == 206 and len(piece.content) == 100
    sources_api.get(f"/sources/{workbook}/file", "bob")
    sources_api.get("/sources/open/not-a-token")
    rows = sources_api.audit_rows()
    assert [(r.user_name, r.outcome, r.chunk_ids, r.extra.get("via")) for r in rows] == [
        ("bob", "ok", [pdf], "link"),
        ("bob", "refused", [workbook], "api"),
        ("(unknown)", "refused", [""], "link"),
    ]
    assert rows[0].extra["source"] == "docs/転入届の手引き.pdf" and rows[0].level == 1
    assert "source" not in rows[1].extra  # a refusal records what was asked, not where the file is
    from assistant.records import verify_audit_chain

    with sources_api.ctx.sessions() as session:
        assert verify_audit_chain(session).ok


# --- the rules on their own, over a store that an ingest could not produce ---------------------------


def _store(chunks: list[Chunk], sizes: dict[str, int]):
    return SimpleNamespace(
        get=lambda ids: [c for c in chunks if c.chunk_id in ids],
        chunks=chunks,
        manifest={"files": {source: {"size": size} for source, size in sizes.items()}},
    )


def _chunk(chunk_id: str, source: str, level: int = 1, groups: tuple[str, ...] = ()) -> Chunk:
    return Chunk(chunk_id, "本文", "本文", source, "題名", classification=level, groups=list(groups))


def test_one_chunk_above_the_clearance_hides_the_whole_document(tmp_path):
    (tmp_path / "a.txt").write_text("本文", encoding="utf-8")
    settings = Settings(home=tmp_path / "home", source_roots=[tmp_path])
    reader = SimpleNamespace(name="r", groups=["総務課"], clearance=1, is_admin=False)
    size = {"a.txt": (tmp_path / "a.txt").stat().st_size}
    assert (
        find_source_file(settings, _store([_chunk("c1", "a.txt")], size), reader, "c1").path.name == "a.txt"
    )
    for other in (_chunk("c2", "a.txt", level=2), _chunk("c2", "a.txt", groups=("人事課",))):
        with pytest.raises(RecordNotFound):
            find_source_file(settings, _store([_chunk("c1", "a.txt"), other], size), reader, "c1")


@pytest.mark.parametrize(
    "source", ["../secret.txt", "/etc/passwd", "docs/../../secret.txt", "docs\\..\\..\\x"]
)
def test_a_source_path_that_climbs_out_is_refused(tmp_path, source):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("秘", encoding="utf-8")
    settings = Settings(home=tmp_path / "home", source_roots=[root])
    reader = SimpleNamespace(name="r", groups=[], clearance=3, is_admin=False)
    store = _store([_chunk("c1", source)], {source: (tmp_path / "secret.txt").stat().st_size})
    with pytest.raises(RecordNotFound):
        find_source_file(settings, store, reader, "c1")


def test_the_link_key_is_created_once_and_kept_private(tmp_path):
    from assistant.api.source_files import read_link, sign_link

    settings = Settings(home=tmp_path / "home")
    token = sign_link(settings, SimpleNamespace(name="bob"), "c1")
    key = tmp_path / "home" / "source-links.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert read_link(settings, token) == ("bob", "c1")
    assert re.fullmatch(r"[A-Za-z0-9_\-.]+", token)


def test_a_symlink_inside_a_root_that_points_outside_is_not_served(tmp_path):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("庁外秘", encoding="utf-8")
    (root / "docs" / "link.txt").symlink_to(outside)
    settings = Settings(home=tmp_path / "home", source_roots=[root])
    reader = SimpleNamespace(name="r", groups=[], clearance=3, is_admin=False)
    store = _store([_chunk("c1", "docs/link.txt")], {"docs/link.txt": outside.stat().st_size})
    with pytest.raises(RecordNotFound):
        find_source_file(settings, store, reader, "c1")
