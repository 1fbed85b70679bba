"""What an answer was built from (issue 12): every source of a turn is stored with its question and answer and
checked again on every read, so an answer with no [n] marker is withheld like a cited one; a question carries its
turn's level and goes as history only to a model allowed that level; administrators see other users'
conversations and audit details only within their own clearance and groups."""

from __future__ import annotations

import pytest

from assistant.api.access import HIDDEN_ANSWER, HIDDEN_QUESTION, HIDDEN_TITLE
from assistant.api.chat_flow import HISTORY_WITHHELD
from assistant.records import create_user, get_user
from assistant.records.models import Message
from tests.api.conftest import leaks

PUBLIC_QUESTION = "住民票の写しの交付手数料はいくらですか"
ZAISEI_QUESTION = "予算編成の秘匿コードは何ですか"
JINJI_QUESTION = "人事評価の秘匿コードは何ですか"
UNMARKED = "秘匿コードはアオサギです。"  # a model answering from the source without writing [n]


def add_users(api, **people) -> None:
    with api.ctx.write_sessions.begin() as session:
        for name, (groups, clearance, admin) in people.items():
            api.keys[name] = create_user(session, name, groups, clearance, admin=admin)[1]


@pytest.fixture
def bedrock_api(make_api, fake_bedrock):
    api = make_api(bedrock_endpoint_url=fake_bedrock.url, backend_max_attempts=1)
    api.fake = fake_bedrock
    return api


def test_every_source_of_a_turn_is_stored_with_its_question_and_answer(bedrock_api):
    bedrock_api.fake.script(UNMARKED)
    body = bedrock_api.post(
        "/chat", "alice", json={"message": ZAISEI_QUESTION, "backend": "bedrock/claude-haiku-4-5"}
    ).json()
    assert body["citations"] == [] and "アオサギ" in body["answer"]  # nothing cited …
    with bedrock_api.ctx.sessions() as session:
        question, answer = session.query(Message).order_by(Message.id).all()
    sent = bedrock_api.fake.requests[-1]["body"]["messages"][0]["content"][0]["text"]
    assert answer.sources and question.sources == answer.sources  # … yet the sources are kept
    for source in answer.sources:
        assert set(source) == {"chunk_id", "classification", "groups"}
    zaisei = [s for s in answer.sources if s["groups"] == ["財政課"]]
    assert zaisei and zaisei[0]["classification"] == 2 and "アオサギ" in sent
    stored = bedrock_api.get(f"/conversations/{body['conversation_id']}", "alice").json()["messages"]
    assert [m["level"] for m in stored] == [2, 2]


@pytest.mark.parametrize("change", ["groups", "clearance"])
def test_an_unmarked_answer_is_withheld_once_the_reader_loses_its_source(bedrock_api, change):
    bedrock_api.fake.script(UNMARKED)
    body = bedrock_api.post(
        "/chat", "alice", json={"message": ZAISEI_QUESTION, "backend": "bedrock/claude-haiku-4-5"}
    ).json()
    path = f"/conversations/{body['conversation_id']}"
    assert "アオサギ" in bedrock_api.get(path, "alice").text
    with bedrock_api.ctx.write_sessions.begin() as session:
        alice = get_user(session, "alice")
        if change == "groups":
            alice.groups = ["総務課"]
        else:
            alice.clearance = 1
    response = bedrock_api.get(path, "alice")
    assert response.status_code == 200 and leaks(response.text, "zaisei") == []
    question, answer = response.json()["messages"]
    assert answer["text"] == HIDDEN_ANSWER and answer["level"] is None
    assert question["text"] == ZAISEI_QUESTION  # the owner keeps seeing their own question


def test_administrators_see_others_conversations_only_within_their_rights(bedrock_api):
    add_users(
        bedrock_api,
        sato=(["人事課"], 3, False),
        kanri1=([], 1, True),  # an administrator with clearance 1
        kanri_zaisei=(["財政課"], 2, True),
    )
    jinji = bedrock_api.post("/chat", "sato", json={"message": JINJI_QUESTION}).json()
    assert "カワセミ" in jinji["answer"]
    bedrock_api.fake.script(UNMARKED)
    zaisei = bedrock_api.post(
        "/chat", "alice", json={"message": ZAISEI_QUESTION, "backend": "bedrock/claude-haiku-4-5"}
    ).json()
    public = bedrock_api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).json()

    for admin, conversation, secret in [
        ("kanri1", jinji, "jinji"),  # above the clearance
        ("kanri", jinji, "jinji"),  # clearance 3, but not in 人事課
        ("kanri1", zaisei, "zaisei"),
        ("kanri", zaisei, "zaisei"),  # the answer cites nothing: withheld all the same
    ]:
        response = bedrock_api.get(f"/conversations/{conversation['conversation_id']}", admin)
        assert response.status_code == 200
        body = response.json()
        assert body["title"] == HIDDEN_TITLE, admin
        assert [m["text"] for m in body["messages"]] == [HIDDEN_QUESTION, HIDDEN_ANSWER]
        assert leaks(response.text, secret) == [] and "秘匿コード" not in response.text

    seen = bedrock_api.get(f"/conversations/{zaisei['conversation_id']}", "kanri_zaisei").json()
    assert seen["title"] == ZAISEI_QUESTION and "アオサギ" in seen["messages"][1]["text"]
    open_to_all = bedrock_api.get(f"/conversations/{public['conversation_id']}", "kanri1").json()
    assert [m["text"] for m in open_to_all["messages"]][0] == PUBLIC_QUESTION
    assert "300円" in open_to_all["messages"][1]["text"]


