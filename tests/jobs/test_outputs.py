"""Outputs: Japanese header rows, cells a spreadsheet would take for formulas kept as text, results the reader may
not see withheld."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from assistant.jobs.outputs import GENERIC_COLUMNS, REPLY_COLUMNS, OutputRow, table, to_csv, to_xlsx
from assistant.jobs.visibility import visible_result
from assistant.tasks.base import Principal

DRAFT = {
    "backend": "offline/extractive", "mode": "extractive", "opening": "標記の件について、下記のとおり回答します。",
    "items": [{"number": "1", "answer": "=HYPERLINK(\"x\")[1]"}, {"number": "2", "answer": "", "note": "資料なし"}],
    "sources": [{"n": 1, "chunk_id": "c1", "title": "手数料条例", "location": "第2条", "classification": 2,
                 "groups": ["財政課"]}],
    "open_points": ["2について資料に記載がない。"], "classification": 2,
    "section_suggestions": [{"section": "市民課", "confidence": 0.75}],
    "similar": [{"chunk_id": "s1", "classification": 1, "groups": []}],
}  # fmt: skip
ROW = OutputRow(2, "done", {"subject": "手数料", "content": "+1 と書いた照会"}, DRAFT)


def test_reply_rows_with_formulas_kept_as_text():
    columns, rows = table(
        "reply", [ROW, OutputRow(3, "failed", {"content": "x"}, None, "一時的な障害です。")]
    )
    assert columns == REPLY_COLUMNS
    sheet = load_workbook(io.BytesIO(to_xlsx(columns, rows))).active
    values = {c.value: sheet.cell(2, i + 1) for i, c in enumerate(sheet[1])}
    assert values["所管課案"].value == "市民課（75%）" and values["機密性"].value == 2
    answer = values["回答案"]
    assert answer.data_type == "s" and "記" in answer.value and "2　（要確認）資料なし" in answer.value
    assert values["根拠"].value == "[1] 手数料条例（第2条）"
    assert values["要確認事項"].value == "・2について資料に記載がない。"
    assert sheet.cell(3, columns.index("エラー") + 1).value == "一時的な障害です。"
    text = to_csv(columns, rows).decode("utf-8-sig")
    cells = list(csv.reader(io.StringIO(text)))
    assert cells[1][columns.index("照会内容")] == "'+1 と書いた照会"


def test_other_tasks_get_question_and_answer_columns():
    columns, rows = table(
        "ask", [OutputRow(2, "done", {"question": "手数料は"}, {"answer": "300円です。[1]"})]
    )
    assert columns == GENERIC_COLUMNS and rows[0][2:4] == ["手数料は", "300円です。[1]"]


def test_results_above_the_readers_rights_are_withheld():
    assert visible_result(DRAFT, Principal(groups=["財政課"], clearance=2))[1] is False
    assert visible_result(DRAFT, Principal(groups=["財政課"], clearance=1)) == (None, True)
    assert visible_result(DRAFT, Principal(groups=["総務課"], clearance=3)) == (None, True)
    shown, withheld = visible_result(DRAFT, Principal())  # the local operator: no restriction
    assert not withheld and shown["similar"] == DRAFT["similar"]
    public = {**DRAFT, "sources": [], "classification": 1}
    shown, withheld = visible_result(public, Principal(groups=[], clearance=1))
    assert not withheld and shown["similar"] == [{"chunk_id": "s1", "classification": 1, "groups": []}]
