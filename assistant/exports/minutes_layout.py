"""The layout of official minutes (議事録) as blocks, shared by the DOCX and the Markdown export, so both follow
the same rules:

    [案]                                                    [機密性２]   ← header (every page)
                          会議名　議事録
    ┌──────┬──────────────────────┐
    │日時  │…                     │
    │場所  │…                     │
    │出席者│…                     │
    │議題  │1　…                  │
    └──────┴──────────────────────┘
    1　議題ごとの要旨
      （1）議題
        ・要旨〔発言3, 5〕
    2　発言者別の要点        (each speaker, their points)
       or, by style: 質疑応答 (問（質問者）… / 答（答弁者）… kept as pairs), 発言録 (○山田委員　… each turn)
    3　決定事項  4　宿題（担当・期限）  5　次回予定   (always, 「なし」 when nothing was said)
                                                           以上

The body follows the style (`STYLE_SECTIONS`): 要点筆記 prints 議題ごとの要旨 and 発言者別の要点, 発言録 the record,
質疑応答 the pairs; sections without content are left out (apart from the last three), and minutes whose style's
sections are all empty print whatever they hold. Every point ends with the turns it came from
(「〔発言3〜5, 8〕」), so each line can be traced to what was said. 「案」 marks minutes that are not approved; the
機密性 label is printed when the minutes are level 2 or above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from assistant.exports.reply_layout import DRAFT_MARK, classification_label
from assistant.tasks.minutes_models import Minutes, Point

Align = Literal["left", "center", "right"]
Kind = Literal["title", "heading", "subheading", "point", "speech", "qa", "note", "blank", "end"]

TITLE_SUFFIX = "議事録"
FIELDS = ("日時", "場所", "出席者", "議題")
AGENDA = "議題ごとの要旨"
SPEAKERS = "発言者別の要点"
QA = "質疑応答"
RECORD = "発言録"
DECISIONS = "決定事項"
ACTIONS = "宿題（担当・期限）"
NEXT = "次回予定"
NONE = "なし"
NO_ANSWER = "（会議中に答弁はなかった。）"
QUESTION = "問"
ANSWER = "答"
SPEAKER_MARK = "○"
UNKNOWN_SPEAKER = "発言者不明"
BULLET = "・"
END = "以上"
# The body of the minutes by style (then 決定事項, 宿題 and 次回予定 in every style).
STYLE_SECTIONS = {"要点筆記": (AGENDA, SPEAKERS), "発言録": (RECORD,), "質疑応答": (QA,)}
REF_OPEN, REF_CLOSE, REF_PREFIX = "〔", "〕", "発言"


@dataclass(frozen=True)
class Line:
    """One paragraph: its text, the source turns it ends with, alignment, kind (sets the style) and left indent
    in characters. `lead` is a label printed before the text (「○山田委員」「問（山田委員）」), set in bold."""

    text: str
    refs: tuple[int, ...] = ()
    align: Align = "left"
    kind: Kind = "point"
    indent: int = 0
    lead: str = ""


@dataclass(frozen=True)
class Table:
    """The meeting's particulars: (label, value lines) rows."""

    rows: list[tuple[str, list[str]]]


Block = Line | Table


@dataclass(frozen=True)
class MinutesLayout:
    draft_mark: str | None  # 「案」 unless approved
    classification: str | None  # 「機密性２」 when the minutes' level is 2 or above
    title: str
    blocks: list[Block] = field(default_factory=list)


def document_title(minutes: Minutes) -> str:
    """「第1回定例会　議事録」; a 会議名 that already names the minutes (「…議事録」「…会議録第三号」) is kept."""
    title = minutes.title.strip()
    if not title:
        return TITLE_SUFFIX
    if any(word in title for word in (TITLE_SUFFIX, "会議録", "議事要旨", "議事概要")):
        return title
    return f"{title}　{TITLE_SUFFIX}"


def turn_refs(turns: Iterable[int]) -> str:
    """[3, 4, 5, 8] → 「〔発言3〜5, 8〕」, [2, 3] → 「〔発言2, 3〕」; no turns → 「」."""
    numbers = sorted(set(turns))
    if not numbers:
        return ""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts: list[str] = []
    for run in runs:
        parts += [f"{run[0]}〜{run[-1]}"] if len(run) > 2 else [str(n) for n in run]
    return f"{REF_OPEN}{REF_PREFIX}{', '.join(parts)}{REF_CLOSE}"


def section_heading(number: int, title: str) -> str:
    return f"{number}　{title}"


def sub_heading(number: int, title: str) -> str:
    return f"（{number}）{title}"


def speaker_label(speaker: str) -> str:
    """「山田委員」 → 「○山田委員」 (a speaker already written with 「○」 keeps one)."""
    name = speaker.strip().lstrip("○◯〇")
    return SPEAKER_MARK + (name or "発言者不明")


