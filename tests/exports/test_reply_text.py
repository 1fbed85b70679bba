"""The plain-text export follows the same rules as the DOCX: 「案」 and the 機密性 label on its first line,
right-aligned 文書番号, 日付, 発信者 and 担当, centred 件名 and 記."""

from __future__ import annotations

from assistant.exports import render_reply_text
from assistant.exports.reply_text import WIDTH, display_width
from tests.builders.replies import reply_draft


def test_text_of_a_draft():
    text = render_reply_text(reply_draft(), approved=False)
    lines = text.splitlines()
    assert lines[0].startswith("【案】") and lines[0].endswith("機密性２")
    assert display_width(lines[0]) == WIDTH * 2
    right = [line for line in lines if line.strip() in ("○○第　　号", "令和7年4月20日", "みなと市長", "以上")]
    assert len(right) == 4 and all(display_width(line) == WIDTH * 2 for line in right)
    title = next(line for line in lines if line.strip() == "会計年度任用職員の休暇制度について（回答）")
    margin = display_width(title) - display_width(title.strip())
    assert abs(margin - (WIDTH * 2 - display_width(title.strip())) // 2) <= 1  # centred
    assert "1　夏季休暇の付与日数を伺います。" in lines
    assert "　（要確認）休暇の繰越しについて記載した資料が見当たらない。" in lines
    assert lines[-1].strip() == "電話：03-0000-0000（内線123）"
    assert text.index("【根拠】") < text.index("【要確認事項】") < text.index("以上")


def test_approved_text_has_no_mark():
    assert not render_reply_text(reply_draft(), approved=True).startswith("【案】")
    assert (
        render_reply_text(reply_draft(classification=1), approved=True).splitlines()[0].strip()
        == "○○第　　号"
    )
