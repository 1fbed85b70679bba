"""Loader for the Digital Agency's lawqa_jp four-choice law QA (`{"samples": [...]}`, selection.json).

Each sample: ファイル名 (its id), 問題文 (question), 選択肢 ("a …\\nb …\\nc …\\nd …"), output (gold letter),
コンテキスト (the gold law excerpt as Markdown: ## 法令名 / ### 第5条 / #### 第1項 / ##### 第2号), references.
Items are for the `choice` task; the corpus holds every distinct excerpt once, parsed by ingest's Markdown
law loader (one Document per article, all sharing the excerpt's source `lawqa/<excerpt id>`, titled by law).
The excerpt id is the first 12 hex digits of the SHA-256 of the excerpt text: stable across subsets.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from core.errors import YakubaError
from core.model import Document
from evals.datasets.files import file_sha256, read_json, require_file
from evals.types import BadRow, Dataset, Item
from ingest.loaders.statute import parse_markdown_law

SOURCE_PREFIX = "lawqa/"
_OPTION = re.compile(r"^\s*([a-zA-Zａ-ｚＡ-Ｚ])[\s　\.．:：\)）]+(.*\S)\s*$")


def excerpt_id(context: str) -> str:
    return hashlib.sha256(context.strip().encode("utf-8")).hexdigest()[:12]


def parse_options(text: str) -> dict[str, str]:
    """"a 本文\\nb 本文 …" → {"a": "本文", …}; a line without a letter continues the previous option."""
    options: dict[str, str] = {}
    last = None
    for line in str(text).splitlines():
        match = _OPTION.match(line)
        if match:
            last = _letter(match.group(1))
            options[last] = match.group(2).strip()
        elif line.strip() and last is not None:
            options[last] += "\n" + line.strip()
    return options


def _letter(char: str) -> str:
    return unicodedata.normalize("NFKC", char).lower()


def load_lawqa(path: Path, *, name: str | None = None) -> Dataset:
    path = require_file(Path(path))
    data = read_json(path)
    samples = data.get("samples") if isinstance(data, dict) else data
    if not isinstance(samples, list):
        raise YakubaError(f"{path}: lawqa_jp 形式ではありません（\"samples\" の一覧が必要です）。")
    items: list[Item] = []
    bad: list[BadRow] = []
    corpus: list[Document] = []
    seen: set[str] = set()
    for n, sample in enumerate(samples, start=1):
        if not isinstance(sample, dict):
            bad.append(BadRow(n, "問題がオブジェクトではありません。"))
            continue
        question = str(sample.get("問題文") or "").strip()
        options = parse_options(sample.get("選択肢") or "")
        answer = _letter(str(sample.get("output") or "").strip()[:1]) if sample.get("output") else ""
        context = str(sample.get("コンテキスト") or "").strip()
        if not question:
            bad.append(BadRow(n, "問題文が空です。"))
            continue
        if len(options) < 2:
            bad.append(BadRow(n, "選択肢を読み取れません（「a 本文」の形の行が必要です）。"))
            continue
        if answer not in options:
            bad.append(BadRow(n, f"正解（output）「{sample.get('output')}」が選択肢にありません。"))
            continue
        meta: dict = {"file": sample.get("ファイル名", "")}
        if sample.get("references"):
            meta["references"] = sample["references"]
        if context:
            source = SOURCE_PREFIX + excerpt_id(context)
            meta["gold_source"] = source
            if source not in seen:
                seen.add(source)
                corpus.extend(_excerpt_documents(context, source, str(sample.get("ファイル名", ""))))
        items.append(Item(
            id=str(sample.get("ファイル名") or n),
            input={"question": question, "options": options},
            expected={"choice": answer},
            meta=meta,
        ))
    if not items:
        raise YakubaError(f"{path}: 読み込める問題がありません（問題文・選択肢・output が必要です）。")
    return Dataset(name=name or "lawqa_jp", path=str(path), sha256=file_sha256(path), items=items,
                   bad_rows=bad, corpus=corpus)


def _excerpt_documents(context: str, source: str, file_name: str) -> list[Document]:
    fallback = file_name.split("_", 1)[0] or "法令"
    documents = parse_markdown_law(context, source, fallback)
    return documents or [Document(text=context, source=source, title=fallback, atomic_lines=True)]