def _points(points: Iterable[Point], indent: int) -> list[Line]:
    return [
        Line(BULLET + p.text.strip(), refs=tuple(p.turns), indent=indent) for p in points if p.text.strip()
    ]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _particulars(minutes: Minutes) -> Table:
    agenda = [f"{i}　{a.title.strip()}" for i, a in enumerate(minutes.agenda, 1) if a.title.strip()]
    attendees = "、".join(a.strip() for a in minutes.attendees if a.strip())
    values = {
        "日時": [minutes.held_on.strip()],
        "場所": [minutes.place.strip()],
        "出席者": [attendees],
        "議題": agenda or [""],
    }
    return Table(rows=[(name, values[name]) for name in FIELDS])


def _agenda_lines(minutes: Minutes) -> list[Line]:
    lines: list[Line] = []
    for i, item in enumerate(minutes.agenda, 1):
        lines.append(Line(sub_heading(i, item.title.strip()), kind="subheading", indent=1))
        lines += _points(item.points, indent=2) or [Line(BULLET + NONE, indent=2, kind="note")]
    return lines


def _speaker_lines(minutes: Minutes) -> list[Line]:
    lines: list[Line] = []
    for i, summary in enumerate(minutes.speakers, 1):
        lines.append(Line(sub_heading(i, summary.speaker.strip()), kind="subheading", indent=1))
        lines += _points(summary.points, indent=2)
    return lines


def _qa_lines(minutes: Minutes) -> list[Line]:
    lines: list[Line] = []
    for i, pair in enumerate(minutes.qa, 1):
        lines.append(Line(sub_heading(i, ""), kind="subheading", indent=1))
        lines.append(
            Line(_flat(pair.question.text), refs=tuple(pair.question.turns), kind="qa", indent=2,
                 lead=f"{QUESTION}（{pair.questioner.strip() or '発言者不明'}）")
        )  # fmt: skip
        if pair.answer is not None and pair.answer.text.strip():
            lines.append(
                Line(_flat(pair.answer.text), refs=tuple(pair.answer.turns), kind="qa", indent=2,
                     lead=f"{ANSWER}（{pair.answerer.strip() or '発言者不明'}）")
            )  # fmt: skip
        else:
            lines.append(Line(NO_ANSWER, kind="qa", indent=2, lead=ANSWER))
    return lines


def _record_lines(minutes: Minutes) -> list[Line]:
    lines: list[Line] = []
    for turn in minutes.record:
        paragraphs = [p.strip() for p in turn.text.split("\n") if p.strip()] or [""]
        # Text with no speaker (a roll call, the order of business) is printed as written, without 「○」.
        unknown = turn.speaker.strip() in ("", UNKNOWN_SPEAKER)
        lead = "" if unknown else speaker_label(turn.speaker)
        lines.append(Line(paragraphs[0], refs=(turn.index,), kind="speech", indent=1, lead=lead))
        lines += [Line("　" + p, kind="speech", indent=1) for p in paragraphs[1:]]
    return lines


def _action_lines(minutes: Minutes) -> list[Line]:
    lines: list[Line] = []
    for action in minutes.actions:
        if not action.task.strip():
            continue
        said = [f"担当：{action.owner.strip()}" if action.owner.strip() else "",
                f"期限：{action.due.strip()}" if action.due.strip() else ""]  # fmt: skip
        detail = "、".join(s for s in said if s)
        text = BULLET + action.task.strip() + (f"（{detail}）" if detail else "")
        lines.append(Line(text, refs=tuple(action.turns), indent=1))
    return lines


def minutes_layout(minutes: Minutes, *, approved: bool) -> MinutesLayout:
    """The minutes' blocks in order, with the marks the header carries."""
    blocks: list[Block] = [Line(document_title(minutes), align="center", kind="title"), _particulars(minutes)]
    bodies: dict[str, list[Line]] = {
        AGENDA: _agenda_lines(minutes) if any(a.points for a in minutes.agenda) else [],
        SPEAKERS: _speaker_lines(minutes),
        QA: _qa_lines(minutes),
        RECORD: _record_lines(minutes),
    }
    chosen = [name for name in STYLE_SECTIONS[minutes.style] if bodies[name]]
    # The style's own sections; when the style's are empty, whatever the minutes hold (nothing is dropped).
    sections = [(name, bodies[name]) for name in (chosen or [n for n in bodies if bodies[n]])]
    closing = [
        (DECISIONS, _points(minutes.decisions, indent=1)),
        (ACTIONS, _action_lines(minutes)),
        (NEXT, [Line(_flat(minutes.next_meeting), indent=1)] if minutes.next_meeting.strip() else []),
    ]
    number = 0
    for title, lines in sections:
        if lines:
            number += 1
            blocks += [Line("", kind="blank"), Line(section_heading(number, title), kind="heading"), *lines]
    for title, lines in closing:
        number += 1
        blocks += [Line("", kind="blank"), Line(section_heading(number, title), kind="heading")]
        blocks += lines or [Line(NONE, indent=1, kind="note")]
    blocks += [Line("", kind="blank"), Line(END, align="right", kind="end")]
    level = minutes.classification
    return MinutesLayout(
        draft_mark=None if approved else DRAFT_MARK,
        classification=classification_label(level) if level >= 2 else None,
        title=document_title(minutes),
        blocks=blocks,
    )
