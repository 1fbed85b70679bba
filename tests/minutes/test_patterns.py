"""Fillers, repetitions and the sentence patterns of meetings (questions, decisions, action items, next meeting,
the chair's agenda calls)."""

from __future__ import annotations

import pytest

from assistant.minutes.fillers import remove_fillers
from assistant.minutes.patterns import (
    action_of,
    agenda_title,
    is_decision,
    is_question,
    next_meeting_of,
    sentences_of,
)


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("えー、それでは始めます。", "それでは始めます。"),
        ("本日は、えー、予算について。", "本日は、予算について。"),
        ("あのー、予算案を、予算案を説明します。", "予算案を説明します。"),
        ("夏祭りの予算案は、予算案は総額です。", "夏祭りの予算案は総額です。"),
        ("えっと、えーと、はい、はい。", "はい。"),
        ("こ、この問題は重要です。", "この問題は重要です。"),
        ("まあ、検討します。", "検討します。"),
        # not fillers: demonstratives, adverbs, reduplicated words, lists
        ("あの件について検討します。", "あの件について検討します。"),
        ("まあまあの結果です。", "まあまあの結果です。"),
        ("ますます重要です。いろいろあります。", "ますます重要です。いろいろあります。"),
        ("国、国際機関と連携します。", "国、国際機関と連携します。"),
        ("その後、そのー、報告します。", "その後、報告します。"),
    ],
)
def test_fillers_and_repetitions_are_removed_and_nothing_else(said, kept):
    assert remove_fillers(said) == kept


def test_filler_removal_keeps_lines():
    assert remove_fillers("えー、一行目です。\nあのー、二行目です。") == "一行目です。\n二行目です。"


@pytest.mark.parametrize(
    "sentence",
    [
        "増額の理由は何でしょうか。",
        "市長の見解を伺います。",
        "改定時期をお聞きします。",
        "いつからか、お答えください。",
        "対応は十分か。",
    ],  # fmt: skip
)
def test_questions(sentence):
    assert is_question(sentence)


@pytest.mark.parametrize("sentence", ["ご異議ありませんか。", "予算は百万円です。", "よろしいですか。"])
def test_not_questions(sentence):
    assert not is_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "夏祭りの予算は原案のとおりとすることとした。",
        "会期は三十八日間と決定いたしました。",
        "第十号議案は原案のとおり可決されました。",
        "開催日は五月十日とする。",
        "委員会を設置することを決定した。",
    ],  # fmt: skip
)
def test_decisions(sentence):
    assert is_decision(sentence)


@pytest.mark.parametrize(
    "sentence", ["予算を増やそうとする動きがある。", "これを決定とするか伺います。", "検討します。"]
)
def test_not_decisions(sentence):
    assert not is_decision(sentence)


def test_action_items_with_owner_and_due_as_said():
    found = action_of("4月20日までに広報課が案内文を作成します。")
    assert found is not None and (found.owner, found.due) == ("広報課", "4月20日まで")
    found = action_of("来週金曜日までに、総務課において名簿を確認する。")
    assert found is not None and (found.owner, found.due) == ("総務課", "来週金曜日まで")
    found = action_of("資料の修正は、鈴木さんにお願いします。")
    assert found is not None and found.owner == "鈴木" and found.due == ""
    found = action_of("移行作業は6月末までに完了させます。")
    assert found is None or found.due == "6月末まで"


@pytest.mark.parametrize(
    "sentence",
    ["これまでにない調査を実施いたします。", "予算は前年度と同額です。", "いつまでに対応しますか。"],
)
def test_not_action_items(sentence):
    assert action_of(sentence) is None


def test_next_meeting_and_agenda_calls():
    assert next_meeting_of("次回は5月15日午後2時から開催します。")
    assert not next_meeting_of("次回について検討します。")
    assert agenda_title("日程第一、第十号議案、手数料条例の一部を改正する条例を議題といたします。") == (
        "日程第一、第十号議案、手数料条例の一部を改正する条例"
    )
    assert agenda_title("次に、日程第二、公園条例を議題といたします。") == "日程第二、公園条例"
    assert agenda_title("ただいまから会議を開きます。") is None


def test_sentences_leave_out_record_notes():
    text = "手数料について伺います。\n〔「異議なし」と呼ぶ者あり〕\n見解を伺います。（拍手）"
    assert sentences_of(text) == ["手数料について伺います。", "見解を伺います。"]
