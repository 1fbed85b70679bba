"""A chat answer saved as Word: the question, the answer, its sources with 機密性 and 閲覧範囲, the model, and
the 「機密性２」 label in the page header from level 2."""

from __future__ import annotations

from io import BytesIO

from assistant.exports.answer_docx import render_answer_docx

ANSWER = {
    "text": "資料によれば、次のとおりです。\n・転入届には、転出証明書を添付しなければならない。[1]",
    "citations": [
        {
            "n": 1, "chunk_id": "c1", "title": "転入届事務の手引き", "source": "docs/手引き.pdf", "location": "p.3",
            "quote": "転入届には、転出証明書を添付しなければならない。", "classification": 2, "groups": ["総務課"],
        },
        {
            "n": 2, "chunk_id": "c2", "title": "窓口案内", "source": "docs/窓口.md", "location": "受付",
            "quote": "窓口は市民課です。", "classification": 1, "groups": [],
        },
    ],
    "backend": "bedrock/claude-haiku-4-5",
    "mode": "llm",
}  # fmt: skip


def _read(data: bytes):
    from docx import Document

    return Document(BytesIO(data))


def test_the_answer_its_sources_and_labels_are_in_the_document():
    document = _read(render_answer_docx("転入届に添付する書類は", ANSWER, 2))
    body = [p.text for p in document.paragraphs]
    assert "".join(p.text for p in document.sections[0].header.paragraphs) == "\t機密性２"
    assert body[0] == "質問と回答" and "転入届に添付する書類は" in body
    assert "・転入届には、転出証明書を添付しなければならない。[1]" in body
    assert "［1］転入届事務の手引き　p.3" in body and "機密性２　閲覧範囲：総務課" in body
    assert "［2］窓口案内　受付" in body and "機密性１　閲覧範囲：全職員" in body
    assert "回答の作成：bedrock/claude-haiku-4-5" in body


def test_level_1_is_not_stamped_and_an_extractive_answer_says_so():
    document = _read(render_answer_docx("質問", ANSWER | {"mode": "extractive", "citations": []}, 1))
    assert "".join(p.text for p in document.sections[0].header.paragraphs) == ""
    assert any(p.text.startswith("抽出モード") for p in document.paragraphs)
    assert not any(p.text == "【出典】" for p in document.paragraphs)
