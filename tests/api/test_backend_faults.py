"""Backend faults through POST /chat against the fake Bedrock and OpenAI-compatible servers: throttling, 5xx,
timeouts, a stream cut mid-answer, malformed event-stream frames and errors sent inside the stream.

What must hold: transient faults are retried on the same model; a model that stays down is replaced only when the
user allowed re-routing, and the replacement is stated in the answer; otherwise the error is a Japanese message;
an answer the user already saw in part is never restarted silently; and a failed turn leaves nothing in the
conversation (the question and the answer are stored together, in one transaction, only when the answer is
complete)."""

from __future__ import annotations

import pytest

from assistant.records.models import AuditLog, Message
from tests.api.test_chat import PUBLIC_QUESTION, sse_events

HAIKU = "bedrock/claude-haiku-4-5"
OPENAI = "openai/fake-chat"
STREAM_FAULTS = ("stream_cut", "malformed_frame", "stream_error")


@pytest.fixture
def faulty(make_api, fake_bedrock, fake_openai):
    """(api, fake servers by backend address): quick retries, a short read timeout."""
    api = make_api(
        bedrock_endpoint_url=fake_bedrock.url,
        openai_base_url=fake_openai.url,
        openai_models=["fake-chat"],
        backend_backoff_seconds=0.001,
        backend_backoff_max_seconds=0.002,
        backend_timeout_seconds=0.5,
    )
    for fake in (fake_bedrock, fake_openai):
        fake.stall_seconds = 1.5  # longer than the read timeout: a `timeout` fault times the client out
    return api, {HAIKU: fake_bedrock, OPENAI: fake_openai}


def stored_messages(api) -> list[Message]:
    with api.ctx.sessions() as session:
        return session.query(Message).order_by(Message.id).all()


def last_audit(api) -> dict:
    """The last audit row's attempts and outcome (the router's own word, e.g. "interrupted")."""
    with api.ctx.sessions() as session:
        row = session.query(AuditLog).order_by(AuditLog.id.desc()).first()
        return {"attempts": row.attempts or [], "outcome": row.extra.get("outcome", row.outcome)}


@pytest.mark.parametrize("backend", [HAIKU, OPENAI])
@pytest.mark.parametrize("kind", ["throttle", "server_error", "unavailable", "timeout", *STREAM_FAULTS])
def test_a_transient_fault_before_any_text_is_retried_and_the_turn_stored(faulty, backend, kind):
    api, fakes = faulty
    fakes[backend].cut_fraction = 0.0  # stream faults strike before the first piece of text
    fakes[backend].fail_next(1, kind)
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "stream": True, "backend": backend})
    events = sse_events(response.text)
    name, done = events[-1]
    assert name == "done", events[-1]
    assert done["backend"] == backend and done["mode"] == "llm" and done["substitution"] is None
    assert [f["failure"] for f in fakes[backend].requests] == [kind, None]
    outcomes = [outcome.split(":")[0] for _, outcome in last_audit(api)["attempts"]]
    assert outcomes == ["transient", "ok"]
    user, assistant = stored_messages(api)
    assert (user.role, user.text) == ("user", PUBLIC_QUESTION)
    assert (assistant.role, assistant.text, assistant.backend) == ("assistant", done["answer"], backend)


@pytest.mark.parametrize("stream", [False, True])
def test_a_chosen_model_that_stays_down_is_a_japanese_error_and_nothing_is_stored(faulty, stream):
    api, fakes = faulty
    fakes[HAIKU].fail_next(3, "unavailable")
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "stream": stream, "backend": HAIKU})
    if stream:
        ((name, body),) = sse_events(response.text)
        assert name == "error"
    else:
        assert response.status_code == 503
        body = response.json()
    assert body["error"] == "backend_unavailable"
    assert (
        "モデルから回答を得られませんでした" in body["message"] and "自動切替を許可すると" in body["message"]
    )
    assert len(fakes[HAIKU].requests) == 3  # retried, and no other model was asked
    assert last_audit(api)["outcome"] == "unavailable"
    assert stored_messages(api) == [] and api.get("/conversations", "bob").json() == []


