from __future__ import annotations

import logging

from assistant.citations import resolve
from assistant.extractive import extract
from core.model import Chunk


def make_chunk(n: int, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"id{n}", text=text, search_text=text, source=f"規程{n}.pdf", title=f"規程{n}", page=n + 1
    )


CHUNKS = [
    make_chunk(0, "旅費の精算は5日以内に行う。領収書を添付する。"),
    make_chunk(1, "年次有給休暇は20日とする。"),
    make_chunk(2, "庁舎は午後10時に閉館する。"),
]


def test_lists_only_cited_sources_in_source_order():
    text, cites = resolve("精算は5日以内です[3]。休暇は20日です［1］。", CHUNKS)
    assert text == "精算は5日以内です[3]。休暇は20日です[1]。"
    assert [c.n for c in cites] == [1, 3]
    first = cites[0]
    assert (first.chunk_id, first.title, first.source, first.location) == ("id0", "規程0", "規程0.pdf", "p.1")
    assert first.quote == CHUNKS[0].text


def test_full_width_digits_and_groups_are_normalised():
    text, cites = resolve("回答です［２］。両方です[1, 3]。重複[2、2]。", CHUNKS)
    assert text == "回答です[2]。両方です[1][3]。重複[2]。"
    assert [c.n for c in cites] == [1, 2, 3]


def test_markers_pointing_nowhere_are_removed_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="assistant.citations"):
        text, cites = resolve("根拠は[4]です。別の根拠[0][2]。混在[1, 9]。", CHUNKS)
    assert text == "根拠はです。別の根拠[2]。混在[1]。"
    assert [c.n for c in cites] == [1, 2]
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning and "[4, 0, 9]" in warning[0].getMessage()


def test_no_markers_no_citations():
    assert resolve("資料には記載がありません。", CHUNKS) == ("資料には記載がありません。", [])


def test_extractive_quote_is_the_sentence_taken():
    result = extract("旅費の精算はいつまでに行うか", CHUNKS)
    text, cites = resolve(result.text, CHUNKS, extractive=True)
    assert text == result.text
    assert [(c.n, c.quote) for c in cites] == [(1, "旅費の精算は5日以内に行う。")]


def test_extractive_quote_falls_back_to_chunk_when_not_verbatim():
    table = make_chunk(0, "| 年度 | 金額 |\n|---|---|\n| 2026年度 | 120億円 |")
    text, cites = resolve(
        "資料によれば、次のとおりです。\n・年度：2026年度、金額：120億円[1]", [table], extractive=True
    )
    assert cites[0].quote == table.text


def test_extractive_quote_ignores_the_sources_own_markers():
    chunk = make_chunk(0, "梅雨は東アジアに特有の気象現象である[2]。")
    _, cites = resolve(
        "資料によれば、次のとおりです。\n・梅雨は東アジアに特有の気象現象である。[1]",
        [chunk],
        extractive=True,
    )
    assert cites[0].quote == "梅雨は東アジアに特有の気象現象である。"


def test_extractive_record_label_is_not_part_of_the_quote():
    from assistant.citations import resolve
    from core.model import Chunk

    chunk = Chunk(
        chunk_id="r1",
        text="件名：夏季休暇\n照会内容：付与しているか。\n回答内容：有給の休暇として取り扱っています。",
        search_text="",
        source="records.csv",
        title="夏季休暇",
        doc_type="inquiry",
    )
    _, citations = resolve(
        "資料によれば、次のとおりです。\n・（回答）有給の休暇として取り扱っています。[1]",
        [chunk],
        extractive=True,
    )
    assert citations[0].quote == "有給の休暇として取り扱っています。"
