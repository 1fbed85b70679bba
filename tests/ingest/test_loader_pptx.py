"""PPTX loader: one Document per slide; title → section, text frames, tables, speaker notes."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from ingest.loaders import load_file
from tests.builders.office import Slide, truncate, write_pptx


def test_slides_with_titles_text_tables_and_notes(tmp_path):
    path = write_pptx(
        tmp_path / "説明資料.pptx",
        [
            Slide("事業の概要", ["目的：窓口の混雑緩和", "期間：令和7年度"], notes="所要時間は5分。"),
            Slide(
                "予算",
                table=[["区分", "2025年度", None], [None, "要求", "査定"], ["委託料", 500, 450]],
                merge=[(0, 1, 0, 2), (0, 0, 1, 0)],
            ),
            Slide("", ["タイトルのないスライド"]),
            Slide("区切りのみ"),
        ],
    )
    docs = load_file(path, root=tmp_path)
    assert [doc.slide for doc in docs] == [1, 2, 3]  # the title-only slide has no text of its own
    assert {doc.title for doc in docs} == {"事業の概要"}
    assert docs[0].section == ["事業の概要"]
    assert docs[0].text.splitlines() == ["目的：窓口の混雑緩和", "期間：令和7年度", "ノート: 所要時間は5分。"]
    assert docs[1].text.splitlines() == [
        "| 区分 | 2025年度 要求 | 2025年度 査定 |",
        "| --- | --- | --- |",
        "| 委託料 | 500 | 450 |",
    ]
    assert docs[2].section == []


def test_truncated_pptx_is_corrupt(tmp_path):
    path = truncate(write_pptx(tmp_path / "cut.pptx", [Slide("題", ["本文"])]), 0.5)
    with pytest.raises(CorruptFile, match="PowerPoint"):
        load_file(path)


def test_pptx_without_text_is_corrupt(tmp_path):
    with pytest.raises(CorruptFile, match="no text"):
        load_file(write_pptx(tmp_path / "blank.pptx", [Slide()]))
