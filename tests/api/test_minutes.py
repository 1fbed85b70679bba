"""/minutes: drafting from pasted text or an uploaded transcript (short at once, long in the background with
progress, resumed after its worker stopped), the source turns of every point, the review workflow shared with
reply drafts, exports carrying 案 and 機密性, access by clearance, Japanese errors and the audit."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from docx import Document

from assistant.records.minutes import MinutesJob
from assistant.records.models import utcnow
from tests.builders.minutes_examples import TRANSCRIPT

APPROVERS = ["総務課"]
OFFLINE = "offline/extractive"


@pytest.fixture
def mapi(make_api):
    """Reviewers: members of 総務課 (uploader, 2; bob, 1). alice (財政課, 2) writes the minutes."""
    return make_api(reply_approver_groups=APPROVERS)


def pasted(**input_fields):
    fields = {
        "transcript": TRANSCRIPT,
        "title": "総務委員会",
        "held_on": "令和7年4月15日",
        "classification": 2,
    }
    return {"input": fields | input_fields, "backend": OFFLINE}


def wait_job(api, user, job_id, rounds=400):
    """Poll the job until it leaves `running` (a bounded loop; nothing is asserted about the time)."""
    for _ in range(rounds):
        body = api.get(f"/minutes/jobs/{job_id}", user).json()
        if body["state"] != "running":
            return body
        time.sleep(0.05)
    raise AssertionError(f"job still running: {body}")


def audit_actions(api):
    from sqlalchemy import select

    from assistant.records.models import AuditLog

    with api.ctx.sessions() as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.task == "minutes_review").order_by(AuditLog.id)
        )
        return [(r.user_name, r.reason, r.outcome) for r in rows]


def test_pasted_transcript_is_drafted_at_once_with_its_source_turns(mapi):
    response = mapi.post("/minutes/draft", "alice", json=pasted())
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["state"] == "done" and job["n_turns"] == 6 and job["draft_id"]
    out = job["minutes"]
    assert (out["state"], out["owner"], out["classification"], out["mode"]) == (
        "下書き",
        "alice",
        2,
        "extractive",
    )
    minutes = out["minutes"]
    assert minutes["title"] == "総務委員会" and minutes["held_on"] == "令和7年4月15日"
    assert minutes["n_turns"] == 6
    turns = mapi.get(f"/minutes/{job['draft_id']}/turns", "alice").json()["turns"]
    assert [t["index"] for t in turns] == [1, 2, 3, 4, 5, 6]
    assert turns[2]["speaker"].startswith("防災課長") and "3日分" in turns[2]["text"]
    cited = {n for item in minutes["agenda"] for p in item["points"] for n in p["turns"]}
    cited |= {n for p in minutes["decisions"] for n in p["turns"]}
    assert cited and cited <= {1, 2, 3, 4, 5, 6}


def test_uploaded_file_with_style_and_form_fields(mapi):
    files = {"file": ("議事.txt", TRANSCRIPT.encode("cp932"), "text/plain")}
    data = {"style": "質疑応答", "max_chars": "60", "backend": OFFLINE, "title": "総務委員会（第3回）",
            "attendees": "山田委員長、佐藤委員\n鈴木防災課長", "classification": "1"}  # fmt: skip
    response = mapi.post("/minutes/draft", "bob", files=files, data=data)
    assert response.status_code == 201, response.text
    minutes = response.json()["minutes"]["minutes"]
    assert minutes["style"] == "質疑応答" and minutes["max_chars"] == 60
    assert minutes["title"] == "総務委員会（第3回）"
    assert minutes["attendees"] == ["山田委員長", "佐藤委員", "鈴木防災課長"]
    assert response.json()["source_name"] == "議事.txt"


def test_a_json_file_of_several_meetings_needs_the_meeting_chosen(mapi):
    import json

    meetings = [
        {"Date": f"2020/2/{day}", "ProceedingTitle": f"令和二年東京都議会会議録第{n}号",
         "Proceeding": [{"Speaker": "議長（石川良一君）", "Utterance": "ただいまから本日の会議を開きます。"},
                        {"Speaker": "知事（小池百合子君）", "Utterance": "お答えいたします。"}]}
        for n, day in (("一", 19), ("二", 26))
    ]  # fmt: skip
    files = {
        "file": ("会議録.json", json.dumps(meetings, ensure_ascii=False).encode("utf-8"), "application/json")
    }
    unchosen = mapi.post("/minutes/draft", "bob", files=files, data={"backend": OFFLINE})
    assert unchosen.status_code == 415 and "会議が2件" in unchosen.json()["message"]
    chosen = mapi.post("/minutes/draft", "bob", files=files, data={"backend": OFFLINE, "meeting": "2"})
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["minutes"]["minutes"]["title"] == "令和二年東京都議会会議録第二号"


def test_long_transcript_runs_in_the_background_with_progress(make_api):
    api = make_api(reply_approver_groups=APPROVERS, minutes_map_chars=100)
    response = api.post("/minutes/draft", "alice", json=pasted())
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["minutes"] is None
    assert api.get(f"/minutes/jobs/{started['id']}", "bob").status_code == 404  # the author's only
    done = wait_job(api, "alice", started["id"])
    assert done["state"] == "done" and done["done"] == done["total"] >= 1
    assert done["minutes"]["minutes"]["n_turns"] == 6


def test_a_job_whose_worker_stopped_is_resumed_when_read(mapi):
    from assistant.records import get_user
    from tests.builders.minutes_examples import minutes_input

    with mapi.ctx.write_sessions.begin() as session:
        alice = get_user(session, "alice")
        job = MinutesJob(
            owner_id=alice.id, state="running", input=minutes_input(classification=1).model_dump(mode="json"),
            backend=OFFLINE, lease_owner="stopped-host:1", heartbeat_at=utcnow() - timedelta(hours=1), attempts=1,
        )  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
    done = wait_job(mapi, "alice", job_id)
    assert done["state"] == "done" and done["draft_id"]
    with mapi.ctx.sessions() as session:
        assert session.get(MinutesJob, job_id).attempts == 2


def test_review_cycle_exports_and_audit(mapi):
    draft_id = mapi.post("/minutes/draft", "alice", json=pasted()).json()["draft_id"]
    assert mapi.get(f"/minutes/{draft_id}", "uploader").status_code == 404  # a 下書き is its author's own
    current = mapi.get(f"/minutes/{draft_id}", "alice").json()
    assert current["actions"] == ["edit", "submit", "export"]
    edited = current["minutes"] | {"place": "第1委員会室", "next_meeting": "5月20日午前10時から開会する。"}
    saved = mapi.client.put(f"/minutes/{draft_id}", headers=mapi.auth("alice"),
                            json={"minutes": edited, "base_version": 1, "comment": "場所を追記"})  # fmt: skip
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = mapi.client.put(
        f"/minutes/{draft_id}", headers=mapi.auth("alice"), json={"minutes": edited, "base_version": 1}
    )
    assert (
        stale.status_code == 409 and "議事録案はほかの操作により更新されています" in stale.json()["message"]
    )
    bad = edited | {"decisions": [{"text": "了承した。", "turns": [99]}]}
    refused = mapi.client.put(f"/minutes/{draft_id}", headers=mapi.auth("alice"), json={"minutes": bad})
    assert refused.status_code == 422 and "発言番号（99）" in refused.json()["message"]

    draft_md = mapi.get(f"/minutes/{draft_id}/export", "alice", params={"format": "md"})
    assert draft_md.status_code == 200 and draft_md.text.startswith("【案】　機密性２\n")
    assert "filename*=UTF-8''%E3%80%90%E6%A1%88%E3%80%91" in draft_md.headers["content-disposition"]  # 【案】
    submit = mapi.post(f"/minutes/{draft_id}/transition", "alice", json={"action": "submit"})
    assert submit.json()["state"] == "確認依頼"
    assert (
        mapi.post(f"/minutes/{draft_id}/transition", "alice", json={"action": "approve"}).status_code == 403
    )
    assert mapi.get(f"/minutes/{draft_id}", "bob").status_code == 403  # a reviewer below the meeting's 機密性
    queue = mapi.get("/minutes", "uploader", params={"mine": "false"}).json()["minutes"]
    assert [m["id"] for m in queue] == [draft_id] and queue[0]["actions"] == ["approve", "return", "export"]
    approved = mapi.post(f"/minutes/{draft_id}/transition", "uploader", json={"action": "approve"})
    assert approved.status_code == 200 and approved.json()["state"] == "承認済"

    docx = mapi.get(f"/minutes/{draft_id}/export", "uploader", params={"format": "docx"})
    document = Document(io.BytesIO(docx.content))
    assert "".join(p.text for p in document.sections[0].header.paragraphs) == "\t機密性２"
    assert document.paragraphs[0].text == "総務委員会　議事録"
    assert [row.cells[1].text for row in document.tables[0].rows][1] == "第1委員会室"
    assert ("alice", "create", "ok") in audit_actions(mapi)
    assert ("alice", "approve", "refused") in audit_actions(mapi)
    assert ("uploader", "export", "ok") in audit_actions(mapi)
    assert mapi.get("/replies", "alice").json()["drafts"] == []  # minutes are not reply drafts


def test_errors_are_in_japanese(mapi):
    above = mapi.post("/minutes/draft", "bob", json=pasted())  # bob's clearance is 1
    assert above.status_code == 403 and "機密性２の会議の議事録は作成できません" in above.json()["message"]
    empty = mapi.post("/minutes/draft", "alice", json=pasted(transcript="  "))
    assert empty.status_code == 422 and "発言記録" in empty.json()["message"]
    unknown = mapi.post("/minutes/draft", "alice", json=pasted() | {"backend": "nowhere/model"})
    assert unknown.status_code == 400
    no_file = mapi.post(
        "/minutes/draft", "alice", files={"other": ("a.txt", b"x")}, data={"style": "要点筆記"}
    )
    assert no_file.status_code == 422 and "ファイルを選択" in no_file.json()["message"]
    bad_style = mapi.post("/minutes/draft", "alice", json=pasted(style="逐語"))
    assert bad_style.status_code == 422 and bad_style.json()["message"]
    assert mapi.get("/minutes/jobs/nothing", "alice").status_code == 404
    assert mapi.get("/minutes/nothing", "alice").json()["message"] == "指定された議事録案は見つかりません。"
