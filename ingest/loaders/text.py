"""Markdown and plain-text loaders (encoding detected by ingest/encoding.py).

Markdown: ATX headings (`#` … `######`) build the section path; tables stay as their Markdown rows.
Markdown laid out as law (### 第5条) and plain text laid out as a statute go to statute.py.
Plain text: the whole file is one Document. Its title is read from the heading block (the lines
before the body starts): a subject line (件名, ending in について or について（通知）…) is preferred,
generic header lines are skipped (事務連絡, 通知, 記, 別紙, dates, 文書番号 such as み総第123号,
addressees such as 各課長 様, senders such as 総務部長, 【機密性２】 markings), and the spaces of
a spaced-out header (事　務　連　絡) are closed up. Without any such line the file name is used.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from core.model import Document
from core.wareki import find_dates
from ingest.encoding import read_text
from ingest.loaders import statute
from ingest.loaders.sections import SectionCollector

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MAX_TITLE = 80
_HEADER_LINES = 12  # the heading block is looked for in this many leading non-blank lines
# Each pattern is matched against the NFKC form of a line with its spaces removed.
_GENERIC = re.compile(
    r"(事務連絡|通知|通知書|依頼|照会|回答|記|別紙|別記|別添|別表|写し?|案|至急|重要|親展|参考|以上)"
    r"[0-9一二三四五六七八九十]*"
)
_DOC_NUMBER = re.compile(r".{0,12}第[0-9一二三四五六七八九十百]+号")  # み総第123号, 人第45号
_ADDRESSEE = re.compile(r".{1,40}(様|殿|各位)")  # 各課長 様, 関係各位
_SENDER = re.compile(  # 総務部総務課長, 総務部人事課給与厚生係, みなと市長 (a unit named in brackets after it)
    r".{0,30}((部|局|課|室|係|センター|事務局|担当)(長|次長|補佐)?|所長|(市|町|村|区)長|知事)(\(.{0,30}\))?"
)
_MARKING = re.compile(
    r"[【\[(（].{0,20}[】\])）].{0,20}|.{0,10}(庁内限り|関係者限り|取扱注意|複製禁止).{0,10}"
)
_SUBJECT = re.compile(r".+について(\(.{1,20}\))?")  # …について, …について（通知）
_DATE_LINE_CHARS = 20
_PARAGRAPH = re.compile(r"^[\u3000 ]\S")  # one space opens a paragraph; more centre or right-align
_NUMBERED = re.compile(
    r"^[\d０-９一二三四五六七八九十]{1,3}[\s\u3000.．、)）]|^[（(][\d０-９一二三四五六七八九十]+[）)]|^第.{1,5}条"
)
_SPACED = re.compile(r"\S(?:[ \u3000]+\S)+")  # single characters set apart by spaces


def load_markdown(path: Path, source: str) -> list[Document]:
    text = read_text(path)
    stem = Path(source).stem
    if statute.looks_like_markdown_law(text):
        return statute.parse_markdown_law(text, source, stem)
    return parse_markdown(text, source)


def load_plain(path: Path, source: str) -> list[Document]:
    text = read_text(path)
    stem = Path(source).stem
    if statute.looks_like_statute(text):
        return statute.parse_statute(text, source, stem)
    body = "\n".join(line.rstrip() for line in text.splitlines()).strip()
    if not body:
        return []
    return [Document(text=body, source=source, title=plain_title(body) or stem)]


def plain_title(text: str) -> str:
    """The title of a plain-text document from its heading block, or "" when it has none."""
    block: list[str] = []
    for raw in [line for line in text.splitlines() if line.strip()][:_HEADER_LINES]:
        if _starts_body(raw):
            break
        block.append(_close_spaced(raw.strip()))
    subject = next((line for line in block if _SUBJECT.fullmatch(_key(line))), None)
    return subject or next((line for line in block if not _is_generic(line)), "")


def _starts_body(line: str) -> bool:
    """An indented paragraph, a sentence, a numbered item or a line too long to be a heading."""
    text = line.strip()
    return (
        bool(_PARAGRAPH.match(line))
        or text.endswith("。")
        or len(text) > _MAX_TITLE
        or bool(_NUMBERED.match(text))
    )


def _close_spaced(line: str) -> str:
    """事　務　連　絡 → 事務連絡: a line of single characters set apart by spaces is closed up."""
    return re.sub(r"[ \u3000]+", "", line) if _SPACED.fullmatch(line) else line


def _key(line: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))


def _is_generic(line: str) -> bool:
    """A document-header line that names no subject: kind, number, date, addressee, sender, marking."""
    key = _key(line)
    if any(p.fullmatch(key) for p in (_GENERIC, _DOC_NUMBER, _ADDRESSEE, _SENDER, _MARKING)):
        return True
    return bool(find_dates(key)) and len(key) <= _DATE_LINE_CHARS


def parse_markdown(text: str, source: str) -> list[Document]:
    sections = SectionCollector(source)
    title = ""
    fenced = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            level, name = len(heading.group(1)), heading.group(2).strip()
            if level == 1 and not title:
                title = name
            sections.heading(level, name)
        elif line.strip():
            sections.add(line)
        else:
            sections.paragraph_break()
    return sections.documents(title or sections.first_heading or Path(source).stem)
