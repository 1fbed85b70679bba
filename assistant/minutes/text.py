"""The minutes as plain text (the CLI's output, `Minutes.text`, the evaluation harness's per-item `text`).

Layout by style: 要点筆記 = 議題ごとの要旨, 発言者別の要点; 発言録 = each turn; 質疑応答 = 問／答 pairs; then 決定事項,
宿題 and 次回予定 in every style. Each line ends with its source turns 〔発言3・5〕 unless `sources=False`.

The summary of a single speech (one topic, one speaker, nothing decided) is printed alone, without headings or
source marks, so that its length is the summary's length: that is what a length limit such as 「100字以内」
measures, and what the PoliInfo summarization items are.
"""

from __future__ import annotations

from assistant.tasks.minutes_models import Minutes, Point

HEADINGS = {
    "agenda": "■ 議題ごとの要旨",
    "speakers": "■ 発言者別の要点",
    "record": "■ 発言録",
    "qa": "■ 質疑応答",
    "decisions": "■ 決定事項",
    "actions": "■ 宿題（担当・期限）",
    "next": "■ 次回予定",
}


def turn_marks(turns: list[int]) -> str:
    return f"〔発言{'・'.join(str(t) for t in turns)}〕" if turns else ""


def _point(point: Point, sources: bool) -> str:
    return point.text + (turn_marks(point.turns) if sources else "")


def is_single_summary(minutes: Minutes) -> bool:
    return (
        minutes.style == "要点筆記"
        and len(minutes.agenda) == 1
        and not minutes.speakers
        and not minutes.decisions
        and not minutes.actions
        and not minutes.next_meeting
    )


def minutes_text(minutes: Minutes, *, sources: bool = True) -> str:
    """The minutes as plain text."""
    if is_single_summary(minutes):
        return "\n".join(p.text for p in minutes.agenda[0].points)
    lines: list[str] = []
    header = [("会議名", minutes.title), ("日時", minutes.held_on), ("場所", minutes.place)]
    lines += [f"{name}：{value}" for name, value in header if value]
    if minutes.attendees:
        lines.append(f"出席者：{'、'.join(minutes.attendees)}")
    if minutes.style == "要点筆記":
        lines += _agenda(minutes, sources) + _speakers(minutes, sources)
    elif minutes.style == "発言録":
        lines += ["", HEADINGS["record"]]
        for turn in minutes.record:
            when = f"（{turn.start}）" if turn.start else ""
            lines.append(
                f"○{turn.speaker}{when}　{turn.text}" + (turn_marks([turn.index]) if sources else "")
            )
    else:
        lines += ["", HEADINGS["qa"]]
        for n, pair in enumerate(minutes.qa, start=1):
            lines.append(f"問{n}（{pair.questioner}）　{_point(pair.question, sources)}")
            if pair.answer is not None:
                lines.append(f"答{n}（{pair.answerer}）　{_point(pair.answer, sources)}")
            else:
                lines.append(f"答{n}　（会議中の答弁なし）")
    if minutes.decisions:
        lines += ["", HEADINGS["decisions"]] + [f"・{_point(p, sources)}" for p in minutes.decisions]
    if minutes.actions:
        lines += ["", HEADINGS["actions"]]
        for action in minutes.actions:
            who = "・".join(part for part in (f"担当：{action.owner}" if action.owner else "",
                                              f"期限：{action.due}" if action.due else "") if part)  # fmt: skip
            mark = turn_marks(action.turns) if sources else ""
            lines.append(f"・{action.task}{'（' + who + '）' if who else ''}{mark}")
    if minutes.next_meeting:
        lines += ["", HEADINGS["next"], minutes.next_meeting]
    return "\n".join(lines).strip("\n")


def _agenda(minutes: Minutes, sources: bool) -> list[str]:
    lines = ["", HEADINGS["agenda"]]
    for n, item in enumerate(minutes.agenda, start=1):
        lines.append(f"{n}　{item.title}")
        lines += [f"　・{_point(p, sources)}" for p in item.points] or ["　（要旨なし）"]
    return lines


def _speakers(minutes: Minutes, sources: bool) -> list[str]:
    if not minutes.speakers:
        return []
    lines = ["", HEADINGS["speakers"]]
    for summary in minutes.speakers:
        lines.append(f"○{summary.speaker}")
        lines += [f"　・{_point(p, sources)}" for p in summary.points]
    return lines
