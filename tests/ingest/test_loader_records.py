"""Inquiry records from CSV (UTF-8, UTF-8 with BOM, cp932), XLSX and JSONL; column mapping; dates."""

from __future__ import annotations

import pytest

from core.errors import ColumnMappingError, CorruptFile
from ingest.loaders import load_file
from ingest.loaders.records import looks_like_records, map_columns, normalize_header
from tests.builders.office import write_xlsx
from tests.builders.records import (
    SAMPLE_RECORDS,
    write_records_csv,
    write_records_jsonl,
    write_records_xlsx,
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_records_in_each_encoding(tmp_path, encoding):
    docs = load_file(write_records_csv(tmp_path / "照会.csv", SAMPLE_RECORDS, encoding), root=tmp_path)
    assert len(docs) == 2
    first = docs[0]
    assert first.doc_type == "inquiry" and first.atomic_lines
    assert first.source == "照会.csv"
    assert first.title == "公印の押印について"
    assert first.text == (
        "件名：公印の押印について\n"
        "照会内容：電子決裁で起案した文書にも公印の押印は必要か。\n"
        "回答内容：電子署名を付す場合は、公印の押印を省略して差し支えありません。"
    )
    assert first.fields["照会元"] == "A市" and first.fields["所管課"] == "総務課"
    assert first.fields["回答日"] == "令和6年4月10日"
    assert first.date == "2024-04-10"  # 回答日
    assert first.dates == ["2024-04-01", "2024-04-10"]
    assert docs[1].date == "2024-05-07"  # no 回答日: 照会日 (R6.5.7)


def test_header_variants_and_unmapped_columns(tmp_path):
    rows = [
        {
            "No.": "15",
            "受付日": "2024/5/10",
            "自治体名": "C村",
            "担当課": "税務課",
            "タイトル": "",
            "質問": "固定資産税の納期は変更できるか。\n条例改正が必要か。",
            "回答": "条例で定める納期の変更には、条例改正が必要です。",
            "【回答年月日】": "令和6年5月20日",
            "カテゴリ": "税務",
            "備考": "電話照会",
        },
        {key: "" for key in ("No.", "質問", "回答")},  # an empty row is skipped
    ]
    [doc] = load_file(write_records_csv(tmp_path / "q.csv", rows, "cp932"))
    assert doc.fields == {
        "番号": "15",
        "照会日": "2024/5/10",
        "照会元": "C村",
        "所管課": "税務課",
        "照会内容": "固定資産税の納期は変更できるか。\n条例改正が必要か。",
        "回答内容": "条例で定める納期の変更には、条例改正が必要です。",
        "回答日": "令和6年5月20日",
        "区分": "税務",
        "備考": "電話照会",
    }
    assert doc.title == "固定資産税の納期は変更できるか。"  # no 件名: the question's first line
    assert doc.date == "2024-05-20"
    assert doc.text.splitlines()[0] == "照会内容：固定資産税の納期は変更できるか。"


def test_jsonl_records_with_english_keys(tmp_path):
    rows = [
        {"id": 1, "date": "令和7年1月6日", "sender": "D市", "section": "人事課", "subject": "休暇",
         "question": "年次休暇は時間単位で取れるか。", "answer": "年5日を限度に取得できます。",
         "answer_date": "R7.1.15", "category": "人事", "tags": ["休暇", "勤務"]},
    ]  # fmt: skip
    [doc] = load_file(write_records_jsonl(tmp_path / "q.jsonl", rows))
    assert doc.fields["番号"] == "1" and doc.fields["所管課"] == "人事課"
    assert doc.fields["tags"] == '["休暇", "勤務"]'
    assert doc.date == "2025-01-15"
    assert doc.title == "休暇"


def test_invalid_jsonl_line_is_corrupt(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "a", "answer": "b"}\n{broken\n', encoding="utf-8")
    with pytest.raises(CorruptFile, match="line 2"):
        load_file(path)


def test_xlsx_records_below_a_title_row(tmp_path):
    path = write_records_xlsx(tmp_path / "照会回答.xlsx", SAMPLE_RECORDS, title_row="令和6年度 照会回答一覧")
    assert looks_like_records(path)
    docs = load_file(path)
    assert [doc.title for doc in docs] == ["公印の押印について", "補助金の繰越"]
    assert docs[0].fields["番号"] == "1"


def test_unmappable_columns_name_what_was_found_and_expected(tmp_path):
    path = write_records_csv(tmp_path / "名簿.csv", [{"氏名": "山田", "住所": "東京都"}])
    with pytest.raises(ColumnMappingError) as caught:
        load_file(path)
    assert "氏名、住所" in caught.value.message
    assert "照会内容" in caught.value.message and "回答内容" in caught.value.message


def test_xlsx_that_is_not_records_is_not_taken_for_records(tmp_path):
    assert not looks_like_records(write_xlsx(tmp_path / "t.xlsx", {"s": [["区分", "金額"], ["a", 1]]}))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert not looks_like_records(broken)


def test_header_normalisation():
    assert normalize_header("　照会 内容（質問） ") == "照会内容質問"
    assert normalize_header("Ｎｏ．") == "no"
    assert map_columns(["回答", "回答内容", "answer_date", ""]) == [
        "回答内容",
        "回答内容（2）",
        "回答日",
        "列4",
    ]
