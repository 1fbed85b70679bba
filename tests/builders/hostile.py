"""Hostile files, generated small on disk: what an attacker or a broken export would hand the loaders.

Each builder writes one file and returns its path; sizes are parameters, so tests keep them small (with small
limits) and benchmarks/hostile_files.py can build them at the sizes of the issue.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
BLOCK = 1 << 20


def _rewrite_member(path: Path, member: str, parts: Iterable[bytes]) -> Path:
    """Replace one member of a zip archive by streamed `parts` (deflated), keeping the others."""
    original = path.with_suffix(path.suffix + ".orig")
    path.rename(original)
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == member:
                entry = zipfile.ZipInfo(member)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with target.open(entry, "w", force_zip64=True) as out:
                    for part in parts:
                        out.write(part)
            else:
                target.writestr(info, source.read(info.filename), zipfile.ZIP_DEFLATED)
    original.unlink()
    return path


def _blocks(unit: bytes, count: int) -> Iterator[bytes]:
    per_block = max(BLOCK // len(unit), 1)
    while count > 0:
        n = min(per_block, count)
        yield unit * n
        count -= n


def _docx(path: Path, body: Iterable[bytes], prolog: bytes = b"") -> Path:
    import docx

    docx.Document().save(str(path))
    head = prolog + f'<w:document xmlns:w="{W_NS}"><w:body>'.encode()
    return _rewrite_member(path, "word/document.xml", [head, *body, b"</w:body></w:document>"])


def docx_many_paragraphs(path: Path, paragraphs: int) -> Path:
    """Millions of one-letter paragraphs: a few hundred KB on disk, gigabytes as a parsed tree."""
    return _docx(path, _blocks(b"<w:p><w:r><w:t>a</w:t></w:r></w:p>", paragraphs))


def docx_zip_bomb(path: Path, unpacked_mb: int) -> Path:
    """One paragraph followed by `unpacked_mb` MB of whitespace: it deflates about 1000 to 1."""
    paragraph = b"<w:p><w:r><w:t>zip bomb</w:t></w:r></w:p>"
    return _docx(path, [paragraph, *_blocks(b" " * 1024, unpacked_mb * 1024)])


def pad_archive(path: Path, unpacked_mb: int) -> Path:
    """Add a member of `unpacked_mb` MB of whitespace to any DOCX/XLSX/PPTX (about 1 KB per MB on disk)."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("customXml/padding.xml")
        entry.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(entry, "w", force_zip64=True) as out:
            for part in _blocks(b" " * 1024, unpacked_mb * 1024):
                out.write(part)
    return path


def docx_deep_xml(path: Path, depth: int) -> Path:
    """Word XML nested `depth` levels deep (smart tags inside smart tags)."""
    opening, closing = b"<w:smartTag>" * depth, b"</w:smartTag>" * depth
    return _docx(path, [b"<w:p>", opening, b"<w:r><w:t>deep</w:t></w:r>", closing, b"</w:p>"])


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>"
)


def docx_billion_laughs(path: Path) -> Path:
    """Entity expansion: nine levels of ten references each, a billion 'lol's if expanded."""
    return _docx(path, [b"<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>"], prolog=LAUGHS)


def docx_xxe(path: Path, secret: Path) -> Path:
    """An external entity that would pull a local file into the text."""
    prolog = f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
    return _docx(path, [b"<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>"], prolog=prolog)


def xlsx_merged_everywhere(path: Path, merge: str = "A1:XFD1048576") -> Path:
    """A small sheet whose one merged range covers every cell of the sheet (and says so in <dimension>)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["区分", "金額"])
    sheet.append(["庁舎管理費", 1200])
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    xml = xml.replace(b'<dimension ref="A1:B2"/>', f'<dimension ref="{merge}"/>'.encode())
    xml = xml.replace(
        b"</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells>'.encode()
    )
    return _rewrite_member(path, "xl/worksheets/sheet1.xml", [xml])


def xlsx_billion_laughs(path: Path) -> Path:
    """A worksheet whose one cell is an entity that expands to a billion 'lol's."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["x"])
    workbook.save(path)
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return _rewrite_member(path, "xl/worksheets/sheet1.xml", [LAUGHS, sheet])


def deep_html(path: Path, depth: int) -> Path:
    """`depth` nested <div>s around one sentence."""
    path.write_bytes(
        b"<html><body>" + b"<div>" * depth + "深い入れ子".encode() + b"</div>" * depth + b"</body></html>"
    )
    return path


def long_line_text(path: Path, chars: int) -> Path:
    """Japanese sentences without a single line break."""
    sentence = "住民票の写しの交付手数料は一通につき三百円です。"
    text = (sentence * (chars // len(sentence) + 1))[:chars]
    path.write_text(text, encoding="utf-8")
    return path


def blank_pdf(path: Path, pages: int, text_on_last: str | None = None) -> Path:
    """`pages` empty pages (the last one may carry a line of text)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(pages):
        if text_on_last and number == pages - 1:
            pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
            pdf.setFont("HeiseiKakuGo-W5", 12)
            pdf.drawString(72, 720, text_on_last)
        pdf.showPage()
    pdf.save()
    return path
