"""HTML loader: the main text only (no navigation, header, footer, scripts), headings h1–h6 build the
section path, tables become Markdown rows.

BeautifulSoup with explicit tag stripping is used rather than trafilatura: trafilatura's article
heuristics drop short government pages, list-only pages and table layouts, and its output loses the
heading levels the section path needs.

Text the page hides from its reader (hidden attribute, hiding CSS, white on white) is removed first
(`html_hidden`); pages nested deeper than the load limit (`ingest.limits`, `max_depth`) are refused before a
tree is built, and the tree is walked without recursion, so the cost stays linear in the depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.model import Document
from ingest.encoding import decode_bytes
from ingest.limits import FileLimitExceeded, current
from ingest.loaders.html_hidden import nesting_depth, remove_hidden
from ingest.loaders.sections import SectionCollector
from ingest.tables import MergedRange, build_table

_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "aside", "iframe", "svg", "button", "select"]
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
# class/id tokens of boilerplate blocks on Japanese municipal sites (パンくず = breadcrumbs).
_BOILERPLATE = re.compile(
    r"^(breadcrumbs?|pankuzu|topic-?path|side-?bar|side-?nav|g-?nav|global-?nav|skip(-?links?)?|sns|share)$",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "form", "header", "footer", "hr", "li", "main", "ol", "p",
    "section", "summary", "ul", "html",
}  # fmt: skip
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_MAX_SPAN = 1000  # guards against absurd rowspan/colspan values


def load(path: Path, source: str) -> list[Document]:
    data = Path(path).read_bytes()
    declared = _META_CHARSET.search(data[:4096])
    html = decode_bytes(
        data, name=Path(source).name, declared=declared.group(1).decode() if declared else None
    )
    return parse_html(html, source)


def parse_html(html: str, source: str) -> list[Document]:
    from bs4 import BeautifulSoup

    limit = current().max_depth
    if nesting_depth(html) > limit:
        raise FileLimitExceeded(
            f"要素の入れ子が深すぎる（上限{limit:,}階層）ため、読み込みを中止しました。"
            "ファイルが壊れているか、不正に作られたおそれがあります。",
            f"{source}: HTML nested deeper than {limit} levels",
        )
    soup = BeautifulSoup(html, "lxml")
    page_title = " ".join(soup.title.get_text().split()) if soup.title else ""
    remove_hidden(soup)
    _strip_boilerplate(soup)
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.find("article") or soup.body or soup
    walker = _Walker(source)
    walker.walk(root)
    walker.flush()
    title = page_title or walker.sections.first_heading or Path(source).stem
    return walker.sections.documents(title)


def _strip_boilerplate(soup: Any) -> None:
    # Collected first, then only the outermost removed: `Tag.decomposed` on a live tag falls through bs4's
    # attribute lookup to a subtree search, which made this quadratic in the depth.
    dropped = [tag for tag in soup.find_all(True) if _is_boilerplate(tag)]
    marked = {id(tag) for tag in dropped}
    for tag in dropped:
        if not any(id(parent) in marked for parent in tag.parents):
            tag.decompose()


def _is_boilerplate(tag: Any) -> bool:
    if tag.name in _DROP_TAGS:
        return True
    if tag.name in ("header", "footer"):
        return tag.find_parent(["main", "article"]) is None  # page chrome, not an article's own header
    if tag.name in ("html", "body", "main", "article"):
        return False
    role = (tag.get("role") or "").lower()
    tokens = [*tag.get("class", []), *(tag.get("id") or "").split()]
    return role in _DROP_ROLES or any(_BOILERPLATE.match(token) for token in tokens)


class _Walker:
    """Walks the element tree in document order, joining inline text into lines."""

    def __init__(self, source: str):
        self.sections = SectionCollector(source)
        self.inline: list[str] = []

    def walk(self, element: Any) -> None:
        """Document order with an explicit stack (no recursion): each entry is a child iterator and whether
        its element is a block, whose end closes the current line."""
        from bs4 import NavigableString, Tag

        stack: list[tuple[Iterator[Any], bool]] = [(iter(element.children), False)]
        while stack:
            children, block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if block:
                    self.flush()
            elif type(child) is NavigableString:
                self.inline.append(str(child))
            elif isinstance(child, Tag) and not self._leaf(child):
                block = child.name in _BLOCK_TAGS
                if block:
                    self.flush()
                stack.append((iter(child.children), block))

    def flush(self) -> None:
        line = " ".join("".join(self.inline).split())
        self.inline = []
        self.sections.add(line)

    def _leaf(self, tag: Any) -> bool:
        """Handle a heading, table, `pre` or `br` whole; False for any other element (walked into)."""
        name = tag.name
        if name in _HEADINGS:
            self.flush()
            text = " ".join(tag.get_text(" ").split())
            if text:
                self.sections.heading(_HEADINGS[name], text)
        elif name == "table":
            self.flush()
            table = build_table(*_table_cells(tag))
            if table is not None:
                self.sections.add(table.markdown()[0])
        elif name == "pre":
            self.flush()
            for line in tag.get_text().splitlines():
                self.sections.add(line.rstrip())
        elif name == "br":
            self.flush()
        else:
            return False
        return True


def _table_cells(table: Any) -> tuple[list[list[str]], list[MergedRange]]:
    """The grid of an HTML table with rowspan/colspan laid out, and the spans as merged ranges."""
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    grid: list[list[str]] = [[] for _ in rows]
    taken: set[tuple[int, int]] = set()
    merged: list[MergedRange] = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row.find_all(["td", "th"], recursive=False):
            while (r, c) in taken:
                c += 1
            rowspan = min(_span(cell.get("rowspan")), len(rows) - r)
            colspan = min(_span(cell.get("colspan")), _MAX_SPAN)
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    taken.add((rr, cc))
            row_cells = grid[r]
            row_cells.extend([""] * (c + 1 - len(row_cells)))
            row_cells[c] = " ".join(cell.get_text(" ").split())
            if rowspan > 1 or colspan > 1:
                merged.append((r, c, r + rowspan - 1, c + colspan - 1))
            c += colspan
    width = max((cc + 1 for _, cc in taken), default=0)
    return [row + [""] * (width - len(row)) for row in grid], merged


def _span(value: Any) -> int:
    try:
        return max(1, min(int(str(value).strip()), _MAX_SPAN))
    except (TypeError, ValueError):
        return 1
