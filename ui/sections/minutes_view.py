"""One minutes draft as the 議事録作成 page shows it: its state, 機密性, style and how it was made (抽出モード said as
such), the minutes as they will print (the same layout as the DOCX, 「案」 until approved) with the source turns
of every point on hover, a picker showing the speaker and text of the turns behind any point, downloads and the
history."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import streamlit as st

from assistant.exports.minutes_layout import Line, Table, minutes_layout, turn_refs
from assistant.tasks.minutes_models import Minutes
from ui import minutes_client as api
from ui import minutes_texts as mt
from ui import paper, texts
from ui.client import YakubaClient
from ui.paper import APPROVED, LEVEL_COLORS
from ui.sections import answer

TOOLTIP_CHARS = 160
_PAPER_CSS = paper.style("""
.yk-title { font-weight: bold; font-size: 1.15em; margin-bottom: .6em !important; }
.yk-heading { font-weight: bold; margin-top: .5em !important; }
.yk-hang { padding-left: 1em; text-indent: -1em; }
.yk-ref { font-size: .78em; color: #1a5fb4; cursor: help; border-bottom: 1px dotted #1a5fb4; }
.yk-lead { font-weight: bold; }
.yk-blank { height: .6em; }
.yk-table { border-collapse: collapse; width: 100%; margin: .4em 0 .6em; }
.yk-table th, .yk-table td { border: 1px solid #444; padding: .15em .5em; text-align: left; vertical-align: top; }
.yk-table th { width: 6em; font-weight: normal; text-align: justify; text-align-last: justify; }
""")


def _time(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")


def turn_tip(turns: dict[int, dict[str, Any]], numbers: tuple[int, ...]) -> str:
    """The hover text of a reference: each turn's number, speaker and (the start of) what was said."""
    tips = []
    for n in numbers:
        turn = turns.get(n)
        if turn is None:
            tips.append(mt.SOURCES_MISSING.format(n=n))
            continue
        said = " ".join(str(turn["text"]).split())
        said = said if len(said) <= TOOLTIP_CHARS else said[:TOOLTIP_CHARS] + "…"
        tips.append(f"{mt.TURN_LINE.format(n=n, speaker=turn['speaker'])}：{said}")
    return "\n".join(tips)


def _line_html(line: Line, turns: dict[int, dict[str, Any]]) -> str:
    classes = [f"yk-{line.align}"] if line.align != "left" else []
    if line.kind in ("title", "heading", "blank"):
        classes.append(f"yk-{line.kind}")
    if line.kind in ("point", "speech", "qa") and line.indent:
        classes.append("yk-hang")
    style = f' style="margin-left: {line.indent}em"' if line.indent else ""
    lead = f'<span class="yk-lead">{html.escape(line.lead)}</span>　' if line.lead else ""
    refs = ""
    if line.refs:
        tip = html.escape(turn_tip(turns, line.refs), quote=True)
        refs = f'<span class="yk-ref" title="{tip}">{html.escape(turn_refs(line.refs))}</span>'
    return f'<p class="{" ".join(classes)}"{style}>{lead}{html.escape(line.text)}{refs}</p>'


def _table_html(table: Table) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{'<br>'.join(html.escape(v) for v in values if v)}</td></tr>"
        for name, values in table.rows
    )
    return f'<table class="yk-table">{rows}</table>'


def paper_html(minutes: dict[str, Any], approved: bool, turns: dict[int, dict[str, Any]]) -> str:
    """The minutes as they print (minutes_layout, as the DOCX), escaped, in a white page; references carry the
    source turns as their hover text."""
    layout = minutes_layout(Minutes.model_validate(minutes), approved=approved)
    head = (
        f'<span class="yk-mark">{html.escape(layout.draft_mark)}</span>'
        if layout.draft_mark
        else "<span></span>"
    )
    if layout.classification:
        head += f'<span class="yk-label">{html.escape(layout.classification)}</span>'
    body = "".join(_table_html(b) if isinstance(b, Table) else _line_html(b, turns) for b in layout.blocks)
    return f'{_PAPER_CSS}<div class="yk-paper"><div class="yk-head">{head}</div>{body}</div>'


def render_status(detail: dict[str, Any]) -> None:
    minutes, level = detail["minutes"], int(detail["classification"])
    people = mt.OWNER.format(owner=detail["owner"])
    if detail.get("reviewer"):
        people += "　" + mt.REVIEWER.format(reviewer=detail["reviewer"])
    badges = [
        f":{mt.STATE_COLORS.get(detail['state'], 'gray')}-badge[{mt.STATE.format(state=detail['state'])}]",
        f":gray-badge[{mt.VERSION.format(version=detail['version'])}]",
        f":{LEVEL_COLORS.get(level, 'red')}-badge[:material/lock: {answer.classification_label(level)}]",
        f":violet-badge[{mt.STYLE_BADGE.format(style=minutes['style'])}]",
    ]
    if minutes.get("max_chars"):
        badges.append(f":gray-badge[{mt.LIMIT_BADGE.format(limit=minutes['max_chars'])}]")
    badges.append(f":gray-badge[{mt.TURNS_BADGE.format(count=minutes.get('n_turns', 0))}]")
    st.markdown("　".join(badges) + f"　{people}", help=texts.ANSWER_CLASSIFICATION_HELP)
    answer.render_substitution(minutes)
    if minutes.get("mode") == "extractive":
        answer.render_mode({**minutes, "notice": mt.MODE_EXTRACTIVE})
    else:
        answer.render_mode(minutes)


def cited_points(minutes: Minutes) -> list[tuple[str, tuple[int, ...]]]:
    """(label, turns) of every line of the minutes that cites turns, in the order they print."""
    layout = minutes_layout(minutes, approved=True)
    section = ""
    out = []
    for block in layout.blocks:
        if isinstance(block, Table) or block.kind == "blank":
            continue
        if block.kind == "heading":
            section = block.text.split("　", 1)[-1]
        elif block.refs:
            text = (f"{block.lead}　" if block.lead else "") + block.text.lstrip("・")
            short = text if len(text) <= 50 else text[:50] + "…"
            out.append((f"{section}：{short}{turn_refs(block.refs)}", block.refs))
    return out


def render_sources(minutes: dict[str, Any], turns: dict[int, dict[str, Any]], key: str) -> None:
    """Pick any line of the minutes and read the turns it came from, speaker and text as said."""
    points = cited_points(Minutes.model_validate(minutes))
    with st.expander(mt.SOURCES_HEADER, icon=":material/record_voice_over:"):
        if not points:
            st.caption(mt.SOURCES_NONE)
            return
        labels = [label for label, _ in points]
        chosen = st.selectbox(mt.SOURCES_POINT, range(len(points)), format_func=labels.__getitem__, key=key)
        for n in points[chosen][1]:
            turn = turns.get(n)
            if turn is None:
                st.caption(mt.SOURCES_MISSING.format(n=n))
                continue
            st.markdown(f"**{mt.TURN_LINE.format(n=n, speaker=answer_escape(turn['speaker']))}**")
            st.text(turn["text"])  # what was said, shown as text, never as markup


def answer_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[")


def render_downloads(client: YakubaClient, detail: dict[str, Any]) -> None:
    title = detail["minutes"].get("title") or "議事録"
    stem = title if detail["state"] == APPROVED else f"【案】{title}"
    if detail["state"] != APPROVED:
        st.caption(mt.DOWNLOAD_DRAFT_NOTE)
    cols = st.columns(2)
    cols[0].download_button(
        mt.DOWNLOAD_DOCX, api.deferred_export(client, detail["id"], "docx"), file_name=f"{stem}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/description:", on_click="ignore", key=f"m-docx-{detail['id']}-{detail['version']}",
    )  # fmt: skip
    cols[1].download_button(
        mt.DOWNLOAD_MD, api.deferred_export(client, detail["id"], "md"), file_name=f"{stem}.md",
        mime="text/markdown", icon=":material/download:", on_click="ignore",
        key=f"m-md-{detail['id']}-{detail['version']}",
    )  # fmt: skip


def render_history(events: list[dict[str, Any]]) -> None:
    with st.expander(mt.HISTORY_HEADER):
        for event in events:
            comment = f"：{event['comment']}" if event.get("comment") else ""
            st.text(
                mt.HISTORY_LINE.format(
                    time=_time(event["created_at"]), actor=event["actor"],
                    action=mt.ACTIONS.get(event["action"], event["action"]), version=event["version"], comment=comment,
                )
            )  # fmt: skip


def render_minutes(client: YakubaClient, detail: dict[str, Any], turns: dict[int, dict[str, Any]]) -> None:
    """The whole view of one minutes draft except the page's own actions (edit, submit)."""
    render_status(detail)
    returned = [e for e in detail["events"] if e["action"] == "return"]
    if detail["state"] == "差戻し" and returned:
        st.error(mt.RETURNED_NOTE.format(reviewer=returned[-1]["actor"], comment=returned[-1]["comment"]))
    st.markdown(f"**{mt.PREVIEW_HEADER}**", help=mt.PREVIEW_HELP)
    st.html(paper_html(detail["minutes"], detail["state"] == APPROVED, turns))
    render_sources(detail["minutes"], turns, key=f"m-src-{detail['id']}-{detail['version']}")
    render_downloads(client, detail)
    render_history(detail["events"])
