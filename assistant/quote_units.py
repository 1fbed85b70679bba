"""The quotable units of a chunk, as the offline generator reads them: sentences, list items grouped with what
introduces them, and table rows read 「見出し：値、…」 under their header (`extractive.py` scores and picks them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.table_rows import cells, table_rows
from core.sentences import CLOSERS, TERMINATORS, split_sentences

HEADING_LIKE = 20  # a line this short without closing punctuation reads as a heading (「必要な書類」)
WORD_ITEM = 80  # an unmarked line up to this long after 「次の…」 or a colon is a (Word) list item

_BULLET = re.compile(r"^\s*(?:[・●○◆◇■□]\s*|[-*]\s+|\d{1,3}[.．]\s+|\d{1,3}[)）]\s*|[（(]\d{1,3}[)）]\s*)")
_HEADING = re.compile(r"^\s*#{1,6}\s")
DROP = re.compile(r"[\s\W_]+")
_DEFINITION = re.compile(
    r"^[^。：:|]{1,24}[：:]\S"
)  # a definition-list line: a short term, a colon, its text
_INTRO = re.compile(r"(?:次|以下|下記)の|(?:次|以下|下記)のとおり|[：:]\s*$")


def _ends_open(line: str) -> bool:
    """A line that looks hard-wrapped (long, no closing punctuation) continues on the next line."""
    return len(line) >= 25 and line[-1] not in TERMINATORS + CLOSERS + "：:"


@dataclass
class Part:
    text: str
    group: int | None = None  # the list it belongs to (its introducing unit and its items share it)
    row: bool = False  # a table row
    raw: str = ""  # a table row as written
    header: str = ""  # its table's header and separator lines
    key: str = ""  # a table row's first cell: what the row is about


def _introduces(text: str) -> bool:
    """A unit that announces a list or table: 「次の…」「以下の…」「下記の…」, a final colon, or a short
    heading-like line such as 「必要な書類」."""
    text = text.strip()
    return bool(
        _INTRO.search(text)
        or text.endswith(("：", ":"))
        or (len(text) <= HEADING_LIKE and text[-1] not in TERMINATORS + CLOSERS)
    )


def _word_item(line: str) -> bool:
    """An unmarked line read as a list item after an explicit introduction (Word list paragraphs lose
    their numbers in the DOCX text): short, and not a finished sentence."""
    return len(line) <= WORD_ITEM and line[-1] not in TERMINATORS + "：:"


def quote_parts(text: str) -> list[Part]:
    """The quotable units of one chunk in reading order, each list item and table row grouped with the
    unit that introduces it (or with the heading right above it)."""
    parts: list[Part] = []
    table: list[str] = []
    prose = ""
    item = False  # `prose` is a list item's text
    group: int | None = None  # the list open at this point
    groups = 0
    after_heading = False  # nothing quotable since the last heading
    line_start = 0  # where the units of the last paragraph begin in `parts`

    def open_group(explicit: bool) -> int | None:
        # a list opens after the unit that introduces it, or right under a heading
        nonlocal groups
        last = parts[-1] if parts else None
        if last is not None and not after_heading and last.group is None:
            if (
                _introduces(last.text)
                if not explicit
                else (_INTRO.search(last.text) or last.text.endswith(("：", ":")))
            ):
                groups += 1
                last.group = groups
                return groups
            # 「交付申請は、次のいずれかの方法で行うことができます。申請から…かかります。」: the introducing
            # sentence need not be the last one of its paragraph
            intro = next((p for p in parts[line_start:] if p.group is None and _INTRO.search(p.text)), None)
            if intro is not None:
                groups += 1
                intro.group = groups
                return groups
            return None
        if after_heading and not explicit:
            groups += 1
            return groups
        return None

    def flush() -> None:
        nonlocal prose, item, group, after_heading, line_start
        sentences = [s for s in split_sentences(prose) if DROP.sub("", s)]
        if sentences:
            if not item:
                group = None
            line_start = len(parts)
            parts.extend(Part(s, group if item else None) for s in sentences)
            after_heading = False
        prose, item = "", False

    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if line.startswith("|"):
            flush()
            table.append(line)
            continue
        if table:
            if group is None:
                group = open_group(explicit=False)
            rows = [r for r in table_rows(table) if DROP.sub("", r[0])]
            parts.extend(
                Part(u, group, row=True, raw=raw, header=head, key=cells(raw)[0]) for u, raw, head in rows
            )
            after_heading = after_heading and not rows
            table = []
        if not line:
            flush()
            continue
        if _HEADING.match(line):
            flush()
            group, after_heading = None, True
            continue
        if _BULLET.match(line):
            flush()
            if group is None:
                group = open_group(explicit=False)
            item = True
        elif not prose and _DEFINITION.match(line):  # 「郵便による申請：…」 under an introduction
            flush()
            if group is None:
                group = open_group(explicit=True)
            item = group is not None
        elif not prose and _word_item(line):
            if group is None:
                group = open_group(explicit=True)
            if group is not None:  # one line, one item: not joined with the next
                prose, item = line, True
                flush()
                continue
        prose += _BULLET.sub("", line)
        if not _ends_open(prose):
            flush()
    flush()
    return parts


def chunk_units(text: str) -> list[str]:
    """The quotable units of one chunk, in reading order (headings and separators left out); list
    items are units of their own, and table rows read `見出し：値、…` with the header's unit kept."""
    return [p.text for p in quote_parts(text)]
