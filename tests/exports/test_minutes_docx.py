"""The minutes DOCX: the official layout (会議名 title centred, 日時・場所・出席者・議題 table, numbered sections,
points with their source turns), 「案」 until approved, the 機密性 label from level 2, a page number."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from assistant.exports import render_minutes_docx
from assistant.tasks.minutes_models import Turn
from tests.builders.minutes_examples import minutes
from tests.support.render import MISSING, PDFTOPPM, SOFFICE, docx_to_png


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _texts(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text]


def _header_text(document) -> str:
    return "".join(p.text for p in document.sections[0].header.paragraphs)


def test_layout_follows_the_official_minutes_form():
    document = _open(render_minutes_docx(minutes(), approved=False))
    title = document.paragraphs[0]
    assert title.text == "総務委員会　議事録" and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows == [
        ["日時", "令和7年4月15日（火）午前10時00分～午前11時30分"],
        ["場所", "第1委員会室"],
        ["出席者", "山田委員長、佐藤委員、鈴木防災課長"],
        ["議題", "1　地域防災計画の改定について"],
    ]
    texts = _texts(document)
    assert [t for t in texts if t[:1].isdigit() and "　" in t[:3]] == [
        "1　議題ごとの要旨", "2　発言者別の要点", "3　決定事項", "4　宿題（担当・期限）", "5　次回予定",
    ]  # fmt: skip
    assert "・避難所の備蓄食料は想定避難者数の3日分を確保している。〔発言2, 3〕" in texts
    assert texts[-1] == "以上" and document.paragraphs[-1].alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_question_and_answer_style_keeps_the_pairs_and_record_style_the_turns():
    texts = _texts(_open(render_minutes_docx(minutes(style="質疑応答"), approved=False)))
    assert "1　質疑応答" in texts and "1　議題ごとの要旨" not in texts
    answer = texts.index("問（佐藤委員）　備蓄食料は何日分を確保しているのか。〔発言2〕") + 1
    assert texts[answer] == "答（防災課長（鈴木花子君））　想定避難者数の3日分を確保している。〔発言3〕"
    record = _texts(_open(render_minutes_docx(minutes(style="発言録"), approved=False)))
    assert "1　発言録" in record and "○佐藤委員　要配慮者向けの備蓄はどうなっていますか。〔発言4〕" in record


def test_source_turns_are_set_smaller_than_the_point():
    document = _open(render_minutes_docx(minutes(), approved=True))
    point = next(p for p in document.paragraphs if p.text.startswith("・本案は原案"))
    text_run, ref_run = point.runs[-2], point.runs[-1]
    assert ref_run.text == "〔発言6〕" and ref_run.font.size.pt < 10.5
    assert text_run.font.size is None  # the body size of the style


def test_speech_keeps_continuation_paragraphs_of_a_turn():
    record = [
        Turn(index=6, speaker="発言者不明", text="出席議員　百二十三名"),
        Turn(
            index=7,
            speaker="○議長（山田太郎君）",
            text="これより会議を開きます。\n日程第一を議題といたします。",
        ),
    ]
    verbatim = minutes(record=record, speakers=[], qa=[], agenda=[], style="発言録")
    texts = _texts(_open(render_minutes_docx(verbatim, approved=True)))
    assert "○議長（山田太郎君）　これより会議を開きます。〔発言7〕" in texts
    assert "出席議員　百二十三名〔発言6〕" in texts  # no speaker: printed as written, without 「○」
    assert "　日程第一を議題といたします。" in texts


def test_marks_in_the_header_follow_approval_and_classification():
    draft = _open(render_minutes_docx(minutes(), approved=False))
    assert _header_text(draft) == "案\t機密性２"
    assert draft.core_properties.title == "（案）総務委員会　議事録"
    approved = _open(render_minutes_docx(minutes(), approved=True))
    assert _header_text(approved) == "\t機密性２" and approved.core_properties.title == "総務委員会　議事録"
    public = _open(render_minutes_docx(minutes(classification=1), approved=True))
    assert _header_text(public) == ""
    footer = public.sections[0].footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and footer.alignment == WD_ALIGN_PARAGRAPH.CENTER


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None or PDFTOPPM is None, reason=MISSING)
def test_rendered_pages_show_the_marks_and_the_page_number(tmp_path):
    """As printed: LibreOffice lays the minutes out on A4 with 案 and 機密性２ on every page and 「- 1 -」 below."""
    path = tmp_path / "議事録.docx"
    path.write_bytes(render_minutes_docx(minutes(), approved=False))
    pages = docx_to_png(path, tmp_path / "render")
    assert len(pages) >= 1 and pages[0].stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(tmp_path / "render" / "議事録.pdf"), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        for page in text.split("\f"):
            if page.strip():
                first = next(line for line in page.splitlines() if line.strip())
                assert first.split() == ["案", "機密性２"]
        squeezed = text.replace(" ", "")
        assert "総務委員会議事録" in squeezed and "-1-" in squeezed
