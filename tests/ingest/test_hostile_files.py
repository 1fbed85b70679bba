"""Hostile files: every one ends quickly with a clear reason (or loads, bounded), and the loader process survives.

The files are generated here, small on disk; limits are set small so that each case trips its limit fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import CorruptFile
from ingest.limits import FileLimitExceeded, LoadLimits
from ingest.sandbox import LoaderPool
from tests.builders import hostile
from tests.builders.office import DocxSection, Slide, write_docx, write_pptx, write_xlsx


@pytest.fixture(scope="module")
def pool():
    pool = LoaderPool(workers=1)
    yield pool
    pool.close()


def load(pool: LoaderPool, path: Path, **limits):
    return pool.load(path, path.parent, classification=1, groups=[], chunk_size=400, chunk_overlap=1,
                     limits=LoadLimits(**limits)).chunks  # fmt: skip


def test_a_sheet_merged_over_all_its_cells_fills_only_the_cells_in_use(pool, tmp_path):
    path = hostile.xlsx_merged_everywhere(tmp_path / "merged.xlsx")  # A1:XFD1048576, 17 billion cells
    chunks = load(pool, path, max_cells=1000)
    assert len(chunks) == 1
    # as Excel shows it: the merged area holds A1's value; the sheet's 2x2 used cells are all there is
    assert chunks[0].text.count("区分") == 4


def test_a_sheet_over_the_cell_limit_is_skipped_with_its_reason(pool, tmp_path):
    rows = [[f"項目{r}", *range(9)] for r in range(100)]
    path = write_xlsx(tmp_path / "wide.xlsx", {"集計": rows})
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, max_cells=500)
    assert "シート「集計」のセル数が上限（500セル）" in caught.value.message
    assert len(load(pool, path, max_cells=5000)) > 0  # the same file under a higher limit


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_an_office_zip_bomb_is_refused_before_parsing(pool, tmp_path, kind):
    path = tmp_path / f"bomb.{kind}"
    if kind == "docx":
        write_docx(path, "通知", [DocxSection("概要", ["本文です。"])])
    elif kind == "xlsx":
        write_xlsx(path, {"表": [["区分", "金額"], ["a", 1]]})
    else:
        write_pptx(path, [Slide("説明", ["本文です。"])])
    hostile.pad_archive(path, unpacked_mb=24)
    assert path.stat().st_size < 200_000
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, unpacked_mb=16)
    assert "展開後のデータ量" in caught.value.message and "上限（16 MB）" in caught.value.message
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, unpacked_mb=100, max_ratio=100)
    assert "圧縮率が異常に高い部分（customXml/padding.xml" in caught.value.message


def test_a_docx_of_a_million_paragraphs_is_stopped_at_the_time_limit(pool, tmp_path):
    path = hostile.docx_many_paragraphs(tmp_path / "many.docx", 1_000_000)
    assert path.stat().st_size < 5_000_000
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, seconds=2)
    assert "制限時間（2秒）" in caught.value.message
    ok = hostile.long_line_text(tmp_path / "after.txt", 1000)
    assert load(pool, ok)  # a new worker took the killed one's place


def test_a_docx_of_a_million_paragraphs_is_stopped_at_the_memory_limit(pool, tmp_path):
    path = hostile.docx_many_paragraphs(tmp_path / "many.docx", 1_000_000)
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, memory_mb=320, seconds=60)
    assert "メモリが上限（320 MB）" in caught.value.message


def test_html_nested_20000_levels_deep_is_refused_at_once(pool, tmp_path):
    path = hostile.deep_html(tmp_path / "deep.html", 20_000)
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path)
    assert "入れ子が深すぎる（上限512階層）" in caught.value.message


def test_unclosed_paragraphs_and_list_items_are_not_taken_for_nesting(pool, tmp_path):
    items = "".join(f"<li>項目{i}<p>説明{i}です。" for i in range(2000))
    path = tmp_path / "list.html"
    path.write_text(f"<html><body><h1>一覧</h1><ul>{items}</ul></body></html>", encoding="utf-8")
    chunks = load(pool, path, max_depth=50)
    assert "説明1999です。" in "".join(c.text for c in chunks)


def test_megabytes_of_text_without_a_line_break_are_chunked_and_capped(pool, tmp_path):
    path = hostile.long_line_text(tmp_path / "long.txt", 400_000)
    chunks = load(pool, path)
    assert len(chunks) > 1000 and max(len(c.text) for c in chunks) <= 400
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, max_text_chars=200_000)
    assert "抽出した本文（400,000字）が上限（200,000字）" in caught.value.message


def test_a_pdf_of_thousands_of_empty_pages(pool, tmp_path):
    path = hostile.blank_pdf(tmp_path / "blank.pdf", 1200, text_on_last="最後のページだけに本文がある。")
    chunks = load(pool, path)
    assert [c.page for c in chunks] == [1200]
    with pytest.raises(FileLimitExceeded) as caught:
        load(pool, path, max_pages=1000)
    assert "ページ数（1,200ページ）が上限（1,000ページ）" in caught.value.message


@pytest.mark.parametrize("build", [hostile.docx_billion_laughs, hostile.xlsx_billion_laughs])
def test_billion_laughs_stay_refused(pool, tmp_path, build):
    path = build(tmp_path / f"laughs{'.docx' if 'docx' in build.__name__ else '.xlsx'}")
    with pytest.raises(CorruptFile):
        load(pool, path, seconds=20)


def test_an_external_entity_is_not_read(pool, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("ひみつのあいことば", encoding="utf-8")
    path = hostile.docx_xxe(tmp_path / "xxe.docx", secret)
    try:
        chunks = load(pool, path)
    except CorruptFile:
        chunks = []
    assert all("ひみつ" not in c.text for c in chunks)


def test_word_xml_nested_20000_levels_deep_is_refused(pool, tmp_path):
    path = hostile.docx_deep_xml(tmp_path / "deep.docx", 20_000)
    with pytest.raises((CorruptFile, FileLimitExceeded)):
        load(pool, path, seconds=20)
