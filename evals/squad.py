"""Loader for SQuAD-format files (JSQuAD, JaQuAD): paragraphs and their questions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import YakubaError

TITLE_SEPARATOR = " [SEP] "


@dataclass
class Paragraph:
    pid: str
    title: str
    text: str


@dataclass
class Question:
    qid: str
    question: str
    pid: str  # gold paragraph
    answers: list[str]


def load_squad(path: Path) -> tuple[list[Paragraph], list[Question]]:
    """`data[].paragraphs[].context` and `qas[]`; a leading `<title> [SEP] ` is the article title."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise YakubaError(f"{path}: not a readable SQuAD-format JSON file ({exc})") from exc
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    for a, article in enumerate(data):
        for p, para in enumerate(article.get("paragraphs", [])):
            context = para["context"]
            title = article.get("title", "")
            if TITLE_SEPARATOR in context:
                title, context = context.split(TITLE_SEPARATOR, 1)
            pid = f"{a}-{p}"
            paragraphs.append(Paragraph(pid=pid, title=title.strip(), text=context.strip()))
            for qa in para.get("qas", []):
                answers = [ans["text"] for ans in qa.get("answers", []) if ans.get("text")]
                questions.append(Question(qid=str(qa.get("id", len(questions))), question=qa["question"],
                                          pid=pid, answers=answers))
    if not paragraphs:
        raise YakubaError(f"{path}: no paragraphs found (expected data[].paragraphs[].context)")
    return paragraphs, questions
