"""The documents listing (titles, no folder names, labels) and the administrators' actions on uploaded files:
delete, replace and reclassify (up and down), each updating the index before it answers and audited."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from assistant.records.models import AuditLog

NOTICE = (
    "文書管理規程.txt",
    "文書の保存期間は原則として十年とする。起算日は翌年度の四月一日である。".encode(),
)
NEW_NOTICE = (
    "文書管理規程.txt",
    "文書の保存期間は原則として三十年とする。起算日は翌年度の四月一日である。".encode(),
)
HEADER = "番号,件名,照会内容,回答内容,回答日\n"
RECORDS = HEADER + "".join(
    f"{n},転入届の受理について{n},届出期間を過ぎた転入届は受理できますか（{n}）,受理できます（{n}）,2024-05-{n:02d}\n"
    for n in range(1, 26)
)


def _upload(api, user, files, **form):
    response = api.post("/documents", user, files=[("files", f) for f in files], data=form)
    assert response.status_code == 200, response.text
    return response.json()


def _listed(api, user, name):
    return [d for d in api.get("/documents", user).json()["documents"] if d["file_name"] == name]


def _path(document):
    upload_id, _, name = document["source"].partition("/")
    return f"/documents/{upload_id}/{quote(name)}"


def _hits(api, user, query):
    return [h["text"] for h in api.post("/search", user, json={"query": query}).json()["hits"]]


def _audit(api, action):
    with api.ctx.sessions() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.task == "document", AuditLog.reason == action))
        return [(r.user_name, r.outcome, r.extra) for r in rows]


def test_listing_titles_records_files_by_name_and_count_and_hides_folders(api):
    _upload(api, "kanri", [("転入届照会記録.csv", RECORDS.encode())])
    [records] = _listed(api, "bob", "転入届照会記録.csv")
    assert records["title"] == "転入届照会記録.csv（照会記録 25件）" and records["records"] == 25
    assert records["doc_type"] == "inquiry" and records["uploaded"] and records["uploaded_at"]
    assert records["updated_at"] and records["groups"] == []
    [policy] = _listed(api, "bob", "窓口案内.md")  # ingested with the CLI: keeps its title, not managed here
    assert policy["title"] == "住民票の写しの交付" and policy["records"] is None
    assert not policy["uploaded"] and policy["uploaded_at"] is None


def test_each_uploaded_file_gets_a_folder_of_its_own(api):
    _upload(api, "kanri", [NOTICE, ("窓口.md", "# 窓口\n\n窓口は九時に開きます。".encode())])
    sources = [d["source"] for d in api.get("/documents", "kanri").json()["documents"] if d["uploaded"]]
    assert len({s.partition("/")[0] for s in sources}) == 2


def test_only_administrators_act_and_in_japanese(api):
    _upload(api, "uploader", [NOTICE])
    [doc] = _listed(api, "uploader", NOTICE[0])
    refused = [
        api.delete(_path(doc), "uploader"),
        api.client.patch(_path(doc), headers=api.auth("uploader"), json={"classification": 2}),
        api.client.put(_path(doc), headers=api.auth("uploader"), files={"file": NEW_NOTICE}),
    ]
    assert {r.status_code for r in refused} == {403}
    assert all("管理者" in r.json()["message"] for r in refused)
    assert _listed(api, "uploader", NOTICE[0])  # still there


def test_delete_removes_the_file_and_its_chunks_and_is_audited(api):
    _upload(api, "kanri", [NOTICE])
    [doc] = _listed(api, "kanri", NOTICE[0])
    assert any("十年" in t for t in _hits(api, "kanri", "文書の保存期間"))
    response = api.delete(_path(doc), "kanri")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["action"] == "delete" and body["new"] is None and body["summary"]["files_removed"] == 1
    assert _listed(api, "kanri", NOTICE[0]) == []
    assert not any("十年" in t for t in _hits(api, "kanri", "文書の保存期間"))
    assert not (api.ctx.settings.home / "uploads" / doc["source"].partition("/")[0]).exists()
    [(who, outcome, extra)] = _audit(api, "delete")
    assert (who, outcome, extra["file_name"]) == ("kanri", "ok", NOTICE[0])
    assert extra["old"] == {"classification": 1, "groups": []} and extra["new"] is None
    assert api.delete(_path(doc), "kanri").status_code == 404


def test_replace_ingests_the_new_version_with_the_same_labels(api):
    _upload(api, "kanri", [NOTICE], classification="2")
    [doc] = _listed(api, "kanri", NOTICE[0])
    response = api.client.put(_path(doc), headers=api.auth("kanri"), files={"file": NEW_NOTICE})
    assert response.status_code == 200, response.text
    assert response.json()["new"] == {"classification": 2, "groups": []}
    texts = _hits(api, "kanri", "文書の保存期間")
    assert any("三十年" in t for t in texts) and not any("十年とする" in t and "三十" not in t for t in texts)
    [after] = _listed(api, "kanri", NOTICE[0])
    assert after["source"] == doc["source"] and after["classification"] == 2
    assert _audit(api, "replace")[0][2]["old"]["classification"] == 2


def test_replace_with_another_name_or_an_unreadable_file_keeps_the_old_version(api):
    _upload(api, "kanri", [NOTICE])
    [doc] = _listed(api, "kanri", NOTICE[0])
    other = api.client.put(_path(doc), headers=api.auth("kanri"), files={"file": ("別の文書.txt", b"x")})
    assert other.status_code == 422 and "同じ名前" in other.json()["message"]
    empty = api.client.put(_path(doc), headers=api.auth("kanri"), files={"file": (NOTICE[0], b"")})
    assert empty.status_code == 422 and "元の文書はそのまま" in empty.json()["message"]
    assert any("十年" in t for t in _hits(api, "kanri", "文書の保存期間"))
    assert (api.ctx.settings.home / "uploads" / doc["source"]).read_bytes() == NOTICE[1]
    assert _audit(api, "replace")[0][1] == "error"


def test_reclassify_up_and_down_changes_who_may_see_it(api):
    _upload(api, "kanri", [NOTICE])
    [doc] = _listed(api, "kanri", NOTICE[0])
    assert _listed(api, "bob", NOTICE[0])
    up = api.client.patch(
        _path(doc), headers=api.auth("kanri"), json={"classification": 2, "groups": ["文書管理"]}
    )
    assert up.status_code == 200, up.text
    assert up.json()["old"] == {"classification": 1, "groups": []}
    assert _listed(api, "bob", NOTICE[0]) == []  # the index changed before the answer
    assert not any("十年" in t for t in _hits(api, "bob", "文書の保存期間"))
    assert _listed(api, "uploader", NOTICE[0])[0]["groups"] == ["文書管理"]
    # kanri (no groups) no longer sees it either: an administrator manages only what they may read
    assert (
        api.client.patch(_path(doc), headers=api.auth("kanri"), json={"classification": 1}).status_code == 404
    )
    with api.ctx.write_sessions.begin() as session:
        from assistant.records import create_user

        key = create_user(session, "kanri2", ["文書管理"], 3, admin=True)[1]
    down = api.client.patch(
        _path(doc), headers={"Authorization": f"Bearer {key}"}, json={"classification": 1, "groups": []}
    )
    assert down.status_code == 200, down.text
    assert _listed(api, "bob", NOTICE[0])[0]["classification"] == 1
    assert any("十年" in t for t in _hits(api, "bob", "文書の保存期間"))
    audits = _audit(api, "reclassify")
    assert [a[2]["new"] for a in audits] == [
        {"classification": 2, "groups": ["文書管理"]},
        {"classification": 1, "groups": []},
    ]


def test_reclassify_validation(api):
    _upload(api, "kanri", [NOTICE])
    [doc] = _listed(api, "kanri", NOTICE[0])
    bad = api.client.patch(_path(doc), headers=api.auth("kanri"), json={"classification": 4})
    assert bad.status_code == 422 and bad.json()["message"]
    bad_path = api.client.patch(
        "/documents/uploads/x.txt", headers=api.auth("kanri"), json={"classification": 1}
    )
    assert bad_path.status_code == 422
    unknown = api.delete("/documents/20250101-000000-0000abcd/" + quote(NOTICE[0]), "kanri")
    assert unknown.status_code == 404 and "見つかりません" in unknown.json()["message"]


def test_cli_ingested_files_are_not_managed_from_the_api(api):
    [doc] = _listed(api, "kanri", "窓口案内.md")
    assert doc["source"] == "public/窓口案内.md"
    # its folder name is not an upload id: refused (422), and the file stays
    response = api.delete("/documents/public/" + quote("窓口案内.md"), "kanri")
    assert response.status_code == 422 and response.json()["message"]
    assert _listed(api, "kanri", "窓口案内.md")


def test_files_uploaded_together_before_one_folder_each_share_their_labels(api):
    """An upload folder holding several files (as POST /documents made them before): they can be deleted or
    replaced, the others keeping their labels, but not reclassified one by one (409, with what to do)."""
    from assistant.ingesting import build_pipeline
    from ingest.labels import Labels

    folder = api.ctx.settings.home / "uploads" / "20250401-090000-0123abcd"
    folder.mkdir(parents=True)
    (folder / NOTICE[0]).write_bytes(NOTICE[1])
    (folder / "窓口.md").write_text("# 窓口\n\n窓口は九時に開きます。", encoding="utf-8")
    labels = Labels(classification=2)
    pipeline = build_pipeline(
        api.ctx.settings, api.ctx.stores.index_dir, labels, embedder=api.ctx.stores.embedder
    )
    assert pipeline.run([folder]).files_ingested == 2
    [doc] = _listed(api, "kanri", NOTICE[0])
    refused = api.client.patch(_path(doc), headers=api.auth("kanri"), json={"classification": 1})
    assert refused.status_code == 409 and "同時に登録" in refused.json()["message"]
    assert api.delete(_path(doc), "kanri").status_code == 200
    [other] = _listed(api, "kanri", "窓口.md")
    assert other["classification"] == 2 and other["uploaded_at"].startswith("2025-04-01")
