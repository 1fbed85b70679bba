"""Prompt templates: Markdown files in `prompts/` with a small front matter, checked when loaded.

    ---
    version: 1
    placeholders: question, sources
    ---
    …text with {question} and {sources}…

Placeholders use `str.format` syntax (a literal brace is written `{{` / `}}`). Loading fails when
the text uses a placeholder that is not declared or declares one it does not use; rendering fails
when a value is missing or unexpected. `validate_all()` loads every template at start-up.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import PROJECT_ROOT
from core.errors import PromptTemplateError
from ingest.normalize import strip_invisible

if TYPE_CHECKING:
    from core.model import Chunk

# The repo's prompts/ folder; an installed wheel carries it as data files under share/yakuba/prompts.
PROMPT_DIRS = (PROJECT_ROOT / "prompts", Path(sys.prefix) / "share" / "yakuba" / "prompts")
_FRONT = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.S)

# Characters that could open, close or break out of a source block, and their stand-ins.
_NEUTRAL = str.maketrans({"<": "＜", ">": "＞"})
_NEUTRAL_ATTR = str.maketrans({"<": "＜", ">": "＞", '"': "”", "\n": " "})


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    placeholders: frozenset[str]
    text: str

    def render(self, **values: str) -> str:
        missing = self.placeholders - values.keys()
        extra = values.keys() - self.placeholders
        if missing or extra:
            raise PromptTemplateError(
                f"プロンプト「{self.name}」の差込み値が一致しません"
                f"（不足: {', '.join(sorted(missing)) or 'なし'}、余分: {', '.join(sorted(extra)) or 'なし'}）。"
            )
        return self.text.format(**values)


def prompt_dir() -> Path:
    for folder in PROMPT_DIRS:
        if folder.is_dir():
            return folder
    raise PromptTemplateError(
        f"プロンプトのフォルダが見つかりません（{', '.join(str(p) for p in PROMPT_DIRS)}）。"
        "インストールの状態を確認してください。"
    )


def parse_prompt(name: str, raw: str) -> PromptTemplate:
    """Parse and check one template file's content."""
    match = _FRONT.match(raw.replace("\r\n", "\n"))
    if not match:
        raise PromptTemplateError(f"プロンプト「{name}」の先頭に `---` で囲んだ見出し部がありません。")
    head: dict[str, str] = {}
    for line in match["head"].splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise PromptTemplateError(f"プロンプト「{name}」の見出し部の行を解釈できません: {line!r}")
        head[key.strip()] = value.strip()
    unknown = head.keys() - {"version", "placeholders", "description"}
    if unknown or not head.get("version"):
        raise PromptTemplateError(
            f"プロンプト「{name}」の見出し部には version が必要で、"
            f"version・placeholders・description 以外は書けません（{', '.join(sorted(unknown)) or 'version なし'}）。"
        )
    declared = frozenset(p.strip() for p in head.get("placeholders", "").split(",") if p.strip())
    body = match["body"].strip("\n") + "\n"
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(body) if f is not None]
    except ValueError as exc:
        raise PromptTemplateError(f"プロンプト「{name}」の波括弧の書き方が誤っています: {exc}") from exc
    used = frozenset(fields)
    if not all(f.isidentifier() for f in used):
        raise PromptTemplateError(
            f"プロンプト「{name}」に名前のない差込み箇所があります（`{{}}` は `{{{{}}}}` と書きます）。"
        )
    if used != declared:
        raise PromptTemplateError(
            f"プロンプト「{name}」の差込み箇所が宣言と一致しません"
            f"（未宣言: {', '.join(sorted(used - declared)) or 'なし'}、"
            f"未使用: {', '.join(sorted(declared - used)) or 'なし'}）。"
        )
    return PromptTemplate(name=name, version=head["version"], placeholders=declared, text=body)


@cache
def load_prompt(name: str) -> PromptTemplate:
    """The template `prompts/<name>.md`, parsed and checked (cached)."""
    path = prompt_dir() / f"{name}.md"
    if not path.is_file():
        raise PromptTemplateError(f"プロンプト「{name}」がありません（{path}）。")
    return parse_prompt(name, path.read_text(encoding="utf-8"))


def validate_all() -> list[PromptTemplate]:
    """Load every template in the prompts folder; raises on the first broken one. Call at start-up."""
    return [load_prompt(p.stem) for p in sorted(prompt_dir().glob("*.md"))]


def render_sources(chunks: Sequence[Chunk]) -> str:
    """Each chunk as a labelled `<source>` block numbered from 1, its text unable to close the block.

    Angle brackets inside titles, locations and texts become full-width look-alikes, so no document
    can write `</source>` or open a block of its own; invisible format characters (zero-width, bidirectional
    controls) are removed, so the model reads what a person reading the source sees.
    """
    blocks = []
    for n, chunk in enumerate(chunks, start=1):
        title = strip_invisible(chunk.title).translate(_NEUTRAL_ATTR)
        location = strip_invisible(chunk.location).translate(_NEUTRAL_ATTR)
        body = strip_invisible(chunk.text).translate(_NEUTRAL)
        blocks.append(f'<source id="{n}" title="{title}" location="{location}">\n{body}\n</source>')
    return "\n\n".join(blocks)


def neutralise(text: str) -> str:
    """User or document text placed inside a delimited block (the question, a transcript turn, an inquiry
    item), made unable to close it and rid of invisible format characters."""
    return strip_invisible(text).translate(_NEUTRAL)
