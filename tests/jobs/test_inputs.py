"""Batch files: CSV (UTF-8, cp932), XLSX and JSONL with Japanese or English headers; bad rows listed, the others
read."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from assistant.jobs.inputs import input_builder, read_batch, reply_input
from assistant.tasks.ask import AskInput
from core.errors import UnsupportedFile, YakubaError

HEADER = ["番号", "件名", "照会団体", "照会年月日", "文書番号", "質問内容", "回答期日", "担当課"]
GOOD = ["1", "会計年度任用職員の休暇について", "東京都総務局", "令和7年4月1日", "総行第12号",
        "1. 年次休暇の付与日数は。\n2. 夏季休暇はあるか。", "2025/4/30", "人事課"]  # fmt: skip


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    return "\r\n".join(",".join(f'"{c}"' for c in row) for row in rows).encode(encoding)


def test_cp932_csv_with_japanese_variants_and_bad_rows():
    data = _csv([
        HEADER,
        GOOD,
        ["2", "空の照会", "A市", "", "", "", "", ""],           # no 照会内容
        ["3", "日付が変", "B市", "4月ごろ", "", "質問です", "", ""],  # unreadable 照会日
        ["", "", "", "", "", "", "", ""],                          # blank: skipped silently
        ["5", "", "C町", "", "", "髙橋様の件（①について）", "", ""],  # cp932-only characters
    ], "cp932")  # fmt: skip
    rows = read_batch(data, "照会一覧.csv", reply_input)
    assert [n for n, _ in rows.inputs] == [2, 6]
    first = rows.inputs[0][1]
    assert first == {
        "subject": "会計年度任用職員の休暇について", "sender": "東京都総務局", "asked_on": "2025-04-01",
        "reference": "総行第12号", "content": "1. 年次休暇の付与日数は。\n2. 夏季休暇はあるか。",
        "due_on": "2025-04-30", "section": "人事課",
    }  # fmt: skip
    assert rows.inputs[1][1]["content"] == "髙橋様の件（①について）"
    assert rows.bad_rows == [
        {"row": 3, "reason": "照会内容が空です。"},
        {
            "row": 4,
            "reason": "照会日「4月ごろ」を日付として読み取れません（例: 2025-04-01、令和7年4月1日）。",
        },
    ]


def test_xlsx_with_a_title_row_english_headers_and_a_too_long_row():
    book = Workbook()
    sheet = book.active
    sheet.append(["令和7年度 照会一覧"])
    sheet.append(["subject", "sender", "date", "question", "deadline", "section", "sender_section"])
    sheet.append(["手数料", "A市", None, "住民票の写しの手数料は", None, "市民課", "企画課"])
    sheet.append(["長すぎる", "B市", None, "あ" * 20_001, None, None, None])
    import datetime as dt

    sheet.append(["日付セル", "C市", dt.datetime(2025, 5, 1), "質問", dt.date(2025, 5, 20), None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_batch(buffer.getvalue(), "inquiries.xlsx", reply_input)
    assert [n for n, _ in rows.inputs] == [3, 5]
    assert rows.inputs[0][1]["sender_section"] == "企画課" and rows.inputs[0][1]["section"] == "市民課"
    assert rows.inputs[1][1]["asked_on"] == "2025-05-01" and rows.inputs[1][1]["due_on"] == "2025-05-20"
    assert rows.bad_rows == [{"row": 4, "reason": "content が長すぎます（上限 20000 文字）。"}]


def test_jsonl_records_with_their_own_keys_and_broken_lines():
    lines = [
        json.dumps({"件名": "一", "照会内容": "質問一"}, ensure_ascii=False),
        "{not json",
        json.dumps(["a list"]),
        "",
        json.dumps({"subject": "二", "inquiry": "質問二", "requester": "D県"}, ensure_ascii=False),
        json.dumps({"subject": "三"}, ensure_ascii=False),
    ]
    rows = read_batch("\n".join(lines).encode(), "batch.jsonl", reply_input)
    assert [(n, i["content"]) for n, i in rows.inputs] == [(1, "質問一"), (5, "質問二")]
    assert rows.inputs[1][1]["sender"] == "D県"
    assert rows.bad_rows == [
        {"row": 2, "reason": "JSON として読み込めない行です。"},
        {"row": 3, "reason": "行が JSON オブジェクトではありません。"},
        {"row": 6, "reason": "照会内容が空です。"},
    ]


def test_other_tasks_take_the_inquiry_as_their_question():
    data = _csv([["件名", "照会内容"], ["x", "住民票の写しの手数料は"]], "utf-8-sig")
    rows = read_batch(data, "q.csv", input_builder("ask", AskInput))
    assert rows.inputs == [(2, {"question": "住民票の写しの手数料は"})]


def test_files_that_cannot_be_used_say_why():
    with pytest.raises(YakubaError, match="照会内容の列が見つかりません。見つかった列: 件名、回答"):
        read_batch(_csv([["件名", "回答"], ["a", "b"]], "utf-8"), "x.csv", reply_input)
    with pytest.raises(YakubaError, match="処理できる行がありません。2行目: 照会内容が空です"):
        read_batch(_csv([["件名", "照会内容"], ["a", ""]], "utf-8"), "x.csv", reply_input)
    with pytest.raises(UnsupportedFile, match="CSV、XLSX、JSONL"):
        read_batch(b"x", "x.pdf", reply_input)
    with pytest.raises(YakubaError, match="Excel"):
        read_batch(b"PK\x03\x04broken", "x.xlsx", reply_input)
