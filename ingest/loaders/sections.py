"""Heading-path bookkeeping shared by the loaders of structured documents (DOCX, HTML, Markdown)."""

from __future__ import annotations

from core.model import Document


class SectionCollector:
    """Collects body lines under the current heading path; one Document per run of body text."""

    def __init__(self, source: str):
        self.source = source
        self.first_heading = ""
        self._path: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._parts: list[tuple[list[str], list[str]]] = []

    def heading(self, level: int, text: str) -> None:
        """Open a heading of `level` (1 = outermost); deeper or equal open headings are closed."""
        self._flush()
        self.first_heading = self.first_heading or text
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, text))

    def add(self, text: str) -> None:
        """Append body text (a paragraph, or a whole Markdown table) under the current heading."""
        if text.strip():
            self._lines.append(text)

    def paragraph_break(self) -> None:
        """Keep one blank line between paragraphs of the current section."""
        if self._lines and self._lines[-1]:
            self._lines.append("")

    def documents(self, title: str) -> list[Document]:
        self._flush()
        return [
            Document(text="\n".join(lines), source=self.source, title=title, section=section)
            for section, lines in self._parts
        ]

    def _flush(self) -> None:
        while self._lines and not self._lines[-1]:
            self._lines.pop()
        if self._lines:
            self._parts.append(([text for _, text in self._path], self._lines))
            self._lines = []
