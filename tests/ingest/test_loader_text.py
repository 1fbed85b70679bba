"""Markdown and plain-text loaders: heading sections, tables kept as rows, encodings, statute detection."""

from __future__ import annotations

from ingest.loaders import load_file
from tests.builders.texts import EGOV_STATUTE, MARKDOWN_LAW, write_text

MARKDOWN = """\
# 旅費規程

## 日当

出張1日につき、次の額を支給する。

| 区分 | 日当 |
| --- | --- |
| 職員 | 2200 |

```
# コードブロック内は見出しではない
```

### 宿泊料

実費を支給する。
"""


def test_markdown_headings_build_sections_and_tables_stay_rows(tmp_path):
    docs = load_file(write_text(tmp_path / "ryohi.md", MARKDOWN), root=tmp_path)
    assert {doc.title for doc in docs} == {"旅費規程"}
    assert [doc.section for doc in docs] == [["旅費規程", "日当"], ["旅費規程", "日当", "宿泊料"]]
    assert "| 職員 | 2200 |" in docs[0].text.splitlines()
    assert "# コードブロック内は見出しではない" in docs[0].text
    assert docs[1].text == "実費を支給する。"


def test_markdown_law_goes_to_the_statute_reader(tmp_path):
    docs = load_file(write_text(tmp_path / "law.md", MARKDOWN_LAW))
    assert [doc.article for doc in docs] == ["第5条", "第6条の2"]
    assert all(doc.atomic_lines for doc in docs)


def test_plain_text_is_one_document_titled_by_its_first_line(tmp_path):
    text = "テレワーク実施要領\n\n1 対象者\n全職員とする。\n\n2 申請\n前日までに申請する。\n"
    [doc] = load_file(write_text(tmp_path / "telework.txt", text, encoding="cp932"))
    assert doc.title == "テレワーク実施要領"
    assert doc.text == text.strip()
    assert doc.section == [] and not doc.atomic_lines


def test_plain_text_with_a_long_first_line_is_titled_by_the_file_name(tmp_path):
    [doc] = load_file(write_text(tmp_path / "memo.txt", "あ" * 100 + "\n本文", encoding="utf-8-sig"))
    assert doc.title == "memo"
    assert doc.text.startswith("あ")  # the BOM is gone


def test_statute_text_file_is_split_by_article(tmp_path):
    docs = load_file(write_text(tmp_path / "jorei.txt", EGOV_STATUTE, encoding="cp932"))
    assert "第三条の二" in [doc.article for doc in docs]
    assert {doc.title for doc in docs} == {"架空市文書管理条例"}


def test_empty_text_file_gives_no_documents(tmp_path):
    assert load_file(write_text(tmp_path / "empty.txt", "\n\n")) == []


NOTICE = """\
事　務　連　絡
令和６年６月１０日

各所属庶務担当者　様

総務部人事課給与厚生係

会計年度任用職員の休暇等の取扱いについて

　標記のことについて、下記のとおりお知らせします。

記

１　年次有給休暇
"""

RIGHT_ALIGNED = """\
　　　　　　　　　　　　　　　　　　　　み総第123号
　　　　　　　　　　　　　　　　　　令和6年4月1日
各課長　様
　　　　　　　　　　　　　　　　　　　　総務部長

　　　　　文書管理規程の運用について（通知）

　本市の文書事務については、下記のとおり運用することとしました
ので、所属職員に周知してください。
"""


def test_notice_title_is_its_subject_line_not_the_generic_header(tmp_path):
    [doc] = load_file(write_text(tmp_path / "jimurenraku.txt", NOTICE, encoding="cp932"))
    assert doc.title == "会計年度任用職員の休暇等の取扱いについて"
    assert doc.text.startswith("事　務　連　絡")  # the text itself is kept as written


def test_document_number_date_addressee_and_sender_are_skipped(tmp_path):
    [doc] = load_file(write_text(tmp_path / "tsuchi.txt", RIGHT_ALIGNED))
    assert doc.title == "文書管理規程の運用について（通知）"


def test_first_specific_line_is_the_title_when_no_subject_line(tmp_path):
    text = "【機密性３】関係者限り\n事案対応記録（USBメモリの所在不明）\n作成　令和６年８月２日\n総務課\n\n１　概要\n"
    [doc] = load_file(write_text(tmp_path / "kiroku.txt", text))
    assert doc.title == "事案対応記録（USBメモリの所在不明）"
    [doc] = load_file(
        write_text(tmp_path / "betsushi.txt", "別紙２\n申請手続の流れ\n\n（１）申請書を提出する。\n")
    )
    assert doc.title == "申請手続の流れ"


def test_spaced_heading_is_closed_up_and_a_generic_one_gives_the_file_name(tmp_path):
    [doc] = load_file(write_text(tmp_path / "gijiroku.txt", "議　事　録\n\n　日時は次のとおり。\n"))
    assert doc.title == "議事録"
    [doc] = load_file(
        write_text(tmp_path / "renraku.txt", "事　務　連　絡\n令和6年4月1日\n\n　連絡します。\n")
    )
    assert doc.title == "renraku"
