"""Splitting a pasted 照会文 into ReplyInput fields and 照会内容 into numbered question items."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.inquiry.parse import parse_inquiry, split_items
from core.errors import YakubaError
from ingest.sample.new_inquiries import NEW_INQUIRIES, letter

LETTER = """総第123号
令和7年4月1日

みなと市長　様

つばさ町総務課長
（公印省略）

　　　会計年度任用職員の休暇の取扱いについて（照会）

　標記の件について、下記のとおり照会します。お忙しいところ恐縮ですが、4月15日（火）までに御回答ください。

記

1　夏季休暇の付与日数は何日か。
2　病気休暇は有給か。
（1）有給の場合の日数
（2）無給とする場合の理由
3　その他参考となる事項

以上
（担当）つばさ町総務課人事係　電話000-000-0000
"""


def _split(text: str) -> list[tuple[str, str]]:
    return [(i.number, i.text) for i in split_items(text)[1]]


def test_an_official_letter_is_split_into_its_fields():
    inp = parse_inquiry(LETTER)
    assert inp.reference == "総第123号" and inp.asked_on == date(2025, 4, 1)
    assert inp.sender == "つばさ町総務課長"
    assert inp.subject == "会計年度任用職員の休暇の取扱いについて"
    assert inp.due_on == date(2025, 4, 15)  # the year of the inquiry, no later than asked
    assert inp.content.startswith("1　夏季休暇") and "以上" not in inp.content and "担当" not in inp.content


def test_nested_numbering_stays_inside_its_item():
    items = _split(parse_inquiry(LETTER).content)
    assert [n for n, _ in items] == ["1", "2", "3"]
    assert items[1][1] == "病気休暇は有給か。\n（1）有給の場合の日数\n（2）無給とする場合の理由"


def test_labelled_fields_and_overrides():
    text = "【件名】情報公開について\n照会元：ひかり市総務課\n照会日：R7.4.1\n照会番号：ひ総第8号\n回答期限：令和7年4月10日\n所管課：総務課\n照会内容：\n一、費用\n二、期限"
    inp = parse_inquiry(text, sender="ひかり市長", k=4)
    assert (inp.subject, inp.sender, inp.reference, inp.section) == (
        "情報公開について",
        "ひかり市長",
        "ひ総第8号",
        "総務課",
    )
    assert (inp.asked_on, inp.due_on, inp.k) == (date(2025, 4, 1), date(2025, 4, 10), 4)
    assert _split(inp.content) == [("一", "費用"), ("二", "期限")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("1. 手数料は。\n2. 期限は。", [("1", "手数料は。"), ("2", "期限は。")]),
        ("（１）手数料は。\n（２）期限は。", [("(1)", "手数料は。"), ("(2)", "期限は。")]),
        ("① 手数料は。\n② 期限は。", [("①", "手数料は。"), ("②", "期限は。")]),
        ("問1　手数料は。\n問2　期限は。", [("問1", "手数料は。"), ("問2", "期限は。")]),
        ("（一）手数料は。\n（二）期限は。", [("（一）", "手数料は。"), ("（二）", "期限は。")]),
        ("次の点を伺う。(1)手数料は。(2)期限は。", [("(1)", "手数料は。"), ("(2)", "期限は。")]),
        ("手数料はいくらか。\n期限はいつか。", [("1", "手数料はいくらか。\n期限はいつか。")]),
        (
            "1　手数料は、\n3 日以内に納めるのか。\n2　期限は。",
            [("1", "手数料は、\n3 日以内に納めるのか。"), ("2", "期限は。")],
        ),
        ("1.5倍の加算はあるか。", [("1", "1.5倍の加算はあるか。")]),
    ],
)
def test_numbering_styles(content, expected):
    assert _split(content) == expected


def test_preamble_is_kept_apart():
    preamble, items = split_items("次の点について伺います。\n1　手数料\n2　期限")
    assert preamble == "次の点について伺います。" and len(items) == 2


def test_missing_fields_stay_empty_and_blank_text_is_an_error():
    inp = parse_inquiry("手数料はいくらか。")
    assert (inp.subject, inp.sender, inp.reference, inp.asked_on, inp.content) == (
        "",
        "",
        "",
        None,
        "手数料はいくらか。",
    )
    with pytest.raises(YakubaError, match="照会文が空"):
        parse_inquiry(" \n ")


def test_every_sample_letter_round_trips():
    for inquiry in NEW_INQUIRIES:
        inp = parse_inquiry(letter(inquiry))
        assert (inp.subject, inp.reference, inp.asked_on, inp.due_on) == (
            inquiry.subject,
            inquiry.reference,
            inquiry.asked,
            inquiry.due,
        )
        assert inp.sender == f"{inquiry.sender}長" and inp.content == inquiry.content
