"""/batches: upload (cp932 CSV with a bad row), progress, items, downloads (XLSX, CSV, zip with DOCX), access
(owner and administrators; results above the reader's rights withheld), cancel, resume, and jobs left running
by a stopped API resumed at start."""

from __future__ import annotations

import csv
import io
import time
import zipfile

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from assistant.jobs.store import JobStore
from assistant.records import get_user
from assistant.tasks.base import Principal
from tests.api.conftest import leaks

HEADER = "件名,照会元,照会日,照会内容,所管課\r\n"
ROWS = [
    "住民票の写しの手数料について,東京都総務局,令和7年4月1日,住民票の写しの交付手数料はいくらか。,市民課",
    "経常経費について,A市財政課,2025-04-02,令和7年度の予算編成で経常経費はどの程度削減するのか。,財政課",
    "日付が読めない行,B市,四月ごろ,何かの照会,",
    '窓口について,C町,,"1. 住民票の写しの交付窓口はどこか。\n2. 持参する書類は何か。",市民課',
]


def _csv(rows: list[str], encoding: str = "cp932") -> bytes:
    return (HEADER + "\r\n".join(rows) + "\r\n").encode(encoding)


def _upload(api, user: str, data: bytes, name: str = "照会一覧.csv", **form):
    return api.post("/batches", user, files={"file": (name, data, "text/csv")}, data=form)


def _wait(api, user: str, job_id: str, until=lambda s: s["state"] != "running" and s["running"] == 0) -> dict:
    deadline = time.monotonic() + 90
    while True:
        status = api.get(f"/batches/{job_id}", user).json()
        if until(status):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def test_upload_runs_every_good_row_and_lists_the_bad_one(api):
    response = _upload(api, "alice", _csv(ROWS))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["n_items"] == 3 and created["state"] == "running"
    assert created["bad_rows"] == [
        {
            "row": 4,
            "reason": "照会日「四月ごろ」を日付として読み取れません（例: 2025-04-01、令和7年4月1日）。",
        }
    ]
    status = _wait(api, "alice", created["job_id"])
    assert (status["state"], status["done"], status["failed"], status["n_items"]) == ("done", 3, 0, 3)
    assert (
        status["finished_at"] and status["source_name"] == "照会一覧.csv" and status["user_name"] == "alice"
    )

    items = api.get(f"/batches/{created['job_id']}/items", "alice").json()
    assert items["total"] == 3 and [i["row"] for i in items["items"]] == [2, 3, 5]
    first = items["items"][0]
    assert first["input"]["sender"] == "東京都総務局" and first["input"]["asked_on"] == "2025-04-01"
    assert first["result"]["subject"].endswith("について（回答）") and first["result"]["items"]
    assert len(items["items"][2]["result"]["items"]) == 2  # two numbered questions, two answers
    assert api.get(f"/batches/{created['job_id']}/items?state=failed", "alice").json()["total"] == 0

    xlsx = api.get(f"/batches/{created['job_id']}/download?format=xlsx", "alice")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    assert {
        "件名",
        "照会元",
        "照会内容",
        "所管課案",
        "回答案",
        "根拠",
        "要確認事項",
        "機密性",
        "状態",
    } <= set(header)
    assert sheet.max_row == 4 and sheet.cell(2, header.index("状態") + 1).value == "完了"
    assert "記" in sheet.cell(2, header.index("回答案") + 1).value

    text = api.get(f"/batches/{created['job_id']}/download?format=csv", "alice").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[0] == header

    archive = zipfile.ZipFile(io.BytesIO(api.get(f"/batches/{created['job_id']}/download", "alice").content))
    names = archive.namelist()
    assert {n for n in names if not n.endswith(".docx")} == {"一括作成結果.xlsx", "一括作成結果.csv"}
    assert len([n for n in names if n.endswith(".docx")]) == 3


