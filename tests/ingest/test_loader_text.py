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
