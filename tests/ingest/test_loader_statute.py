"""Statute reader: articles with chapter paths, 項 and 号 one per line, 附則, 別表, Markdown law."""

from __future__ import annotations

import pytest

from ingest.loaders.statute import (
    looks_like_markdown_law,
    looks_like_statute,
    parse_markdown_law,
    parse_statute,
)
from tests.builders.texts import EGOV_STATUTE, HAND_STATUTE, MARKDOWN_LAW


def by_article(docs):
    return {doc.article: doc for doc in docs if doc.article}


def test_egov_layout_articles_sections_and_lines():
    docs = parse_statute(EGOV_STATUTE, "jorei.txt", "jorei")
    assert {doc.title for doc in docs} == {"架空市文書管理条例"}
    assert all(doc.atomic_lines for doc in docs)
    articles = by_article(docs)
    assert list(articles) == ["第一条", "第二条", "第三条", "第三条の二", "第四条", "附則第一条"]
    assert articles["第一条"].section == ["第一章　総則", "第一条（目的）"]
    assert articles["第四条"].section == ["第二章　公文書の管理", "第一節　作成", "第四条（作成）"]
    # the line broken at the cross-reference is joined again
    assert articles["第一条"].text.splitlines() == [
        "第一条（目的）",
        "この条例は、公文書等の管理に関する法律（平成二十一年法律第六十六号）第三十四条の規定に基づき、"
        "市の公文書の管理に関し必要な事項を定めるものとする。",
    ]
    # 号 and 項 numbers merged with their text, one per line
    assert articles["第二条"].text.splitlines()[2:] == [
        "一　実施機関　市長、教育委員会及び選挙管理委員会をいう。",
        "二　公文書　実施機関の職員が職務上作成し、又は取得した文書をいう。",
        "２　前項第二号の文書には、電磁的記録を含むものとする。",
    ]
    assert articles["附則第一条"].section == ["附則抄", "第一条（施行期日）"]


def test_egov_preamble_and_appendix_and_toc():
    docs = parse_statute(EGOV_STATUTE, "jorei.txt", "jorei")
    preamble = docs[0]
    assert preamble.article is None and preamble.section == []
    assert preamble.text.splitlines() == [
        "（令和二年三月二十七日条例第五号）最終改正：令和五年三月二十四日条例第十二号",
        "架空市は、公文書の適正な管理のため、この条例を制定する。",
    ]
    appendix = docs[-1]
    assert appendix.section == ["別表第一（第二条関係）"] and appendix.article is None
    assert appendix.text.splitlines() == ["実施機関の名称", "市長"]
    # table-of-contents entries (with article ranges) are not headings and leave no text behind
    assert not any("第一条―第三条の二" in doc.text for doc in docs)


def test_hand_typed_layout_with_caption_on_the_article_line():
    articles = by_article(parse_statute(HAND_STATUTE, "joho.txt", "joho"))
    assert list(articles) == ["第一条", "第二条", "第十条の二"]
    assert articles["第二条"].section == ["第二条（定義）"]
    assert articles["第二条"].text.splitlines() == [
        "第二条（定義）",
        "この条例において「公文書」とは、次に掲げるものをいう。",
        "一　文書",
        "二　図画",
        "２　前項の規定にかかわらず、官報は公文書に含まない。",
    ]


def test_markdown_law_layout():
    assert looks_like_markdown_law(MARKDOWN_LAW)
    docs = parse_markdown_law(MARKDOWN_LAW, "law.md", "law")
    assert [(doc.title, doc.article, doc.section) for doc in docs] == [
        ("架空行政手続法", "第5条", ["第5条"]),
        ("架空行政手続法", "第6条の2", ["第6条の2"]),
    ]
    assert docs[0].text.splitlines() == [
        "第5条",
        "第1項　行政庁は、審査基準を定めるものとする。",
        "第2項　行政庁は、審査基準を公にしておかなければならない。",
        "第1号　法令により公にすることが禁止されている場合",
    ]


def test_markdown_articles_without_a_law_heading_take_the_file_title():
    docs = parse_markdown_law("### 第1条（目的）\n本文。\n", "kitei.md", "kitei")
    assert [(doc.title, doc.section, doc.article) for doc in docs] == [("kitei", ["第1条（目的）"], "第1条")]


def test_detection_rejects_ordinary_text():
    notice = "第一条の規定に基づき通知します。\n詳細は別紙のとおり。\n"
    assert not looks_like_statute(notice)
    assert not looks_like_markdown_law("# 第1条の解説\n本文\n")
    assert looks_like_statute(EGOV_STATUTE) and looks_like_statute(HAND_STATUTE)


def test_table_cells_that_look_like_articles_stay_text():
    text = "架空法施行令\n（令和元年政令第一号）\n\n（読替え）\n第一条\n\n　次の表のとおり読み替える。\n\n第十条\n\n読替後の字句\n"
    [article] = by_article(parse_statute(text, "x.txt", "x")).values()
    assert article.text.splitlines()[-2:] == ["第十条", "読替後の字句"]


@pytest.mark.shared
def test_real_egov_texts_parse(shared_dataset):
    folder = shared_dataset("egov_laws_2013/text")
    files = sorted(folder.glob("*.txt"))[:40]
    articles = 0
    for path in files:
        docs = parse_statute(path.read_text(encoding="utf-8"), path.name, path.stem)
        assert docs, path
        articles += sum(1 for doc in docs if doc.article)
        assert all(doc.article is None or doc.text.splitlines()[0].startswith("第") for doc in docs)
    assert articles > 100
