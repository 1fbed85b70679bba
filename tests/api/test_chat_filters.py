"""Chat filters: document type, period and files or folders to search in; checked with Japanese 422s, kept
with the turn, shown as a caption, and an honest 「見当たりません」 naming the filter when nothing matches."""

from __future__ import annotations

import pytest

PUBLIC_QUESTION = "住民票の写しの交付手数料はいくらですか"
ZAISEI_QUESTION = "予算編成の秘匿コードは何ですか"


def test_sources_filter_limits_the_search_to_the_chosen_folder(api):
    inside = api.post(
        "/chat", "alice", json={"message": ZAISEI_QUESTION, "filters": {"sources": ["zaisei/"]}}
    )
    assert inside.status_code == 200
    body = inside.json()
    assert body["citations"] and {c["source"] for c in body["citations"]} == {"zaisei/予算編成方針.md"}
    assert body["filters_label"] == "zaiseiフォルダ"

    outside = api.post(
        "/chat", "alice", json={"message": ZAISEI_QUESTION, "filters": {"sources": ["public/窓口案内.md"]}}
    ).json()
    assert outside["citations"] == [] and "アオサギ" not in outside["answer"]
    assert "見当たりません" in outside["notice"] and "窓口案内.md" in outside["notice"]


def test_type_and_period_filters_that_exclude_everything_say_so(api):
    response = api.post(
        "/chat", "bob",
        json={"message": PUBLIC_QUESTION, "filters": {"doc_type": "inquiry", "date_from": "2024-04-01"}},
    )  # fmt: skip
    body = response.json()
    assert response.status_code == 200 and body["citations"] == [] and "300円" not in body["answer"]
    assert body["filters_label"] == "照会記録・2024年4月1日〜"
    assert "絞り込み条件（照会記録・2024年4月1日〜）に当てはまる資料が見当たりません" in body["notice"]

    unfiltered = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION}).json()
    assert "300円" in unfiltered["answer"] and unfiltered["filters_label"] is None


def test_filters_are_stored_with_the_turn(api):
    first = api.post(
        "/chat",
        "bob",
        json={"message": PUBLIC_QUESTION, "filters": {"doc_type": "policy", "sources": ["public/"]}},
    ).json()
    second = api.post(
        "/chat", "bob", json={"message": PUBLIC_QUESTION, "conversation_id": first["conversation_id"]}
    )
    assert "300円" in first["answer"] and second.status_code == 200
    turns = api.get(f"/conversations/{first['conversation_id']}/filters", "bob").json()["turns"]
    assert turns == [
        {"message_id": first["message_id"], "filters": {"doc_type": "policy", "sources": ["public/"]},
         "label": "規程・通知等・publicフォルダ"}
    ]  # fmt: skip
    usage = api.get(f"/conversations/{first['conversation_id']}", "bob").json()["messages"][1]["usage"]
    assert set(usage) == {"input_tokens", "output_tokens", "cost"}
    assert api.get(f"/conversations/{first['conversation_id']}/filters", "alice").status_code == 404


def test_upload_folders_are_named_for_people():
    from assistant.api.chat_filters import label

    assert label({"sources": ["20261128-101010-ab12cd34/", "20261128-101010-ab12cd34/要綱.pdf"]}) == (
        "アップロード資料、要綱.pdf"
    )
    assert label({"date_to": "2025-03-31"}) == "〜2025年3月31日"


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"date_from": "2024-13-01"}, ["開始日", "2024-04-01 の形式"]),
        ({"date_to": "昨日"}, ["終了日", "昨日"]),
        (
            {"date_from": "2025-04-01", "date_to": "2024-04-01"},
            ["終了日（2024-04-01）が開始日（2025-04-01）より前"],
        ),
        ({"doc_type": "memo"}, ["文書の種類", "policy", "inquiry"]),
        ({"colour": "red"}, ["指定できない項目"]),
    ],
)
def test_bad_filters_are_a_japanese_422(api, filters, words):
    response = api.post("/chat", "bob", json={"message": PUBLIC_QUESTION, "filters": filters})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert all(word in body["message"] for word in words), body["message"]
    assert api.get("/conversations", "bob").json() == []  # nothing stored
