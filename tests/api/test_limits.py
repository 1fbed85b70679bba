"""Rate limit, request body limit, and uploads (rights, size, type, ingest)."""

from __future__ import annotations

SEARCH = {"query": "住民票の写し"}


def test_rate_limit_is_per_user_with_retry_after(make_api):
    api = make_api(rate_limit_per_minute=2)
    assert [api.post("/search", "bob", json=SEARCH).status_code for _ in range(2)] == [200, 200]
    refused = api.post("/chat", "bob", json={"message": "住民票の写しの交付手数料はいくらですか"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"] == "rate_limited" and "秒後" in refused.json()["message"]
    assert api.post("/search", "alice", json=SEARCH).status_code == 200  # another user is not affected
    assert api.get("/conversations", "bob").status_code == 200  # reading history is not throttled


def test_request_body_limit_gives_a_json_413(make_api):
    api = make_api(max_body_kb=1)
    padded = {"query": "住民票", "k": 5, "filters": None}
    body = ('{"query": "' + "あ" * 1000 + '"}').encode()
    for content in (body, iter([body[:500], body[500:]])):  # with and without Content-Length
        response = api.client.post(
            "/search", content=content, headers={**api.auth("bob"), "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large" and "上限" in response.json()["message"]
    assert api.post("/search", "bob", json=padded).status_code == 200


def _upload(api, user, files, **form):
    return api.post("/documents", user, files=[("files", f) for f in files], data=form)


NOTICE = (
    "文書管理規程.txt",
    "文書の保存期間は原則として十年とする。保存期間の起算日は翌年度の四月一日である。".encode(),
)


def test_upload_rights(api):
    assert _upload(api, "bob", [NOTICE]).status_code == 403  # not in an uploader group
    over = _upload(api, "uploader", [NOTICE], classification="3")  # clearance is 2
    assert over.status_code == 403 and "機密性3" in over.json()["message"]
    foreign = _upload(api, "uploader", [NOTICE], groups="財政課")  # not a member
    assert foreign.status_code == 403 and "財政課" in foreign.json()["message"]
    assert _upload(api, "uploader", [NOTICE], classification="4").status_code == 422


def test_upload_is_ingested_with_its_labels(api):
    response = _upload(api, "uploader", [NOTICE], classification="2", groups="文書管理")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["files_ingested"] == 1 and summary["exit_code"] == 0 and "index_dir" not in summary

    def listed(user):
        return [
            d
            for d in api.get("/documents", user).json()["documents"]
            if d["source"].endswith("文書管理規程.txt")
        ]

    assert listed("uploader")[0]["classification"] == 2
    assert listed("bob") == [] and listed("alice") == []
    hits = api.post("/search", "uploader", json={"query": "文書の保存期間"}).json()["hits"]
    assert "十年" in hits[0]["text"]
    assert all(
        "十年" not in h["text"]
        for h in api.post("/search", "bob", json={"query": "文書の保存期間"}).json()["hits"]
    )
    # the same file name uploaded again is a separate source, not a replacement
    again = _upload(api, "kanri", [NOTICE], groups="人事課")  # administrators may label any group
    assert again.status_code == 200
    assert len(listed("uploader")) == 1


def test_upload_size_and_type_limits(make_api):
    api = make_api(max_upload_mb=0.01)  # 10 KiB
    big = ("大きな文書.txt", "保存期間".encode() * 2000)
    response = _upload(api, "uploader", [big])
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    for name in ("program.exe", "古い様式.doc", ".yakuba.json", "noextension"):
        response = _upload(api, "uploader", [(name, b"data")])
        assert response.status_code == 415, name
        assert response.json()["error"] == "unsupported_media_type"


def test_an_upload_with_nothing_to_ingest_is_422(api):
    empty = _upload(api, "uploader", [("空.txt", b"")])
    assert empty.status_code == 422 and empty.json()["error"] == "ingest_failed"
    assert [d["source"] for d in api.get("/documents", "uploader").json()["documents"]] == [
        "public/窓口案内.md"
    ]
