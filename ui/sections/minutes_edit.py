"""Editing minutes on the 議事録作成 page: each list of points as a text area of one line per point, the source
turns kept at the end of each line as printed (「…〔発言3〜5, 8〕」), and read back into the typed minutes."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from assistant.exports.minutes_layout import turn_refs
from ui import minutes_client as api
from ui import minutes_texts as mt
from ui import session
from ui.client import YakubaClient

_REFS = re.compile(r"〔発言(?P<refs>[0-9０-９,，、\s〜~\-－]+)〕\s*$")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，、－～", "0123456789,,-~")
ACTION_SEPARATOR = "｜"


def parse_refs(refs: str) -> list[int]:
    """「3〜5, 8」 → [3, 4, 5, 8]."""
    numbers: list[int] = []
    for part in refs.translate(_FULL_WIDTH).replace("〜", "~").replace("-", "~").split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("~")
        if high.strip():
            numbers += range(int(low), int(high) + 1)
        else:
            numbers.append(int(low))
    return sorted(set(numbers))


def split_line(line: str) -> tuple[str, list[int]]:
    """「文〔発言3, 5〕」 → ("文", [3, 5]); a line without references has none."""
    match = _REFS.search(line)
    if not match:
        return line.strip(), []
    return line[: match.start()].strip(), parse_refs(match.group("refs"))


def point_line(point: dict[str, Any]) -> str:
    return point["text"] + turn_refs(point.get("turns") or [])


def points_text(points: list[dict[str, Any]]) -> str:
    return "\n".join(point_line(p) for p in points)


def read_points(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        body, turns = split_line(line)
        if body:
            out.append({"text": body, "turns": turns})
    return out


def action_line(action: dict[str, Any]) -> str:
    return ACTION_SEPARATOR.join(
        [action["task"], action.get("owner", ""), action.get("due", "")]
    ) + turn_refs(action.get("turns") or [])


def read_actions(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        body, turns = split_line(line)
        parts = [p.strip() for p in body.split(ACTION_SEPARATOR)] + ["", ""]
        if parts[0]:
            out.append({"task": parts[0], "owner": parts[1], "due": parts[2], "turns": turns})
    return out


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def edited(minutes: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The minutes with the edit form's values (keys as `render_edit` names them)."""
    out = dict(minutes)
    for name in ("title", "held_on", "place", "next_meeting"):
        out[name] = values[name].strip()
    out["attendees"] = _lines(values["attendees"])
    out["agenda"] = [
        item | {"title": values[f"agenda-title-{i}"].strip(), "points": read_points(values[f"agenda-{i}"])}
        for i, item in enumerate(minutes["agenda"])
    ]
    out["speakers"] = [
        item | {"points": read_points(values[f"speaker-{i}"])} for i, item in enumerate(minutes["speakers"])
    ]
    qa = []
    for i, pair in enumerate(minutes["qa"]):
        question = pair["question"] | {"text": values[f"q-{i}"].strip()}
        answer = pair["answer"] | {"text": values[f"a-{i}"].strip()} if pair.get("answer") else None
        qa.append(pair | {"question": question, "answer": answer})
    out["qa"] = qa
    out["decisions"] = read_points(values["decisions"])
    out["actions"] = read_actions(values["actions"])
    return out


def render_edit(client: YakubaClient, detail: dict[str, Any]) -> None:
    minutes, id_ = detail["minutes"], f"{detail['id']}-{detail['version']}"
    values: dict[str, Any] = {}
    with st.expander(mt.EDIT_HEADER, icon=":material/edit:"):
        st.caption(mt.EDIT_HELP)
        with st.form(f"m-edit-{id_}", border=False):
            cols = st.columns(3)
            for col, (name, label) in zip(cols, mt.FIELDS.items(), strict=True):
                values[name] = col.text_input(label, value=minutes[name], key=f"m-edit-{id_}-{name}")
            values["attendees"] = st.text_area(mt.EDIT_ATTENDEES, value="\n".join(minutes["attendees"]))
            for i, item in enumerate(minutes["agenda"]):
                values[f"agenda-title-{i}"] = st.text_input(
                    mt.EDIT_AGENDA_TITLE.format(n=i + 1), value=item["title"]
                )
                values[f"agenda-{i}"] = st.text_area(
                    mt.EDIT_AGENDA_POINTS.format(n=i + 1), value=points_text(item["points"]),
                    key=f"m-edit-{id_}-agenda-{i}",
                )  # fmt: skip
            for i, item in enumerate(minutes["speakers"]):
                values[f"speaker-{i}"] = st.text_area(
                    mt.EDIT_SPEAKER.format(speaker=item["speaker"]), value=points_text(item["points"])
                )
            for i, pair in enumerate(minutes["qa"]):
                values[f"q-{i}"] = st.text_area(
                    mt.EDIT_QUESTION.format(n=i + 1, who=pair["questioner"]), value=pair["question"]["text"]
                )
                if pair.get("answer"):
                    values[f"a-{i}"] = st.text_area(
                        mt.EDIT_ANSWER.format(n=i + 1, who=pair["answerer"]), value=pair["answer"]["text"]
                    )
            if minutes["record"]:
                st.caption(mt.EDIT_RECORD_NOTE)
            values["decisions"] = st.text_area(
                mt.EDIT_DECISIONS, value=points_text(minutes["decisions"]), key=f"m-edit-{id_}-decisions"
            )
            values["actions"] = st.text_area(
                mt.EDIT_ACTIONS, value="\n".join(action_line(a) for a in minutes["actions"])
            )
            values["next_meeting"] = st.text_input(mt.EDIT_NEXT, value=minutes["next_meeting"])
            comment = st.text_input(mt.EDIT_COMMENT, key=f"m-edit-{id_}-comment")
            saved = st.form_submit_button(mt.EDIT_SAVE, type="primary", icon=":material/save:")
    if saved:
        result = api.edit(client, detail["id"], edited(minutes, values), detail["version"], comment.strip())
        session.flash("success", mt.EDIT_SAVED.format(version=result["version"]))
        st.rerun()


def render_submit(client: YakubaClient, detail: dict[str, Any]) -> None:
    with st.form(f"m-submit-{detail['id']}-{detail['version']}", border=False):
        comment = st.text_input(mt.SUBMIT_COMMENT)
        sent = st.form_submit_button(mt.SUBMIT_BUTTON, type="primary", icon=":material/send:")
    if sent:
        api.transition(client, detail["id"], "submit", comment.strip())
        session.flash("success", mt.SUBMITTED)
        st.rerun()
