"""The sample corpus writer (ingest.sample): every format, real encodings and structures, labels, determinism."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from ingest.sample import write_sample_corpus
from ingest.sample.__main__ import main
from ingest.sample.inquiry_model import COLUMNS

FORMATS = {".pdf", ".docx", ".xlsx", ".pptx", ".html", ".md", ".txt", ".csv", ".jsonl"}
BUDGET_XLSX = "内部/令和6年度事業別予算・窓口手続件数.xlsx"
CSV_RECORDS = "照会回答/照会回答記録_令和6年度上期.csv"
XLSX_RECORDS = "照会回答/照会回答記録_令和6年度下期.xlsx"
JSONL_RECORDS = "照会回答/照会回答記録_令和7年度.jsonl"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("sample")
    return root, write_sample_corpus(root)


def _content_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _csv_rows(root: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((root / CSV_RECORDS).read_bytes().decode("cp932"), newline="")))


def test_writes_every_supported_format_and_returns_the_paths(corpus):
    root, paths = corpus
    assert all(p.is_file() for p in paths)
    assert set(paths) == {p for p in root.rglob("*") if p.is_file()}
    assert FORMATS <= {p.suffix for p in paths}
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "架空の自治体" in readme and "みなと市" in readme


def test_output_is_byte_identical_across_runs(corpus, tmp_path):
    root, paths = corpus
    again = write_sample_corpus(tmp_path)
    assert [p.relative_to(tmp_path) for p in again] == [p.relative_to(root) for p in paths]
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_cp932_files_are_really_shift_jis(corpus):
    root, _ = corpus
    for rel in (CSV_RECORDS, "通知/事務連絡_会計年度任用職員の休暇等の取扱い.txt"):
        raw = (root / rel).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert "について" in raw.decode("cp932")
        assert b"\r\n" in raw, "Windows line ends, as such files usually have"
    rows = _csv_rows(root)
    assert rows[0] == COLUMNS
    assert len(rows) == 26 and all(len(row) == len(COLUMNS) for row in rows)
    assert any("\n" in cell for row in rows for cell in row), "a quoted multi-line cell, as Excel exports"


def test_budget_workbook_has_merged_two_row_header_blank_row_and_blank_column(corpus):
    import openpyxl

    wb = openpyxl.load_workbook(corpus[0] / BUDGET_XLSX)
    assert wb.sheetnames == ["事業別予算", "窓口手続件数"]
    budget = wb["事業別予算"]
    merged = {str(r) for r in budget.merged_cells.ranges}
    assert {"D3:E3", "F3:G3", "A3:A4"} <= merged
    assert budget["F3"].value == "令和6年度"
    assert (budget["F4"].value, budget["G4"].value) == ("予算額", "決算額")
    assert any(str(r).startswith("A5:A") for r in budget.merged_cells.ranges), "款 merged down its rows"
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(min_row=5, values_only=True))
        assert any(all(v is None for v in row) for row in rows[:-1]), f"{ws.title}: blank row inside the data"
        blank_column = [
            c
            for c in range(1, ws.max_column + 1)
            if all(ws.cell(r, c).value is None for r in range(1, ws.max_row + 1))
        ]
        assert blank_column, f"{ws.title}: a blank column"


def test_pdf_has_pages_whose_japanese_text_extracts(corpus):
    from pypdf import PdfReader

    reader = PdfReader(next(corpus[0].glob("計画/*.pdf")))
    assert len(reader.pages) >= 2
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for phrase in (
        "行政手続オンライン化推進計画",
        "マイナンバーカード",
        "書かない窓口",
        "住民票の写しの交付",
    ):
        assert phrase in text
    assert reader.metadata.title.startswith("みなと市行政手続オンライン化推進計画")
    assert reader.metadata.creation_date.year == 2024


def test_docx_has_heading_styles_and_a_table(corpus):
    import docx

    for path in corpus[0].glob("通知/*.docx"):
        document = docx.Document(path)
        styles = {p.style.name for p in document.paragraphs}
        assert {"Heading 1", "Title"} <= styles
        assert document.tables and len(document.tables[0].rows) >= 3
    telework = docx.Document(corpus[0] / "通知/テレワーク勤務の実施について.docx")
    assert "Heading 2" in {p.style.name for p in telework.paragraphs}


def test_pptx_has_slides_a_table_and_speaker_notes(corpus):
    import pptx

    deck = pptx.Presentation(next(corpus[0].glob("会議/*.pptx")))
    slides = list(deck.slides)
    assert len(slides) >= 4
    assert any(shape.has_table for slide in slides for shape in slide.shapes)
    assert all(slide.has_notes_slide and slide.notes_slide.notes_text_frame.text for slide in slides)


def test_html_wraps_main_text_in_site_boilerplate(corpus):
    html = (corpus[0] / "手続案内/マイナンバーカードの申請と受け取り.html").read_text(encoding="utf-8")
    for tag in ("<header", "<nav", "<main", "<footer", "<table"):
        assert tag in html
    assert "交付申請に必要な書類" in html


def test_markdown_guideline_has_headings_and_a_table(corpus):
    text = (corpus[0] / "ガイドライン/生成AI利用ガイドライン.md").read_text(encoding="utf-8")
    assert text.startswith("# ") and "\n## " in text
    assert re.search(r"^\| --- \|", text, re.M)
    for topic in ("機密性", "個人情報", "出典"):
        assert topic in text


def test_ordinance_follows_egov_layout(corpus):
    lines = (corpus[0] / "例規/みなと市情報公開条例.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "みなと市情報公開条例"
    assert re.fullmatch(r"（.+条例第.+号）", lines[1])
    text = "\n".join(lines)
    for pattern in (r"^　+第一章　総則$", r"^（目的）\n第一条　", r"^２　", r"^三　", r"^　+附　則"):
        assert re.search(pattern, text, re.M), pattern


def test_inquiry_records_are_split_over_three_formats_with_mixed_dates(corpus):
    import openpyxl

    root, _ = corpus
    csv_rows = [dict(zip(COLUMNS, row, strict=True)) for row in _csv_rows(root)[1:]]
    sheet = openpyxl.load_workbook(root / XLSX_RECORDS).active
    header, *body = sheet.iter_rows(values_only=True)
    assert list(header) == COLUMNS
    xlsx_rows = [dict(zip(COLUMNS, row, strict=True)) for row in body]
    jsonl_rows = [
        json.loads(line) for line in (root / JSONL_RECORDS).read_text(encoding="utf-8").splitlines()
    ]
    assert (len(csv_rows), len(xlsx_rows), len(jsonl_rows)) == (25, 15, 10)
    records = csv_rows + xlsx_rows + jsonl_rows
    assert len({r["番号"] for r in records}) == 50
    dates = [str(r[key]) for r in records for key in ("照会日", "回答日")]
    for style in (
        r"^令和\d+年\d+月\d+日$",
        r"^R\d+\.\d+\.\d+$",
        r"^令\d+・\d+・\d+$",
        r"^\d{4}-\d{2}-\d{2}$",
    ):
        assert any(re.match(style, d) for d in dates), style
    assert any(hasattr(r["照会日"], "year") for r in xlsx_rows), "some dates are real Excel date cells"
    everything = json.dumps(records, ensure_ascii=False, default=str)
    for personal in ("03-1234-5678", "example.lg.jp", "〒105-0011"):
        assert personal in everything
    leave = [r for r in records if r["区分"] == "会計年度任用職員" and "休暇" in r["件名"]]
    assert len(leave) >= 3
    assert {
        "住民記録",
        "戸籍",
        "税",
        "介護保険",
        "児童手当",
        "マイナンバーカード",
        "情報公開",
        "文書管理",
        "公印",
    } <= {r["区分"] for r in records}


def test_sidecars_label_the_internal_and_secret_folders(corpus):
    from ingest.labels import LabelResolver, Labels

    root, _ = corpus
    sidecars = sorted(p.relative_to(root).as_posix() for p in root.rglob(".yakuba.json"))
    assert sidecars == ["内部/.yakuba.json", "機密/.yakuba.json"]
    internal = json.loads((root / "内部/.yakuba.json").read_text(encoding="utf-8"))
    assert internal == {"classification": 2, "groups": ["財政課", "総務課"]}
    secret = json.loads((root / "機密/.yakuba.json").read_text(encoding="utf-8"))
    assert secret == {"classification": 3, "groups": ["総務課"]}
    resolver = LabelResolver(root, Labels())
    assert resolver.labels_for(root / BUDGET_XLSX) == Labels(2, ("総務課", "財政課"))
    assert len(list((root / "内部").glob("*.txt"))) == 1, "one internal memo beside the budget"
    assert resolver.labels_for(next((root / "機密").glob("*.txt"))).classification == 3
    assert resolver.labels_for(root / "README.md") == Labels()


def test_every_sample_file_loads(corpus):
    loaders = pytest.importorskip("ingest.loaders", reason="ingest.loaders is not importable yet")
    root, _ = corpus
    inquiries = 0
    for path in _content_files(root):
        documents = loaders.load_file(path, root=root)
        assert documents and all(d.text.strip() for d in documents), path.name
        inquiries += sum(d.doc_type == "inquiry" for d in documents)
    assert inquiries == 50


def test_command_line_writes_the_corpus(tmp_path, capsys):
    assert main([str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "計画/みなと市行政手続オンライン化推進計画.pdf" in out
    assert (tmp_path / "out" / "内部" / ".yakuba.json").is_file()
