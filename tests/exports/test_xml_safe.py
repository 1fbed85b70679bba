"""Exports survive text Word cannot hold (NUL and other control characters from an edit or a paste)."""

from __future__ import annotations

import io

from docx import Document

from assistant.exports import render_minutes_docx
from assistant.exports.answer_docx import render_answer_docx
from assistant.exports.xml_safe import xml_text
from assistant.tasks.minutes_models import AgendaSummary, Minutes, Point


def test_control_characters_are_dropped_tab_and_newline_kept():
    assert xml_text("a\x00b\x07c\td\ne\ud800f") == "abc\td\nef"


def test_minutes_with_a_nul_still_export():
    minutes = Minutes(
        title="第1回\x00企画会議", agenda=[AgendaSummary(title="予算\x1b", points=[Point(text="承認した。\x00", turns=[1])])],
        n_turns=1,
    )
    text = "\n".join(p.text for p in Document(io.BytesIO(render_minutes_docx(minutes, approved=False))).paragraphs)
    assert "第1回企画会議" in text and "\x00" not in text


def test_an_answer_with_control_characters_still_exports():
    answer = {"answer": "回答\x00です。[1]", "citations": [{"n": 1, "title": "要綱\x08", "quote": "本文\x00", "location": "第1条",
                                "source": "a.txt", "classification": 1, "groups": []}],
              "backend": "offline/extractive", "mode": "extractive"}  # fmt: skip
    assert render_answer_docx("質問\x00", answer, 1)[:2] == b"PK"