def test_jobs_are_visible_to_their_owner_and_administrators_within_their_own_rights(api):
    job_id = _upload(api, "alice", _csv(ROWS[1:2])).json()["job_id"]
    _wait(api, "alice", job_id)
    mine = api.get(f"/batches/{job_id}/items", "alice").json()["items"][0]
    assert mine["withheld"] is None and any("予算編成方針" in s["title"] for s in mine["result"]["sources"])

    assert api.get(f"/batches/{job_id}", "bob").status_code == 404
    assert api.get(f"/batches/{job_id}/download", "bob").status_code == 404
    assert api.post(f"/batches/{job_id}/cancel", "bob").status_code == 404
    assert job_id not in [j["job_id"] for j in api.get("/batches", "bob").json()["jobs"]]
    assert job_id in [j["job_id"] for j in api.get("/batches", "alice").json()["jobs"]]

    # the administrator sees the job, but not a draft resting on a 財政課 document
    assert job_id in [j["job_id"] for j in api.get("/batches", "kanri").json()["jobs"]]
    items = api.get(f"/batches/{job_id}/items", "kanri")
    assert items.json()["items"][0]["result"] is None and items.json()["items"][0]["withheld"]
    assert leaks(items.text, "zaisei") == []
    for fmt in ("csv", "xlsx", "zip"):
        download = api.get(f"/batches/{job_id}/download?format={fmt}", "kanri")
        assert download.status_code == 200
    text = api.get(f"/batches/{job_id}/download?format=csv", "kanri").content.decode("utf-8-sig")
    assert leaks(text, "zaisei") == [] and "閲覧する権限のない資料" in text
    names = zipfile.ZipFile(io.BytesIO(api.get(f"/batches/{job_id}/download", "kanri").content)).namelist()
    assert not [n for n in names if n.endswith(".docx")]


def test_cancel_and_resume(make_api, fake_bedrock):
    api = make_api(bedrock_endpoint_url=fake_bedrock.url, batch_concurrency=2)
    fake_bedrock.delay_seconds = 0.2
    rows = [f"手数料{i},A市,,住民票の写しの交付手数料はいくらか（{i}）。,市民課" for i in range(12)]
    job_id = _upload(api, "bob", _csv(rows), backend="bedrock/claude-haiku-4-5").json()["job_id"]
    cancelled = api.post(f"/batches/{job_id}/cancel", "bob")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    status = _wait(api, "bob", job_id)
    assert status["state"] == "cancelled" and status["cancelled"] > 0 and status["pending"] == 0
    assert status["done"] + status["cancelled"] == 12
    again = api.post(f"/batches/{job_id}/cancel", "bob")
    assert again.status_code == 409 and again.json()["message"].startswith(
        "この一括作成ジョブは実行中ではない"
    )

    fake_bedrock.delay_seconds = 0.0
    resumed = api.post(f"/batches/{job_id}/resume", "bob")
    assert resumed.status_code == 200 and resumed.json()["state"] == "running"
    status = _wait(api, "bob", job_id)
    assert (status["state"], status["done"]) == ("done", 12)
    items = api.get(f"/batches/{job_id}/items?limit=500", "bob").json()["items"]
    assert {i["result"]["backend"] for i in items} == {"bedrock/claude-haiku-4-5"}
    assert api.post(f"/batches/{job_id}/resume", "bob").status_code == 409


def test_a_job_left_running_by_a_stopped_api_is_resumed_at_start(api):
    store = JobStore(api.ctx.engine)
    with api.ctx.sessions() as session:
        alice = get_user(session, "alice")
    inputs = [(n + 2, {"content": f"住民票の写しの交付手数料はいくらか（{n}）。"}) for n in range(4)]
    job = store.create("reply", inputs, Principal(name="alice"), user_id=alice.id)
    dead = "ghost-host-of-a-killed-api:1:x"  # another host: its leases must expire first
    store.claim(job.id, dead, 2, lease_seconds=-1)
    with TestClient(api.client.app):  # start-up (lifespan) resumes unfinished jobs
        deadline = time.monotonic() + 60
        while store.progress(job.id).state == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    progress = store.progress(job.id)
    assert (progress.state, progress.done) == ("done", 4)
    assert [i.attempts for i in store.items(job.id)] == [2, 2, 1, 1]


def test_uploads_that_cannot_run_are_refused_in_japanese(api):
    pdf = _upload(api, "alice", b"%PDF-1.4", name="照会.pdf")
    assert pdf.status_code == 415 and "CSV、XLSX、JSONL" in pdf.json()["message"]
    no_column = _upload(api, "alice", "件名,回答\r\na,b\r\n".encode())
    assert no_column.status_code == 422 and "照会内容の列が見つかりません" in no_column.json()["message"]
    empty = _upload(api, "alice", "件名,照会内容\r\na,\r\n".encode())
    assert empty.status_code == 422 and "処理できる行がありません" in empty.json()["message"]
    unknown = _upload(api, "alice", _csv(ROWS[:1]), backend="nowhere/model")
    assert unknown.status_code == 400
    bad_state = api.get("/batches/x/items?state=unknown", "alice")
    assert bad_state.status_code == 422
    assert (
        api.get("/batches/no-such-job", "alice").json()["message"]
        == "指定された一括作成ジョブは見つかりません。"
    )
