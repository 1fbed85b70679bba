"""A conversation exported as Markdown and DOCX (issue 13): name, dates, the highest 機密性 on top, each question
with its answer and the answer's sources (title, place, 機密性, 閲覧範囲); a withheld answer stays withheld."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from assistant.exports.conversation_docx import render_conversation_docx
from assistant.exports.conversation_layout import conversation_level, japanese_time
from assistant.exports.conversation_md import render_conversation_markdown
from tests.support.render import MISSING, PDFTOPPM, SOFFICE, docx_to_png

TOKYO = ZoneInfo("Asia/Tokyo")
SHOTS = Path("/tmp/shots/conversations")
WITHHELD = "（この回答は、現在閲覧する権限のない資料に基づいているため表示できません。）"


def _citation(n: int, title: str, location: str, level: int, groups: list[str], quote: str) -> dict:
    return {
        "n": n, "chunk_id": f"c{n}", "title": title, "source": f"{title}.pdf", "location": location,
        "quote": quote, "classification": level, "groups": groups,
    }  # fmt: skip


CONVERSATION = {
    "id": "c-1",
    "title": "転入届の添付書類（窓口からの照会）",
    "created_at": "2026-11-28T05:05:00+00:00",
    "updated_at": "2026-11-29T00:30:00+00:00",
    "messages": [
        {"id": 1, "role": "user", "text": "転入届に添付する書類は何ですか", "citations": [], "level": 2},
        {
            "id": 2,
            "role": "assistant",
            "level": 2,
            "backend": "bedrock/claude-sonnet-4-5",
            "mode": "llm",
            "text": "転入届には、転出証明書を添付しなければなりません[1]。\n本人確認書類も必要です[2]。",
            "citations": [
                _citation(
                    1,
                    "転入届事務の手引き",
                    "3ページ",
                    2,
                    ["市民課"],
                    "転入届には、転出証明書を添付しなければならない。",
                ),
                _citation(2, "窓口案内", "第2章", 1, [], "本人確認書類を持参してください。"),
            ],
        },  # fmt: skip
        {"id": 3, "role": "user", "text": "手数料は *無料* ですか #確認", "citations": [], "level": 1},
        {"id": 4, "role": "assistant", "text": WITHHELD, "citations": [], "level": None},
    ],
}


def test_japanese_time_is_local_and_written_out():
    assert japanese_time("2026-11-28T05:05:00+00:00", TOKYO) == "2026年11月28日 14:05"
    assert japanese_time(datetime(2026, 1, 2, 15, 0, tzinfo=UTC), TOKYO) == "2026年1月3日 00:00"


def test_the_level_is_the_highest_among_the_answers_shown():
    assert conversation_level(CONVERSATION["messages"]) == 2
    assert conversation_level(CONVERSATION["messages"][2:]) == 1
    assert conversation_level([]) == 1


def test_markdown_has_the_level_dates_turns_and_sources():
    text = render_conversation_markdown(CONVERSATION, TOKYO)
    lines = text.splitlines()
    assert lines[0] == "【機密性２】" and lines[2] == "# 転入届の添付書類（窓口からの照会）"
    assert "作成日時：2026年11月28日 14:05　最終更新：2026年11月29日 09:30" in text
    assert "この会話の機密性：機密性２（各回答の出典のうち最も高いもの）" in text
    assert "## 第1問" in text and "## 第2問" in text
    assert "- ［1］転入届事務の手引き　3ページ\n  - 機密性２　閲覧範囲：市民課\n    > 転入届には" in text
    assert "- ［2］窓口案内　第2章\n  - 機密性１　閲覧範囲：全職員" in text
    assert "回答の作成：bedrock/claude-sonnet-4-5" in text
    assert r"手数料は \*無料\* ですか \#確認" in text  # the question's marks stay characters
    second = text[text.index("## 第2問") :]
    assert WITHHELD in second and "出典" not in second and "回答の作成" not in second


def test_docx_stamps_the_level_and_keeps_every_turn():
    document = Document(io.BytesIO(render_conversation_docx(CONVERSATION, TOKYO)))
    assert document.sections[0].header.paragraphs[0].text.strip() == "機密性２"
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[0] == "転入届の添付書類（窓口からの照会）"
    assert paragraphs[1].startswith("作成日時：2026年11月28日 14:05")
    for expected in (
        "第1問", "【質問】", "転入届に添付する書類は何ですか", "【出典】", "［1］転入届事務の手引き　3ページ",
        "機密性２　閲覧範囲：市民課", "機密性１　閲覧範囲：全職員", "第2問", WITHHELD,
    ):  # fmt: skip
        assert expected in paragraphs, expected
    heading = next(p for p in document.paragraphs if p.text == "第1問")
    assert heading.runs[0].bold
    assert document.core_properties.title == CONVERSATION["title"]


def test_a_level_one_conversation_is_not_stamped_and_an_untitled_one_is_named():
    plain = CONVERSATION | {"title": "", "messages": CONVERSATION["messages"][2:]}
    document = Document(io.BytesIO(render_conversation_docx(plain, TOKYO)))
    assert document.sections[0].header.paragraphs[0].text.strip() == ""
    assert document.paragraphs[0].text == "（無題の会話）"
    assert render_conversation_markdown(plain, TOKYO).startswith("【機密性１】\n\n# （無題の会話）")


@pytest.mark.skipif(SOFFICE is None or PDFTOPPM is None, reason=MISSING)
def test_docx_renders_as_a_page(tmp_path):
    path = tmp_path / "会話.docx"
    path.write_bytes(render_conversation_docx(CONVERSATION, TOKYO))
    pages = docx_to_png(path, tmp_path / "render", dpi=100)
    assert pages and pages[0].stat().st_size > 10_000
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pages[0], SHOTS / "export-docx-page-1.png")  # looked at by hand
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(tmp_path / "render" / "会話.pdf"), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        assert next(line for line in text.splitlines() if line.strip()).strip() == "機密性２"
        assert "閲覧範囲：市民課" in text