def test_a_question_from_a_level_3_turn_is_never_sent_to_a_model_not_allowed_level_3(bedrock_api):
    add_users(bedrock_api, sato=(["人事課"], 3, False))
    first = bedrock_api.post("/chat", "sato", json={"message": PUBLIC_QUESTION}).json()  # level 1, offline
    conversation = first["conversation_id"]
    secret = bedrock_api.post(
        "/chat", "sato", json={"message": JINJI_QUESTION, "conversation_id": conversation}
    ).json()
    assert secret["classification"] == 3 and secret["backend"] == "offline/extractive"
    bedrock_api.fake.script("交付手数料は一通につき300円です[1]。")
    later = bedrock_api.post(
        "/chat",
        "sato",
        json={"message": "住民票の写しの交付の窓口はどこですか", "conversation_id": conversation,
              "backend": "bedrock/nova-lite"},
    )  # fmt: skip
    assert later.status_code == 200, later.text
    body = later.json()
    assert body["backend"] == "bedrock/nova-lite" and body["requested_backend"] is None  # the choice is kept
    (request,) = bedrock_api.fake.requests
    sent = "".join(block["text"] for block in request["body"]["messages"][0]["content"])
    history = sent.split("<history>")[1].split("</history>")[0]
    assert PUBLIC_QUESTION in history  # a level-1 question still gives context …
    assert JINJI_QUESTION not in sent and "人事評価" not in sent  # … the level-3 one never leaves
    assert HISTORY_WITHHELD.format(n=1) in body["notice"]
    stored = bedrock_api.get(f"/conversations/{conversation}", "sato").json()["messages"]
    assert [m["level"] for m in stored] == [1, 1, 3, 3, 1, 1]


def test_a_question_stored_before_sources_were_kept_counts_as_the_highest_level(bedrock_api):
    first = bedrock_api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).json()
    with bedrock_api.ctx.write_sessions.begin() as session:
        for message in session.query(Message):
            message.sources = None  # as stored before migration 0007
    bedrock_api.fake.script("窓口は市民課です[1]。")
    later = bedrock_api.post(
        "/chat",
        "bob",
        json={"message": "住民票の写しの交付の窓口はどこですか", "conversation_id": first["conversation_id"],
              "backend": "bedrock/nova-lite"},
    )  # fmt: skip
    assert later.status_code == 200, later.text
    sent = "".join(b["text"] for b in bedrock_api.fake.requests[-1]["body"]["messages"][0]["content"])
    assert PUBLIC_QUESTION not in sent.split("<history>")[1]
    # the owner still reads it; an administrator, whose view needs the turn's sources, does not
    messages = bedrock_api.get(f"/conversations/{first['conversation_id']}", "bob").json()["messages"]
    assert messages[0]["text"] == PUBLIC_QUESTION and messages[0]["level"] is None
    assert (
        bedrock_api.get(f"/conversations/{first['conversation_id']}", "kanri").json()["title"] == HIDDEN_TITLE
    )


def test_audit_details_beyond_the_administrators_rights_are_withheld(bedrock_api):
    add_users(
        bedrock_api, sato=(["人事課"], 3, False), kanri1=([], 1, True), kanri_zaisei=(["財政課"], 2, True)
    )
    bedrock_api.post("/chat", "sato", json={"message": JINJI_QUESTION})
    bedrock_api.post("/chat", "alice", json={"message": ZAISEI_QUESTION})
    chunks = {c.chunk_id: c for c in bedrock_api.ctx.stores.get().chunks}

    def rows(admin):
        return {row["user"]: row for row in bedrock_api.get("/audit", admin).json()["items"]}

    low = rows("kanri1")
    assert low["sato"]["level"] is None and low["sato"]["chunk_ids"] == [] and low["sato"]["withheld"]
    assert low["sato"]["reason"] is None and low["sato"]["error"] is None
    assert low["alice"]["level"] is None and low["alice"]["chunk_ids"] == []
    high = rows("kanri")  # clearance 3, no groups: levels shown, chunks of 人事課 and 財政課 not named
    assert high["sato"]["level"] == 3 and high["sato"]["withheld"]
    assert all(not chunks[i].groups for i in high["sato"]["chunk_ids"] + high["alice"]["chunk_ids"])
    zaisei = rows("kanri_zaisei")
    assert zaisei["alice"]["level"] == 2 and not zaisei["alice"]["withheld"]
    assert any(chunks[i].groups == ["財政課"] for i in zaisei["alice"]["chunk_ids"])