@pytest.mark.parametrize("kind", ["throttle", "server_error", "timeout"])
def test_with_rerouting_allowed_another_model_answers_and_says_so(faulty, kind):
    api, fakes = faulty
    fakes[HAIKU].fail_next(3, kind)
    body = {"message": PUBLIC_QUESTION, "backend": HAIKU, "allow_auto": True}
    response = api.post("/chat", "bob", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["backend"] == "offline/extractive" and answer["requested_backend"] == HAIKU
    assert f"選択されたモデル「{HAIKU}」は利用できなかったため" in answer["substitution"]
    conversation = api.get(f"/conversations/{answer['conversation_id']}", "bob").json()
    assert [(m["role"], m["backend"]) for m in conversation["messages"]] == [
        ("user", None),
        ("assistant", "offline/extractive"),
    ]
    assert conversation["messages"][1]["text"] == answer["answer"]


@pytest.mark.parametrize("backend", [HAIKU, OPENAI])
@pytest.mark.parametrize("kind", STREAM_FAULTS)
def test_a_stream_broken_mid_answer_ends_in_an_error_event_and_nothing_is_half_saved(faulty, backend, kind):
    api, fakes = faulty
    first = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "backend": backend}).json()
    fakes[backend].fail_next(1, kind)  # the default cut_fraction: half of the answer goes out first
    body = {
        "message": "交付の窓口はどこですか",
        "stream": True,
        "backend": backend,
        "allow_auto": True,  # even so: an answer the user saw in part is not silently replaced
        "conversation_id": first["conversation_id"],
    }
    events = sse_events(api.post("/chat", "bob", json=body).text)
    names = [name for name, _ in events]
    assert set(names[:-1]) == {"token"} and names[-1] == "error"
    assert events[-1][1]["error"] == "backend_unavailable"
    assert "回答が途中で途切れました" in events[-1][1]["message"]
    assert len(fakes[backend].requests) == 2  # the first turn and the broken one; nothing retried behind
    assert last_audit(api)["outcome"] == "interrupted"
    conversation = api.get(f"/conversations/{first['conversation_id']}", "bob").json()
    assert [m["text"] for m in conversation["messages"]] == [PUBLIC_QUESTION, first["answer"]]
    assert len(stored_messages(api)) == 2


@pytest.mark.parametrize("kind", STREAM_FAULTS)
def test_a_json_answer_broken_mid_stream_is_asked_again_and_stored_once(faulty, kind):
    """The JSON form shows no text until the answer is whole, so a stream cut mid-answer is retried (an SSE
    client that already saw part of the answer gets an error instead, above)."""
    api, fakes = faulty
    fakes[HAIKU].fail_next(1, kind)
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "backend": HAIKU})
    assert response.status_code == 200, response.text
    assert response.json()["backend"] == HAIKU and not response.json().get("substitution")
    assert [f["failure"] for f in fakes[HAIKU].requests] == [kind, None]
    assert len(stored_messages(api)) == 2  # the question and the whole answer, once


def test_without_any_answer_the_question_is_not_stored_either(faulty):
    api, fakes = faulty
    fakes[OPENAI].fail_next(3, "timeout")
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "backend": OPENAI})
    assert response.status_code == 503
    assert "混雑または一時的な障害" in response.json()["message"]
    assert stored_messages(api) == []


@pytest.mark.parametrize("kind", ["timeout", "stream_cut", "malformed_frame", "stream_error"])
def test_a_structured_answer_damaged_on_the_wire_is_asked_again(faulty, kind):
    """Reply drafts use structured output: one non-streamed Converse call, whose damaged body is retried too."""
    api, fakes = faulty
    fakes[HAIKU].fail_next(1, kind)
    body = {"inquiry": {"content": "住民票の写しの交付手数料を伺います。"}, "backend": HAIKU}
    response = api.post("/replies/draft", "bob", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["backend"] == HAIKU
    assert [f["failure"] for f in fakes[HAIKU].requests] == [kind, None]
