"""Answers carry the 機密性 of their sources; substitutions of the chosen model are stated; long
questions are accepted up to `max_question_chars` and refused beyond it in Japanese."""

from __future__ import annotations

from tests.api.test_chat import PUBLIC_QUESTION, ZAISEI_QUESTION, sse_events

HAIKU = "bedrock/claude-haiku-4-5"


def test_citations_carry_their_labels_and_the_answer_the_highest(api):
    public = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).json()
    (citation,) = public["citations"]
    assert citation["classification"] == 1 and citation["groups"] == []
    assert public["classification"] == 1

    zaisei = api.post("/chat", "alice", json={"message": ZAISEI_QUESTION}).json()
    labels = {(c["classification"], tuple(c["groups"])) for c in zaisei["citations"]}
    assert (2, ("財政課",)) in labels
    assert zaisei["classification"] == max(c["classification"] for c in zaisei["citations"]) == 2

    # the stored conversation shows the same labels and level
    stored = api.get(f"/conversations/{zaisei['conversation_id']}", "alice").json()["messages"][1]
    assert stored["citations"] == zaisei["citations"] and stored["classification"] == 2
    assert (
        api.get(f"/conversations/{zaisei['conversation_id']}", "alice").json()["messages"][0][
            "classification"
        ]
        is None
    )  # a question cites nothing


def test_an_answer_without_sources_has_no_level(api):
    body = api.post("/chat", "bob", json={"message": ZAISEI_QUESTION}).json()  # bob sees no budget memo
    assert body["citations"] == [] and body["classification"] is None
    # related documents are offered apart, labelled, and only from what bob may read
    assert all(r["quote"] == "" and r["groups"] == [] for r in body["related"])
    assert "見当たりません" in body["answer"]


def _unreachable_bedrock(make_api):
    return make_api(bedrock_endpoint_url="http://127.0.0.1:9", backend_max_attempts=1)


def test_an_unreachable_chosen_model_is_refused_with_its_reason_unless_re_routing_is_allowed(make_api):
    api = _unreachable_bedrock(make_api)
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "backend": HAIKU})
    assert response.status_code == 503, response.text
    message = response.json()["message"]
    assert HAIKU in message and "自動切替を許可すると" in message


def test_an_unreachable_chosen_model_is_replaced_and_the_replacement_stated(make_api):
    api = _unreachable_bedrock(make_api)
    body = {"message": PUBLIC_QUESTION, "backend": HAIKU, "allow_auto": True}
    response = api.post("/chat", "bob", json=body)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["backend"] == "offline/extractive" and body["mode"] == "extractive"
    assert body["requested_backend"] == HAIKU
    assert HAIKU in body["substitution"] and "offline/extractive" in body["substitution"]
    assert "利用できなかった" in body["substitution"]  # Japanese, for the reader


def test_the_replacement_is_stated_in_the_streamed_done_event(make_api):
    api = _unreachable_bedrock(make_api)
    response = api.post(
        "/chat",
        "bob",
        json={"message": PUBLIC_QUESTION, "backend": HAIKU, "stream": True, "allow_auto": True},
    )
    name, done = sse_events(response.text)[-1]
    assert name == "done" and done["backend"] == "offline/extractive"
    assert done["requested_backend"] == HAIKU and "利用できなかった" in done["substitution"]


def test_the_chosen_model_answering_states_no_substitution(api):
    body = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).json()
    assert body["requested_backend"] is None and body["substitution"] is None


def test_questions_up_to_eight_thousand_characters_are_answered(api):
    long_question = PUBLIC_QUESTION + "。" + "詳しく教えてください。" * 720  # ≈ 7,940 characters
    assert 7800 < len(long_question) <= 8000
    response = api.post("/chat", "bob", json={"message": long_question})
    assert response.status_code == 200, response.text
    stored = api.get(f"/conversations/{response.json()['conversation_id']}", "bob").json()
    assert stored["messages"][0]["text"] == long_question


def test_a_question_over_the_limit_is_refused_in_japanese_with_the_limit(api):
    response = api.post("/chat", "bob", json={"message": "あ" * 8001})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert "8,000文字以内" in body["message"] and "8,001文字" in body["message"]
    assert body["details"][0]["loc"] == ["body", "message"]
    streamed = api.post("/chat", "bob", json={"message": "あ" * 8001, "stream": True})
    assert streamed.status_code == 422 and streamed.json()["message"] == body["message"]


def test_the_question_limit_is_a_setting(make_api):
    api = make_api(max_question_chars=20)
    response = api.post("/chat", "bob", json={"message": "あ" * 21})
    assert response.status_code == 422 and "20文字以内" in response.json()["message"]
    assert api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).status_code == 200


def test_eight_thousand_japanese_characters_fit_the_body_limit(api):
    import json

    escaped = json.dumps({"message": "あ" * 8000})  # \\uXXXX: the largest JSON form of the text
    assert len(escaped.encode()) < api.ctx.settings.max_body_kb * 1024


def test_validation_messages_say_what_to_do_in_japanese(api):
    missing = api.post("/chat", "bob", json={}).json()
    assert "「質問」を指定してください" in missing["message"]
    extra = api.post("/chat", "bob", json={"message": "質問", "extra": 1}).json()
    assert "「extra」は指定できない項目です" in extra["message"]
    comment = api.post(
        "/feedback", "bob", json={"message_id": 1, "rating": "good", "comment": "あ" * 2001}
    ).json()
    assert "「ご意見」は2,000文字以内で入力してください" in comment["message"]
    for body in (missing, extra, comment):
        assert body["error"] == "validation_error" and body["details"]
