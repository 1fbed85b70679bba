"""POST /chat (JSON and server-sent events), conversations, feedback and the audit of chat calls."""

from __future__ import annotations

import json

import pytest

from assistant.tasks.runner import NO_MODEL_REASON
from core.errors import Cancelled

PUBLIC_QUESTION = "住民票の写しの交付手数料はいくらですか"
ZAISEI_QUESTION = "予算編成の秘匿コードは何ですか"


def sse_events(text: str) -> list[tuple[str, dict]]:
    """(event name, JSON data) pairs of a text/event-stream body."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_chat_answers_with_citations_and_stores_the_turn(api):
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert "300円" in body["answer"] and body["mode"] == "extractive"
    assert body["backend"] == "offline/extractive" and body["notice"]
    assert body["citations"][0]["source"] == "public/窓口案内.md"
    assert set(body["usage"]) == {"input_tokens", "output_tokens", "cost"}

    again = api.post(
        "/chat", "bob", json={"message": "交付の窓口はどこですか", "conversation_id": body["conversation_id"]}
    )
    assert again.json()["conversation_id"] == body["conversation_id"]
    conversation = api.get(f"/conversations/{body['conversation_id']}", "bob").json()
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant", "user", "assistant"]
    assert conversation["title"] == PUBLIC_QUESTION
    assert conversation["messages"][1]["id"] == body["message_id"]
    assert conversation["messages"][1]["citations"] == body["citations"]
    assert [c["id"] for c in api.get("/conversations", "bob").json()] == [body["conversation_id"]]

    assert api.delete(f"/conversations/{body['conversation_id']}", "bob").status_code == 200
    assert api.get(f"/conversations/{body['conversation_id']}", "bob").status_code == 404


def test_chat_streams_server_sent_events(api):
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[-3:] == ["citations", "usage", "done"] and set(names[:-3]) == {"token"}
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "token") == done["answer"]
    assert events[-3][1]["citations"] == done["citations"]
    conversation = api.get(f"/conversations/{done['conversation_id']}", "bob").json()
    assert conversation["messages"][1]["id"] == done["message_id"]


def test_llm_answer_streams_token_by_token(make_api, fake_bedrock):
    api = make_api(bedrock_endpoint_url=fake_bedrock.url, backend_max_attempts=1)
    fake_bedrock.script(
        "住民票の写しの交付手数料は、一通につき300円です[1]。",
        usage={"input_tokens": 120, "output_tokens": 30},
    )
    response = api.post(
        "/chat", "bob", json={"message": PUBLIC_QUESTION, "stream": True, "backend": "bedrock/nova-lite"}
    )
    events = sse_events(response.text)
    tokens = [data["text"] for name, data in events if name == "token"]
    assert len(tokens) > 1
    done = events[-1][1]
    assert done["mode"] == "llm" and done["backend"] == "bedrock/nova-lite"
    assert done["usage"]["input_tokens"] == 120 and done["usage"]["cost"] > 0
    assert done["citations"][0]["source"] == "public/窓口案内.md"


def test_stream_failures_arrive_as_an_error_event(api):
    response = api.post(
        "/chat", "bob", json={"message": PUBLIC_QUESTION, "stream": True, "backend": "bedrock/no-such-model"}
    )
    assert response.status_code == 200
    ((name, data),) = sse_events(response.text)
    assert name == "error" and data["error"] == "unknown_backend" and "no-such-model" in data["message"]


def test_policy_refusal_is_a_403_in_japanese(api):
    response = api.post("/chat", "alice", json={"message": ZAISEI_QUESTION, "backend": "bedrock/nova-lite"})
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "policy_refused" and "機密性2" in body["message"]


def test_every_chat_call_is_audited(make_api):
    api = make_api(backend_groups={"bedrock/claude-*": ["財政課"]})
    calls = [
        ("alice", {"message": ZAISEI_QUESTION}, 200, "ok"),  # the model is called
        ("bob", {"message": ZAISEI_QUESTION}, 200, "ok"),  # no visible source: no model call
        ("alice", {"message": ZAISEI_QUESTION, "backend": "bedrock/nova-lite"}, 403, "refused"),
        ("bob", {"message": PUBLIC_QUESTION, "backend": "bedrock/claude-haiku-4-5"}, 403, "refused"),
        ("bob", {"message": PUBLIC_QUESTION, "backend": "nowhere/model"}, 400, "error"),
        ("bob", {"message": PUBLIC_QUESTION, "stream": True}, 200, "ok"),
    ]
    for user, body, status, _ in calls:
        assert api.post("/chat", user, json=body).status_code == status, body
    rows = api.get("/audit", "kanri", params={"limit": 50}).json()["items"][::-1]
    assert [(r["user"], r["task"], r["outcome"]) for r in rows] == [(u, "ask", o) for u, _, _, o in calls]
    assert rows[3]["error"] and "権限" in rows[3]["error"]
    assert rows[1]["reason"] == NO_MODEL_REASON and rows[1]["chunk_ids"] == []  # answered without a model


def test_feedback_on_own_answers_only(api):
    answer = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).json()
    response = api.post("/feedback", "bob", json={"message_id": answer["message_id"], "rating": "good"})
    assert response.status_code == 200 and response.json()["rating"] == "good"
    replaced = api.post(
        "/feedback", "bob", json={"message_id": answer["message_id"], "rating": "bad", "comment": "古い情報"}
    )
    assert replaced.json()["id"] == response.json()["id"] and replaced.json()["comment"] == "古い情報"
    theirs = api.post("/feedback", "alice", json={"message_id": answer["message_id"], "rating": "bad"})
    missing = api.post("/feedback", "alice", json={"message_id": 99999, "rating": "bad"})
    assert theirs.status_code == missing.status_code == 404 and theirs.json() == missing.json()
    invalid = api.post("/feedback", "bob", json={"message_id": answer["message_id"], "rating": "meh"})
    assert invalid.status_code == 422 and invalid.json()["error"] == "validation_error"


@pytest.mark.parametrize("body", [{"message": "   "}, {"message": "質問", "extra": 1}, {}])
def test_invalid_chat_requests_are_422(api, body):
    response = api.post("/chat", "bob", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error" and response.json()["details"]


def test_slow_backends_time_out(make_api, fake_bedrock):
    api = make_api(bedrock_endpoint_url=fake_bedrock.url, backend_max_attempts=1, chat_timeout_seconds=0.2)
    fake_bedrock.delay_seconds = 1.0
    body = {"message": PUBLIC_QUESTION, "backend": "bedrock/nova-lite"}
    response = api.post("/chat", "bob", json=body)
    assert response.status_code == 504 and response.json()["error"] == "timeout"
    streamed = api.post("/chat", "bob", json={**body, "stream": True})
    assert sse_events(streamed.text)[-1] == (
        "error",
        {"error": "timeout", "message": response.json()["message"]},
    )


def test_an_abandoned_answer_is_stopped_and_audited_as_cancelled(api):
    from assistant.api.chat_flow import ChatJob
    from assistant.api.schemas import ChatRequest
    from assistant.records import get_user
    from assistant.records.models import AuditLog

    with api.ctx.sessions() as session:
        bob = get_user(session, "bob")
    job = ChatJob(api.ctx, bob, ChatRequest(message=PUBLIC_QUESTION))
    job.abandon()  # as when the client of a stream disconnects
    with pytest.raises(Cancelled):
        job.run()
    with api.ctx.sessions() as session:
        (row,) = session.query(AuditLog).all()
    assert row.user_name == "bob" and row.extra["outcome"] == "cancelled"
    assert api.get("/conversations", "bob").json() == []


def test_a_follow_up_in_a_conversation_sends_the_earlier_question_as_context(make_api, fake_bedrock):
    api = make_api(bedrock_endpoint_url=fake_bedrock.url, backend_max_attempts=1)
    fake_bedrock.script("一通につき300円です[1]。")
    fake_bedrock.script("市民課です[1]。")
    first = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "backend": "bedrock/nova-lite"}).json()
    second = api.post(
        "/chat",
        "bob",
        json={
            "message": "窓口はどこですか。",
            "backend": "bedrock/nova-lite",
            "conversation_id": first["conversation_id"],
        },
    )
    assert second.status_code == 200, second.text
    user_text = "".join(b["text"] for b in fake_bedrock.requests[-1]["body"]["messages"][0]["content"])
    assert PUBLIC_QUESTION in user_text.split("<history>")[1].split("</history>")[0]
    # another user cannot continue (or read the questions of) bob's conversation
    other = api.post(
        "/chat", "alice", json={"message": "窓口は？", "conversation_id": first["conversation_id"]}
    )
    assert other.status_code == 404
