"""Loader for SQuAD-format files (JSQuAD, JaQuAD): paragraphs and their questions, and the same as a `Dataset`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import YakubaError
from core.model import Document
from evals.datasets.files import file_sha256
from evals.types import Dataset, Item

TITLE_SEPARATOR = " [SEP] "
SOURCE_PREFIX = "squad/"


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


def load_squad_dataset(path: Path, *, unanswerable: bool = False, name: str | None = None) -> Dataset:
    """A SQuAD-format file as a `Dataset` for the `ask`/`retrieval` tasks.

    Corpus: one Document per paragraph (source `squad/<pid>`, title = article title). Items: one per question
    (expected answers, answerable). With `unanswerable=True` every question appears a second time as
    `<qid>#unanswerable`, expected unanswerable, with `meta.exclude_sources` naming every paragraph of the
    question's article: the runner removes those chunks before the top-k cut, so no gold evidence remains.
    """
    paragraphs, questions = load_squad(path)
    by_article: dict[str, list[str]] = {}
    article_of: dict[str, str] = {}
    for para in paragraphs:
        article = para.pid.split("-", 1)[0]
        by_article.setdefault(article, []).append(f"{SOURCE_PREFIX}{para.pid}")
        article_of[para.pid] = article
    titles = {p.pid: p.title for p in paragraphs}
    items: list[Item] = []
    for q in questions:  # each question followed by its unanswerable twin, so that a --limit keeps both kinds
        gold = f"{SOURCE_PREFIX}{q.pid}"
        items.append(Item(
            id=q.qid,
            input={"question": q.question},
            expected={"answers": q.answers, "answerable": True},
            meta={"gold_source": gold, "article": titles[q.pid]},
        ))
        if unanswerable:
            items.append(Item(
                id=f"{q.qid}#unanswerable",
                input={"question": q.question},
                expected={"answerable": False},
                meta={"exclude_sources": list(by_article[article_of[q.pid]]), "article": titles[q.pid]},
            ))
    corpus = [Document(text=p.text, source=f"{SOURCE_PREFIX}{p.pid}", title=p.title) for p in paragraphs]
    return Dataset(name=name or Path(path).stem, path=str(path), sha256=file_sha256(path), items=items,
                   corpus=corpus)
