"""Text decoding: BOMs, UTF-8, cp932 (Shift_JIS with NEC/IBM extensions), ISO-2022-JP, binary files."""

from __future__ import annotations

import pytest

from core.errors import UnsupportedFile
from ingest.encoding import decode_bytes, read_text

TEXT = "令和7年度　①公文書の管理について（髙橋課長）\n保存期間は三十年とする。\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16", "iso2022_jp_ext"])
def test_read_text_decodes_common_japanese_encodings(tmp_path, encoding):
    text = TEXT if encoding != "iso2022_jp_ext" else "公文書の管理について\n保存期間は三十年とする。\n"
    path = tmp_path / "memo.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text


def test_short_shift_jis_prefers_cp932_over_other_legacy_guesses():
    assert decode_bytes("総務課".encode("cp932")) == "総務課"
    assert decode_bytes("回答".encode("cp932")) == "回答"


def test_euc_jp_is_recognised():
    assert decode_bytes("カタカナ語と漢字の文書".encode("euc_jp")) == "カタカナ語と漢字の文書"


def test_declared_encoding_is_used_and_shift_jis_means_cp932():
    data = "①番目の項目".encode("cp932")
    assert decode_bytes(data, declared="Shift_JIS") == "①番目の項目"


def test_wrong_declared_encoding_falls_back_to_detection():
    assert decode_bytes("公文書".encode(), declared="shift_jis") == "公文書"


def test_nul_bytes_mean_binary(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(UnsupportedFile, match="binary"):
        read_text(path)


def test_control_characters_mean_binary():
    with pytest.raises(UnsupportedFile, match="binary"):
        decode_bytes(bytes(range(1, 32)) * 20)


def test_empty_file_is_empty_text(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert read_text(path) == ""
