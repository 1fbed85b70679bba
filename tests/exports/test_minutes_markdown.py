"""Minutes as Markdown: the official sections in order, every point with its source turns, Q&A kept as pairs,
発言録 as 「○山田委員　…」, 「【案】」 until approved and the 機密性 label from level 2."""

from __future__ import annotations

from assistant.exports import render_minutes_markdown
from assistant.exports.minutes_layout import turn_refs
from assistant.tasks.minutes_models import Minutes, Point
from tests.builders.minutes_examples import minutes


def test_turn_references_are_compact():
    assert turn_refs([5, 3]) == "〔発言3, 5〕"
    assert turn_refs([3, 4, 5, 8]) == "〔発言3〜5, 8〕"
    assert turn_refs([2, 3, 3]) == "〔発言2, 3〕"
    assert turn_refs([]) == ""


def test_sections_follow_the_official_order_with_sources():
    text = render_minutes_markdown(minutes())
    lines = text.splitlines()
    assert lines[0] == "【案】　機密性２"
    assert lines[2] == "# 総務委員会　議事録"
    assert "| 日時 | 令和7年4月15日（火）午前10時00分～午前11時30分 |" in lines
    assert "| 出席者 | 山田委員長、佐藤委員、鈴木防災課長 |" in lines
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## 1　議題ごとの要旨", "## 2　発言者別の要点", "## 3　決定事項", "## 4　宿題（担当・期限）", "## 5　次回予定",
    ]  # fmt: skip
    assert "質疑応答" not in text and "○佐藤委員" not in text  # the 要点筆記 style prints its own body
    # One list per agenda item: its points with the turns they came from.
    assert "- 避難所の備蓄食料は想定避難者数の3日分を確保している。〔発言2, 3〕\n- 要配慮者向け" in text
    assert "- 要配慮者向け備蓄の整備計画を取りまとめる（担当：防災課、期限：来年度まで）〔発言5〕" in lines
    assert "- 本案は原案のとおり了承することとした。〔発言6〕" in lines
    assert lines[-1] == "以上"


def test_questions_and_answers_stay_pairs_and_turns_keep_their_speakers():
    lines = render_minutes_markdown(minutes(style="質疑応答")).splitlines()
    assert [line for line in lines if line.startswith("## ")][0] == "## 1　質疑応答"
    first = lines.index("**問（佐藤委員）**　備蓄食料は何日分を確保しているのか。〔発言2〕")
    assert (
        lines[first + 2] == "**答（防災課長（鈴木花子君））**　想定避難者数の3日分を確保している。〔発言3〕"
    )
    unanswered = lines.index("**問（佐藤委員）**　要配慮者向けの備蓄はどうなっているか。〔発言4〕")
    assert lines[unanswered + 2] == "**答**　（会議中に答弁はなかった。）"
    record = render_minutes_markdown(minutes(style="発言録")).splitlines()
    assert [line for line in record if line.startswith("## ")][0] == "## 1　発言録"
    said = (
        "**○佐藤委員**　避難所の備蓄について伺います。備蓄食料は何日分を確保しているのでしょうか。〔発言2〕"
    )
    assert said in record


def test_minutes_without_their_style_s_body_print_what_they_hold():
    text = render_minutes_markdown(minutes(style="発言録", record=[]))
    assert "## 1　議題ごとの要旨" in text and "## 3　質疑応答" in text


def test_approved_level_one_minutes_carry_no_marks_and_empty_sections_say_none():
    bare = Minutes(title="庁内連絡会議", classification=1, decisions=[], next_meeting="")
    text = render_minutes_markdown(bare, approved=True)
    assert text.startswith("# 庁内連絡会議　議事録\n")
    assert "## 1　決定事項\n\nなし" in text and "## 3　次回予定\n\nなし" in text
    assert "議題ごとの要旨" not in text and "発言録" not in text


def test_markup_in_what_was_said_is_shown_as_written():
    assert render_minutes_markdown(Minutes(title="令和二年東京都議会会議録第三号")).count("議事録") == 0
    assert render_minutes_markdown(Minutes(title="令和二年東京都議会会議録第三号")).count("議事録") == 0
    odd = Minutes(title="会議録", decisions=[Point(text="予算案 | 修正*2 を [承認] した。", turns=[1])])
    text = render_minutes_markdown(odd, approved=True)
    assert text.startswith("# 会議録\n")  # a title that already names the minutes is kept
    assert "- 予算案 \\| 修正\\*2 を \\[承認\\] した。〔発言1〕" in text
