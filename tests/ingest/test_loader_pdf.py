"""PDF loader: one Document per page with text; encrypted, damaged and image-only files are refused."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from ingest.loaders import load_file
from tests.builders.office import encrypt_pdf, truncate, write_pdf


def test_one_document_per_page_with_page_numbers_and_japanese_text(tmp_path):
    path = write_pdf(
        tmp_path / "通知.pdf", ["在宅勤務の実施について\n令和7年12月24日", "", "第3ページの本文"]
    )
    docs = load_file(path, root=tmp_path)
    assert [doc.page for doc in docs] == [1, 3]  # the page without text is skipped, numbering kept
    assert "在宅勤務の実施について" in docs[0].text
    assert "令和7年12月24日" in docs[0].text
    assert docs[1].text == "第3ページの本文"
    assert {doc.source for doc in docs} == {"通知.pdf"}


def test_title_from_metadata_else_first_line(tmp_path):
    titled = write_pdf(tmp_path / "a.pdf", ["本文"], title="文書管理要領")
    untitled = write_pdf(tmp_path / "b.pdf", ["公印規程の改正について\n本文"])
    assert load_file(titled)[0].title == "文書管理要領"
    assert load_file(untitled)[0].title == "公印規程の改正について"


def test_encrypted_pdf_is_refused(tmp_path):
    path = write_pdf(tmp_path / "secret.pdf", ["秘密の本文"], user_password="secret")
    with pytest.raises(CorruptFile, match="password"):
        load_file(path)


def test_pdf_with_empty_user_password_opens(tmp_path):
    path = write_pdf(tmp_path / "restricted.pdf", ["印刷制限付きの文書"], user_password="")
    assert load_file(path)[0].text == "印刷制限付きの文書"


def test_aes_encrypted_pdfs(tmp_path):
    pytest.importorskip("cryptography")
    restricted = encrypt_pdf(write_pdf(tmp_path / "aes.pdf", ["編集制限付き"]), user_password="")
    locked = encrypt_pdf(write_pdf(tmp_path / "locked.pdf", ["秘密"]), user_password="secret")
    assert load_file(restricted)[0].text == "編集制限付き"
    with pytest.raises(CorruptFile, match="password"):
        load_file(locked)


def test_pdf_without_text_needs_ocr(tmp_path):
    path = write_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(CorruptFile, match="OCR is not supported"):
        load_file(path)


def test_corrupt_and_truncated_pdfs_are_refused(tmp_path):
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a pdf at all")
    truncated = truncate(write_pdf(tmp_path / "cut.pdf", ["本文"] * 3), 0.3)
    for path in (garbage, truncated):
        with pytest.raises(CorruptFile):
            load_file(path)


def test_wrapped_lines_are_joined_but_items_and_sentence_ends_kept():
    from ingest.loaders.pdf import join_wrapped_lines

    text = (
        "マイナンバーカードの交付申請には、通知カードと本人確認書類のほか、写真が必要で\n"
        "す。窓口での受取の際は、本人が来庁してください。なお、代理人による受取は原則と\n"
        "して認めない。\n"
        "・住民票の写し\n"
        "・本人確認書類"
    )
    joined = join_wrapped_lines(text).splitlines()
    assert joined[0].endswith("原則として認めない。")
    assert joined[1:] == ["・住民票の写し", "・本人確認書類"]
