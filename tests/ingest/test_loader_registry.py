"""The loader registry: dispatch by extension, relative sources, and the errors for unreadable files."""

from __future__ import annotations

import pytest

from core.errors import UnsupportedFile
from ingest.loaders import SUPPORTED_EXTENSIONS, load_file
from tests.builders.office import write_xlsx
from tests.builders.records import SAMPLE_RECORDS, write_records_xlsx


def test_supported_extensions_cover_every_format():
    expected = {".pdf", ".docx", ".xlsx", ".pptx", ".html", ".htm", ".md", ".txt", ".csv", ".jsonl"}
    assert expected <= SUPPORTED_EXTENSIONS


def test_source_is_relative_to_root_as_posix(tmp_path):
    folder = tmp_path / "規程" / "総務"
    folder.mkdir(parents=True)
    (folder / "通知.txt").write_text("在宅勤務について\n事前に承認を受けること。\n", encoding="utf-8")
    [doc] = load_file(folder / "通知.txt", root=tmp_path)
    assert doc.source == "規程/総務/通知.txt"
    assert doc.title == "在宅勤務について"


def test_unknown_extension_is_unsupported(tmp_path):
    path = tmp_path / "drawing.dwg"
    path.write_bytes(b"AC1027")
    with pytest.raises(UnsupportedFile, match=r"'\.dwg'.*Supported types"):
        load_file(path)


def test_legacy_office_format_says_how_to_convert(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnsupportedFile, match=r"\.docx"):
        load_file(path)


@pytest.mark.parametrize("name", ["scan.txt", "notes.md", "records.csv"])
def test_binary_file_with_a_text_extension_is_unsupported(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02binary\xff\xfe\x00" * 10)
    with pytest.raises(UnsupportedFile, match="binary"):
        load_file(path)


def test_xlsx_is_read_as_records_only_when_its_header_maps(tmp_path):
    records = write_records_xlsx(tmp_path / "照会.xlsx", SAMPLE_RECORDS)
    table = write_xlsx(tmp_path / "予算.xlsx", {"予算": [["区分", "金額"], ["総務費", 100]]})
    assert {doc.doc_type for doc in load_file(records)} == {"inquiry"}
    assert {doc.doc_type for doc in load_file(table)} == {"policy"}
