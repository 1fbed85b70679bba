"""Statute loader: one Document per article (条), 項 and 号 kept one per line (`atomic_lines=True`).

Two layouts are read:
- e-Gov plain text: law name, 法令番号 line, chapters (第一章 …, 第一節 …), 附則 and 別表 headings,
  captions （目的） above bare article lines (第十条 / 第十条の二), paragraph numbers and item
  numbers (２, 一, イ) on lines of their own before the indented text, and lines broken wherever the
  old site linked a cross-reference. Hand-typed variants (第十条（目的）, 第十条　本文, ２　本文) also parse.
- Markdown law excerpts as in the Digital Agency's lawqa_jp (## 法令名 / ### 第5条 / #### 第1項 / ##### 第2号).

No library parses e-Gov plain text (the e-Gov API serves XML), hence the hand-written reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.model import Document

_DIGITS = "〇一二三四五六七八九十百千0-9０-９"
_NUMBER = rf"[{_DIGITS}]+"
_ARTICLE_NO = rf"第{_NUMBER}条(?:の{_NUMBER})*"
_ARTICLE_BARE = re.compile(rf"^({_ARTICLE_NO})$")
_ARTICLE_CAPTIONED = re.compile(rf"^({_ARTICLE_NO})\s*(（[^（）。]{{1,40}}）)(?:\s+(\S.*))?$")
_ARTICLE_INLINE = re.compile(rf"^({_ARTICLE_NO})\s+(\S.*)$")
_CAPTION = re.compile(r"^（[^（）。]+）$")
_DIVISION = re.compile(rf"^第{_NUMBER}([編章節款目])\s+\S.*$")  # 第一章　総則 (never bare)
_DIVISION_LEVELS = "編章節款目"
_TOC_RANGE = re.compile(rf"（{_ARTICLE_NO}.*）$")
_SUPPLEMENT = re.compile(r"^附\s*則(?:\s*（[^（）]*）)?(?:\s*抄)?$")
# 別表第一（第三条関係）, 様式第二, 別記様式: a bare 別表 or 様式 is more often a table cell than a heading.
_APPENDIX = re.compile(
    rf"^(?:(?:別表|様式)(?:第{_NUMBER}(?:の{_NUMBER})*\s*(?:（[^（）]*）)?|\s*（[^（）]*）)|別記様式|別記)(?:\s+\S.*)?$"
)
_MARK = (
    rf"(?:[{_DIGITS}]+|[イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス]"
    r"|（[0-9０-９]+）|\([0-9]+\))"
)
_MARKER = re.compile(rf"^{_MARK}$")  # a paragraph or item number alone on its line
_MARKED = re.compile(rf"^{_MARK}\s")  # a line that opens a paragraph or item: never a continuation
_SENTENCE_END = ("。", "：", ":")
_LAW_NUMBER = re.compile(r"^（.*号.*）")

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_MD_ARTICLE = re.compile(rf"^({_ARTICLE_NO})\s*(（[^（）]+）)?$")
_MD_SUBDIVISION = re.compile(rf"^第{_NUMBER}[項号]$")


@dataclass
class _Line:
    """A logical line of statute text: kind is toc, division, supplement, appendix, caption, article,
    marker or text; for an article, `text` is its number and `caption` its （見出し）."""

    kind: str
    text: str
    caption: str = ""


@dataclass
class _Unit:
    section: list[str]
    article: str | None = None
    lines: list[str] = field(default_factory=list)


def looks_like_statute(text: str) -> bool:
    """True for plain text laid out as a statute: at least two article headings."""
    return sum(1 for line in _logical_lines(text.splitlines()) if line.kind == "article") >= 2


def looks_like_markdown_law(text: str) -> bool:
    """True for Markdown with article headings (### 第5条, ## 第十条（目的）)."""
    for line in text.splitlines():
        heading = _MD_HEADING.match(line.strip())
        if heading and _MD_ARTICLE.match(heading.group(2)):
            return True
    return False


def parse_statute(text: str, source: str, fallback_title: str) -> list[Document]:
    """Documents for an e-Gov-style statute text: one per article, plus preamble, 附則 and 別表 text."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    title = lines[start].strip() if start < len(lines) else fallback_title
    preamble: list[str] = []
    rest = lines[start + 1 :]
    number_at = next((i for i, line in enumerate(rest) if line.strip()), None)
    if number_at is not None and _LAW_NUMBER.match(rest[number_at].strip()):
        preamble.append(rest[number_at].strip())
        rest = rest[number_at + 1 :]

    units = [_Unit(section=[], lines=preamble)]
    divisions: list[tuple[int, str]] = []
    root: str | None = None  # 附則 or 別表 label, outside the chapters
    caption = ""
    for line in _logical_lines(rest):
        kind, value = line.kind, line.text
        if kind == "division":
            level = _DIVISION_LEVELS.index(_DIVISION.match(value).group(1))
            divisions = [d for d in divisions if d[0] < level] + [(level, value)]
            root = None
            units.append(_Unit(section=[d for _, d in divisions]))
        elif kind == "supplement":
            root = re.sub(r"\s+", "", value)
            divisions = []
            units.append(_Unit(section=[root]))
        elif kind == "appendix":
            root = value
            units.append(_Unit(section=[root]))
        elif kind == "caption":
            caption = value
        elif kind == "article":
            number = value
            heading = number + (line.caption or caption)
            caption = ""
            if root and not root.startswith("附則"):
                root = None  # an article after a 別表 heading: the heading was a table cell after all
            path = ([root] if root else []) + [d for _, d in divisions]
            label = f"附則{number}" if root and root.startswith("附則") else number
            units.append(_Unit(section=[*path, heading], article=label, lines=[heading]))
        else:
            units[-1].lines.append(value)
    return [
        Document(
            text="\n".join(unit.lines),
            source=source,
            title=title,
            section=unit.section,
            article=unit.article,
            atomic_lines=True,
        )
        for unit in units
        if unit.lines
    ]


def parse_markdown_law(text: str, source: str, fallback_title: str) -> list[Document]:
    """Documents for Markdown law excerpts: one per article heading, other headings as sections."""
    headings: list[tuple[int, str]] = []
    units: list[tuple[str, _Unit]] = []
    prefix = ""
    fenced = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        heading = None if fenced else _MD_HEADING.match(line)
        if heading is None:
            if line:
                _current(units, headings, fallback_title).lines.append(prefix + line)
                prefix = ""
            continue
        level, name = len(heading.group(1)), heading.group(2).strip()
        if units and units[-1][1].article is not None and _MD_SUBDIVISION.match(name):
            if prefix:
                units[-1][1].lines.append(prefix.strip())
            prefix = name + "　"
            continue
        prefix = ""
        headings = [h for h in headings if h[0] < level] + [(level, name)]
        article = _MD_ARTICLE.match(name)
        law, path = _law_and_path(headings, fallback_title)
        unit = _Unit(section=path, article=article.group(1) if article else None)
        if article:
            unit.lines.append(name)
        units.append((law, unit))
    if prefix and units:
        units[-1][1].lines.append(prefix.strip())
    return [
        Document(
            text="\n".join(unit.lines),
            source=source,
            title=law,
            section=unit.section,
            article=unit.article,
            atomic_lines=True,
        )
        for law, unit in units
        if unit.lines
    ]


def _current(units: list[tuple[str, _Unit]], headings: list[tuple[int, str]], fallback: str) -> _Unit:
    if not units:
        law, path = _law_and_path(headings, fallback)
        units.append((law, _Unit(section=path)))
    return units[-1][1]


def _law_and_path(headings: list[tuple[int, str]], fallback: str) -> tuple[str, list[str]]:
    """The outermost heading names the law (the title); the headings under it are the section path."""
    names = [name for _, name in headings]
    if not names or _MD_ARTICLE.match(names[0]):  # no law heading above the articles
        return fallback, names
    return names[0], names[1:]


def _logical_lines(lines: list[str]) -> list[_Line]:
    """Classify the non-blank lines of e-Gov text, merging number markers with their text and joining
    lines that were broken at cross-references. An article line that carries its first sentence
    gives an article and a text line."""
    present = [i for i, line in enumerate(lines) if line.strip()]
    out: list[_Line] = []
    marker = ""
    in_toc = False
    for k, i in enumerate(present):
        raw = lines[i]
        after = lines[present[k + 1]] if k + 1 < len(present) else ""
        adjacent = k > 0 and present[k - 1] == i - 1
        classified, body = _classify(_squash(raw), after, adjacent, out)
        kind, value = classified.kind, classified.text
        if kind == "toc" or (kind == "division" and _TOC_RANGE.search(value)):
            in_toc = True  # 目次 entries are not headings; the real ones follow the table of contents
            continue
        if kind == "supplement" and in_toc:
            continue
        in_toc = in_toc and kind == "division"
        if kind == "marker":
            if after[:1].isspace() and _classify(_squash(after), "", False, out)[0].kind == "text":
                marker = value
                continue
            kind = "text"
        if kind == "text":
            if marker:
                value, marker = f"{marker}　{value}", ""
            elif (
                out
                and out[-1].kind == "text"
                and adjacent
                and not raw[:1].isspace()
                and not _MARKED.match(value)
            ):
                if not out[-1].text.endswith(_SENTENCE_END):
                    out[-1].text += value
                    continue
        out.append(_Line(kind, value, classified.caption))
        if body:
            out.append(_Line("text", body))
    return out


def _classify(text: str, after: str, adjacent: bool, previous: list[_Line]) -> tuple[_Line, str | None]:
    """The logical line for one stripped line, and the article's inline body if any; `after` is the
    next non-blank raw line and `adjacent` tells that no blank line separates this one from the last."""
    if text == "目次":
        return _Line("toc", text), None
    if _DIVISION.match(text):
        return _Line("division", text), None
    if _SUPPLEMENT.match(text):
        return _Line("supplement", text), None
    if match := _ARTICLE_CAPTIONED.match(text):
        return _Line("article", match.group(1), match.group(2)), match.group(3)
    if match := _ARTICLE_BARE.match(text):
        # a bare 第十条 is an article when its text follows indented (or a caption precedes it);
        # otherwise it is a cell of a table laid out one cell per line
        if after[:1].isspace() or (previous and previous[-1].kind == "caption"):
            return _Line("article", match.group(1)), None
    if match := _ARTICLE_INLINE.match(text):
        return _Line("article", match.group(1)), match.group(2)
    if _CAPTION.match(text) and _is_article_line(_squash(after)):
        return _Line("caption", text), None
    if _APPENDIX.match(text) and not adjacent:
        return _Line("appendix", text), None
    if _MARKER.match(text):
        return _Line("marker", text), None
    return _Line("text", text), None


def _is_article_line(text: str) -> bool:
    return bool(_ARTICLE_BARE.match(text) or _ARTICLE_CAPTIONED.match(text) or _ARTICLE_INLINE.match(text))


def _squash(line: str) -> str:
    """Strip a line and collapse runs of (full-width) spaces inside it to one full-width space."""
    return re.sub(r"\s+", "　", line.strip())
