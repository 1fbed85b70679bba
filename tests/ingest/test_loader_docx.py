"""DOCX loader: headings (English and Japanese style names) build sections; tables as Markdown rows."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from ingest.loaders import load_file
from tests.builders.office import DocxSection, truncate, write_docx


def test_sections_follow_the_heading_path_and_tables_stay_in_order(tmp_path):
    path = write_docx(
        tmp_path / "規程.docx",
        "文書管理規程",
        [
            DocxSection("第1章 総則", ["この規程は、文書の管理について定める。"]),
            DocxSection(
                "保存期間",
                [
                    "保存期間は次の表のとおりとする。",
                    [["区分", "2023年度", None], ["", "予算", "決算"], ["総務費", 1000, 980]],
                    "表に定めのない文書は五年とする。",
                ],
                level=2,
            ),
            DocxSection("第2章 雑則", ["この規程は、令和7年4月1日から施行する。"]),
        ],
        intro=["総務部"],
    )
    docs = load_file(path, root=tmp_path)
    assert {doc.title for doc in docs} == {"文書管理規程"}
    assert [doc.section for doc in docs] == [[], ["第1章 総則"], ["第1章 総則", "保存期間"], ["第2章 雑則"]]
    assert docs[2].text.splitlines() == [
        "保存期間は次の表のとおりとする。",
        "| 区分 | 2023年度 予算 | 2023年度 決算 |",
        "| --- | --- | --- |",
        "| 総務費 | 1000 | 980 |",
        "表に定めのない文書は五年とする。",
    ]


def test_japanese_heading_style_names(tmp_path):
    path = write_docx(
        tmp_path / "要領.docx",
        "事務処理要領",
        [DocxSection("目的", ["本文一"]), DocxSection("細目", ["本文二"], level=2)],
        heading_style="見出し {level}",
    )
    assert [doc.section for doc in load_file(path)] == [["目的"], ["目的", "細目"]]


def test_truncated_docx_is_corrupt(tmp_path):
    path = truncate(write_docx(tmp_path / "cut.docx", "題", [DocxSection("見出し", ["本文"])]), 0.5)
    with pytest.raises(CorruptFile, match="damaged"):
        load_file(path)


def test_docx_without_text_is_corrupt(tmp_path):
    import docx

    path = tmp_path / "empty.docx"
    docx.Document().save(str(path))
    with pytest.raises(CorruptFile, match="no text"):
        load_file(path)
