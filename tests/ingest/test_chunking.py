import random

import pytest

from core.model import Document, make_chunk_id
from ingest.chunking import chunk_documents

WHITESPACE = str.maketrans("", "", " \n\u3000")
SENTENCES = [f"これは第{i}番目の文であり、説明のための文章です。" for i in range(1, 21)]


def doc(text: str, **kwargs) -> Document:
    kwargs.setdefault("source", "docs/a.txt")
    kwargs.setdefault("title", "事務処理要領")
    return Document(text=text, **kwargs)


def table(rows: int) -> list[str]:
    return ["| 区分 | 金額 | 備考 |", "|---|---|---|"] + [
        f"| 項目{i} | {i * 100}円 | なし |" for i in range(rows)
    ]


def test_chunks_end_at_sentence_boundaries_and_keep_the_text():
    chunks = chunk_documents([doc("".join(SENTENCES))], size=100, overlap=0)
    assert len(chunks) > 1
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert "".join(c.text for c in chunks) == "".join(SENTENCES)


def test_short_lines_are_packed_together_with_newlines():
    chunks = chunk_documents([doc("一行目。\n二行目。\n\n三行目。")], size=400)
    assert [c.text for c in chunks] == ["一行目。\n二行目。\n\n三行目。"]


def test_no_split_inside_brackets():
    quoted = "担当者は「本件は受理する。ただし書類の補正を求める。期限は来週とする。」と回答した。"
    text = "前置きの文です。" + quoted + "以上です。"
    chunks = chunk_documents([doc(text)], size=len(quoted) + 2, overlap=0)
    assert any(c.text == quoted for c in chunks)
    assert all("「" not in c.text or "」" in c.text for c in chunks)


def test_no_split_inside_parentheses():
    first = "この法律（以下「法」という。第三条を除く。）は公布の日から施行する。"
    chunks = chunk_documents([doc(first + "次の文。")], size=len(first) + 1, overlap=0)
    assert [c.text for c in chunks] == [first, "次の文。"]


def test_cut_backs_off_to_a_sentence_end_rather_than_a_wrapped_line():
    first = "第一の文は改行を含まない完結した文である。" * 3
    wrapped = [
        "第二の文は地方自治法",
        "（昭和二十二年法律第六十七号）第二条",
        "に規定する事務について定める。",
    ]
    text = "\n".join([first, *wrapped])
    chunks = chunk_documents([doc(text)], size=len(first) + 20, overlap=0)
    assert [c.text for c in chunks] == [first, "\n".join(wrapped)]


def test_over_long_sentence_is_hard_split_as_last_resort():
    text = "あ" * 250
    chunks = chunk_documents([doc(text)], size=100, overlap=0)
    assert [len(c.text) for c in chunks] == [100, 100, 50]


def test_table_rows_never_split_and_header_repeated():
    rows = table(30)
    text = "表の前の説明です。\n\n" + "\n".join(rows) + "\n\n表の後の説明です。"
    chunks = chunk_documents([doc(text)], size=120, overlap=1)
    lines_by_chunk = [c.text.split("\n") for c in chunks]
    for lines in lines_by_chunk:
        for line in lines:
            assert line in rows or not line.startswith("|")
    with_rows = [lines for lines in lines_by_chunk if any(line.startswith("| 項目") for line in lines)]
    assert len(with_rows) > 2
    for lines in with_rows:
        first_row = next(i for i, line in enumerate(lines) if line.startswith("|"))
        assert lines[first_row : first_row + 2] == rows[:2]
    data_rows = [line for lines in lines_by_chunk for line in lines if line.startswith("| 項目")]
    assert data_rows == rows[2:]  # every row once, in order: no overlap of table rows


def test_long_table_row_stays_whole():
    row = "| " + "長い値" * 80 + " | 備考 |"
    rows = ["| 項目 | 備考 |", "|---|---|", "| 短い | 行 |", row, "| 短い | 行 |"]
    chunks = chunk_documents([doc("\n".join(rows))], size=50)
    assert [c.text.split("\n") for c in chunks] == [rows[:3], [*rows[:2], row], [*rows[:2], rows[4]]]


def test_table_without_separator_repeats_its_first_row():
    rows = ["| 氏名 | 所属 |"] + [f"| 職員{i} | 総務課 |" for i in range(20)]
    chunks = chunk_documents([doc("\n".join(rows))], size=60)
    assert len(chunks) > 1
    assert all(c.text.startswith("| 氏名 | 所属 |\n| 職員") for c in chunks)


def test_statute_items_never_split():
    items = [f"{n}　" + "市町村長が定める事項に関する手続" * 10 + "。" for n in "一二三"]
    text = "\n".join(
        ["第二条　この規則において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。", *items]
    )
    chunks = chunk_documents([doc(text, atomic_lines=True, article="第二条")], size=100, overlap=0)
    chunk_lines = [line for c in chunks for line in c.text.split("\n")]
    for item in items:
        assert item in chunk_lines
    assert all(len(item) > 100 for item in items)


