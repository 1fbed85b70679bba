"""The layout of an exported conversation as lines, shared by the Markdown and the DOCX export:

    [機密性２]                                            ← header (DOCX, from level 2)
                       会話の名前
    作成日時：2026年11月28日 14:05　最終更新：…
    この会話の機密性：機密性２（…）
    第1問
    【質問】 …  【回答】 …  【出典】 ［1］標題　箇所 / 機密性２　閲覧範囲：財政課 / 引用
    回答の作成：bedrock/…

Each turn is laid out as the single-answer export does it (`answer_docx.answer_lines`), so a source reads the
same in both. The input is the conversation as the API shows it to the reader (`ConversationDetail` as a
dict): answers the reader may no longer see are already replaced by a notice and carry no sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from assistant.exports.answer_docx import answer_lines
from assistant.exports.reply_layout import Line, classification_label

UNTITLED = "（無題の会話）"
DATES = "作成日時：{created}　最終更新：{updated}"
LEVEL = "この会話の機密性：{label}（各回答の出典のうち最も高いもの）"
TURN = "第{n}問"
NO_ANSWER = "（回答は記録されていません。）"


@dataclass(frozen=True)
class ConversationLayout:
    title: str
    level: int  # the highest 機密性 among the answers shown (1 when none cites anything)
    lines: list[Line]


def japanese_time(value: datetime | str, tz: tzinfo | None = None) -> str:
    """2026-11-28T05:05Z → 「2026年11月28日 14:05」 in `tz` (the server's zone when None)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def conversation_level(messages: Sequence[Mapping[str, Any]]) -> int:
    """The highest 機密性 among the answers' turns and citations (1: nothing labelled above)."""
    levels = [int(m["level"]) for m in messages if m.get("role") == "assistant" and m.get("level")]
    levels += [int(c["classification"]) for m in messages for c in m.get("citations") or []]
    return max(levels, default=1)


def _turns(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any] | None]]:
    """(question, its answer) in order; a question left without an answer keeps None."""
    turns: list[tuple[str, Mapping[str, Any] | None]] = []
    for message in messages:
        if message.get("role") == "user":
            turns.append((str(message.get("text") or ""), None))
        elif turns and turns[-1][1] is None:
            turns[-1] = (turns[-1][0], message)
        else:
            turns.append(("", message))
    return turns


def _turn_lines(question: str, answer: Mapping[str, Any] | None) -> list[Line]:
    if answer is None:
        return answer_lines(question, {"text": NO_ANSWER, "mode": "none"})[2:-1]
    lines = answer_lines(question, answer)[2:]  # without the single answer's title and the blank under it
    if not answer.get("backend") and answer.get("mode") != "extractive":
        lines = lines[:-1]  # a withheld answer: no model to name
    return lines


def conversation_layout(conversation: Mapping[str, Any], tz: tzinfo | None = None) -> ConversationLayout:
    messages: Sequence[Mapping[str, Any]] = conversation.get("messages") or []
    title = str(conversation.get("title") or "").strip() or UNTITLED
    level = conversation_level(messages)
    dates = DATES.format(
        created=japanese_time(conversation["created_at"], tz),
        updated=japanese_time(conversation["updated_at"], tz),
    )
    lines = [
        Line(title, align="center", kind="title"),
        Line(""),
        Line(dates, kind="note"),
        Line(LEVEL.format(label=classification_label(level)), kind="note"),
    ]
    for n, (question, answer) in enumerate(_turns(messages), start=1):
        lines += [Line(""), Line(TURN.format(n=n), kind="heading"), *_turn_lines(question, answer)]
    return ConversationLayout(title=title, level=level, lines=lines)
