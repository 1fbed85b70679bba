"""The reply DOCX: the official layout (文書番号 and 日付 right, 宛先, 発信者 right, 件名 centred, 記 centred,
numbered answers, 根拠, 要確認事項, 担当 bottom right), 「案」 on drafts not approved, the 機密性 label from level 2."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from assistant.exports import render_reply_docx
from tests.builders.replies import reply_draft
from tests.support.render import MISSING, PDFTOPPM, SOFFICE, docx_to_png


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _body(document) -> list[tuple[str, object]]:
    return [(p.text, p.alignment) for p in document.paragraphs if p.text]


def _header_text(document) -> str:
    return "".join(p.text for p in document.sections[0].header.paragraphs)


def test_layout_of_a_draft_follows_the_official_form():
    document = _open(render_reply_docx(reply_draft(), approved=False))
    body = _body(document)
    texts = [t for t, _ in body]
    align = dict(body)
    assert texts[0] == "○○第　　号" and align["○○第　　号"] == WD_ALIGN_PARAGRAPH.RIGHT
    assert texts[1] == "令和7年4月20日" and align["令和7年4月20日"] == WD_ALIGN_PARAGRAPH.RIGHT
    assert texts[2] == "東京都総務局長　様" and align["東京都総務局長　様"] == WD_ALIGN_PARAGRAPH.LEFT
    assert texts[3:5] == ["みなと市長", "（総務部人事課）"]
    assert align["みなと市長"] == WD_ALIGN_PARAGRAPH.RIGHT
    assert texts[5] == "会計年度任用職員の休暇制度について（回答）"
    assert align[texts[5]] == WD_ALIGN_PARAGRAPH.CENTER
    assert texts[6].startswith("　令和7年4月10日付け6総行区第123号")
    assert texts[7] == "記" and align["記"] == WD_ALIGN_PARAGRAPH.CENTER
    # One numbered answer per question item, in order; the unsupported one is marked 要確認, not invented.
    assert texts[8:14] == [
        "1　夏季休暇の付与日数を伺います。",
        "（回答）夏季休暇は、7月から9月までの間において3日としている[1]。",
        "2　病気休暇の有給・無給の別を伺います。",
        "（回答）病気休暇は有給としている。ただし、任期が6月未満の者は無給としている[2]。",
        "3　休暇の繰越しの可否を伺います。",
        "（要確認）休暇の繰越しについて記載した資料が見当たらない。",
    ]
    assert texts[14] == "【根拠】"
    assert texts[15] == "[1] 会計年度任用職員の勤務条件に関する規則　第8条（令和6年4月1日）"
    assert texts[17] == (
        "[2] 病気休暇の取扱いについて　照会記録 第15行"
        "（過去の回答、令和5年11月2日、照会元：大阪府総務部、所管課：人事課、機密性２）"
    )
    assert "【要確認事項】" in texts
    # 以上, then 担当 at the bottom right, one field a line.
    assert texts[-3:] == ["以上", "担当：人事課給与係", "電話：03-0000-0000（内線123）"]
    assert all(align[t] == WD_ALIGN_PARAGRAPH.RIGHT for t in texts[-3:])


def test_draft_not_approved_carries_an_and_its_classification_in_the_header():
    document = _open(render_reply_docx(reply_draft(), approved=False))
    header = _header_text(document)
    assert header.startswith("案") and header.endswith("機密性２")
    assert document.core_properties.title.startswith("（案）")


def test_approved_reply_has_no_mark_and_level_1_has_no_label():
    approved = _open(render_reply_docx(reply_draft(), approved=True))
    assert _header_text(approved) == "\t機密性２"
    assert "案" not in approved.core_properties.title
    public = _open(render_reply_docx(reply_draft(classification=1), approved=True))
    assert _header_text(public) == ""
    level3 = _open(render_reply_docx(reply_draft(classification=3), approved=False))
    assert _header_text(level3) == "案\t機密性３"


def test_draft_without_sources_or_open_points_says_so():
    draft = reply_draft(sources=[], open_points=[], items=reply_draft().items[:1])
    texts = [t for t, _ in _body(_open(render_reply_docx(draft, approved=False)))]
    assert "【根拠】" in texts and "引用した資料はない。" in texts
    assert "【要確認事項】" not in texts


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None or PDFTOPPM is None, reason=MISSING)
def test_rendered_page_shows_the_marks(tmp_path):
    """The document as printed: LibreOffice lays it out on one A4 page with 案 and 機密性２ on it."""
    path = tmp_path / "回答案.docx"
    path.write_bytes(render_reply_docx(reply_draft(), approved=False))
    pages = docx_to_png(path, tmp_path / "render")
    assert len(pages) == 1 and pages[0].stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(tmp_path / "render" / "回答案.pdf"), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        first = next(line for line in text.splitlines() if line.strip())
        assert first.split() == ["案", "機密性２"]
        assert "会計年度任用職員の休暇制度について（回答）" in text