def test_heading_path_in_search_text_not_in_text():
    d = doc(
        "第１項の規定により、申請書を提出する。", section=["第2章　手続", "第3節　申請"], article="第十条"
    )
    (chunk,) = chunk_documents([d])
    assert chunk.text == "第１項の規定により、申請書を提出する。"
    assert (
        chunk.search_text
        == "事務処理要領 > 第2章 手続 > 第3節 申請 > 第十条\n第1項の規定により、申請書を提出する。"
    )


def test_heading_path_carried_into_every_chunk():
    d = doc("".join(SENTENCES), section=["第1章"])
    chunks = chunk_documents([d], size=80)
    assert len(chunks) > 2
    assert all(c.search_text.startswith("事務処理要領 > 第1章\n") for c in chunks)


def test_overlap_repeats_last_sentence():
    chunks = chunk_documents([doc("".join(SENTENCES))], size=100, overlap=1)
    for previous, following in zip(chunks, chunks[1:], strict=False):
        last_sentence = previous.text.split("。")[-2] + "。"
        assert following.text.startswith(last_sentence)


def test_overlap_zero_disables_repetition():
    with_overlap = chunk_documents([doc("".join(SENTENCES))], size=100, overlap=1)
    without = chunk_documents([doc("".join(SENTENCES))], size=100, overlap=0)
    assert sum(len(c.text) for c in without) == len("".join(SENTENCES))
    assert sum(len(c.text) for c in with_overlap) > len("".join(SENTENCES))


def test_documents_are_never_merged_and_ordinals_count_per_source():
    docs = [
        doc("一ページ目。", page=1),
        doc("別ファイル。", source="docs/b.txt"),
        doc("二ページ目。", page=2),
    ]
    chunks = chunk_documents(docs)
    assert [(c.source, c.ordinal, c.page, c.text) for c in chunks] == [
        ("docs/a.txt", 0, 1, "一ページ目。"),
        ("docs/b.txt", 0, None, "別ファイル。"),
        ("docs/a.txt", 1, 2, "二ページ目。"),
    ]
    assert all(c.chunk_id == make_chunk_id(c.source, c.ordinal, c.text) for c in chunks)


def test_metadata_copied_and_dates_merged():
    d = doc(
        "令和7年12月24日に回答した。前回は2024/5/10。",
        doc_type="inquiry",
        slide=3,
        sheet="回答",
        section=["照会"],
        article="第五条",
        date="2025-12-24",
        dates=["2025-12-01", "2025-12-24"],
        fields={"照会元": "A市", "所管課": "総務課"},
        classification=2,
        groups=["総務課"],
    )
    (c,) = chunk_documents([d])
    assert (c.doc_type, c.slide, c.sheet, c.section, c.article, c.date) == (
        "inquiry",
        3,
        "回答",
        ["照会"],
        "第五条",
        "2025-12-24",
    )
    assert c.fields == {"照会元": "A市", "所管課": "総務課"}
    assert (c.classification, c.groups, c.title) == (2, ["総務課"], "事務処理要領")
    assert c.dates == ["2025-12-01", "2025-12-24", "2024-05-10"]


def test_ids_stable_across_runs_and_change_with_text():
    text = "".join(SENTENCES)
    first = [c.chunk_id for c in chunk_documents([doc(text)], size=100)]
    second = [c.chunk_id for c in chunk_documents([doc(text)], size=100)]
    changed = [c.chunk_id for c in chunk_documents([doc(text.replace("第1番目", "第一番目"))], size=100)]
    assert first == second
    assert len(set(first)) == len(first)
    assert changed[0] != first[0]
    assert changed[1:] == first[1:]


def test_display_text_is_cleaned():
    (c,) = chunk_documents([doc("\n\n第一条　 \n\n\n\n　目的を定める。 \n")])
    assert c.text == "第一条\n\n　目的を定める。"


def test_empty_documents_give_no_chunks():
    assert chunk_documents([doc(""), doc("\n \u3000\n\n")]) == []
    assert chunk_documents([]) == []


def test_invalid_parameters():
    with pytest.raises(ValueError):
        chunk_documents([doc("本文。")], size=0)
    with pytest.raises(ValueError):
        chunk_documents([doc("本文。")], overlap=-1)


def test_random_text_is_kept_whole_and_within_size():
    rng = random.Random(7)
    pieces = ["申請", "書類", "。", "、", "「", "」", "（", "）", "第一条", "！", "?", " ", "\n", "\n\n"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 200)))
        size = rng.choice([5, 20, 60, 150])
        chunks = chunk_documents([doc(text)], size=size, overlap=0)
        assert all(0 < len(c.text) <= size for c in chunks)
        squeezed = "".join(c.text for c in chunks)
        assert squeezed.translate(WHITESPACE) == text.translate(WHITESPACE)
