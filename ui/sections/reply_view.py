"""One reply draft as the 照会回答 and 確認・承認 pages show it: its state, 機密性 and how it was made (抽出モード
said as such), the document as it will print (the same layout as the DOCX, 「案」 until approved, items to be
checked highlighted), the suggested 所管課 and the similar past inquiries beside it, the history, downloads."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import streamlit as st

from assistant.exports.reply_layout import Line, reply_layout
from assistant.tasks.reply_models import ReplyDraft
from ui import paper, texts
from ui import reply_texts as rt
from ui.client import YakubaClient
from ui.paper import APPROVED, LEVEL_COLORS
from ui.sections import answer

_PAPER_CSS = paper.style("""
.yk-title { font-weight: bold; font-size: 1.08em; }
.yk-item { padding-left: 1em; text-indent: -1em; }
.yk-note { background: #fff3cd; border-left: 3px solid #e0a800; padding-left: .4em; }
.yk-source, .yk-quote { font-size: .9em; } .yk-quote { color: #555; }
.yk-blank { height: .8em; }
""")


def render_status(summary: dict[str, Any], draft: dict[str, Any]) -> None:
    """State, version, 機密性, owner/reviewer on one line, then how the draft was made (抽出モード or the model)."""
    level = int(summary["classification"])
    state_color = rt.REPLY_STATE_COLORS.get(summary["state"], "gray")
    people = rt.REPLY_OWNER.format(owner=summary["owner"])
    if summary.get("reviewer"):
        people += "　" + rt.REPLY_REVIEWER.format(reviewer=summary["reviewer"])
    st.markdown(
        f":{state_color}-badge[{rt.REPLY_STATE.format(state=summary['state'])}]　"
        f":gray-badge[{rt.REPLY_VERSION.format(version=summary['version'])}]　"
        f":{LEVEL_COLORS.get(level, 'red')}-badge[:material/lock: {answer.classification_label(level)}]　"
        f"{people}",
        help=texts.ANSWER_CLASSIFICATION_HELP,
    )
    answer.render_substitution(draft)
    if draft.get("mode") == "extractive":
        answer.render_mode({**draft, "notice": rt.REPLY_MODE_EXTRACTIVE_EXPLAIN})
    else:
        answer.render_mode(draft)


def _line_html(line: Line) -> str:
    classes = []
    if line.align != "left":
        classes.append(f"yk-{line.align}")
    if line.kind in ("title", "item", "note", "source", "quote", "blank"):
        classes.append(f"yk-{line.kind}")
    style = f' style="margin-left: {line.indent}em"' if line.indent and line.kind != "item" else ""
    return f'<p class="{" ".join(classes)}"{style}>{html.escape(line.text)}</p>'


def paper_html(draft: dict[str, Any], approved: bool) -> str:
    """The draft as it prints (reply_layout, as the DOCX), escaped, in a white page."""
    layout = reply_layout(ReplyDraft.model_validate(draft), approved=approved)
    head = (
        f'<span class="yk-mark">{html.escape(layout.draft_mark)}</span>'
        if layout.draft_mark
        else "<span></span>"
    )
    if layout.classification:
        head += f'<span class="yk-label">{html.escape(layout.classification)}</span>'
    lines = "".join(_line_html(line) for line in layout.lines)
    return f'{_PAPER_CSS}<div class="yk-paper"><div class="yk-head">{head}</div>{lines}</div>'


def render_document(summary: dict[str, Any], draft: dict[str, Any]) -> None:
    open_points = draft.get("open_points") or []
    if open_points:
        st.warning(
            rt.REPLY_OPEN_POINTS.format(count=len(open_points))
            + "：" + rt.REPLY_OPEN_POINTS_HELP + "  \n" + "  \n".join(f"・{p}" for p in open_points),
            icon=":material/help:",
        )  # fmt: skip
    st.html(paper_html(draft, summary["state"] == APPROVED))


def _date(value: str | None) -> str:
    return value or rt.REPLY_UNKNOWN


def render_side(draft: dict[str, Any]) -> None:
    """The suggested 所管課 with their confidence, and the similar past inquiries with their answers."""
    st.markdown(f"**{rt.REPLY_SECTIONS_HEADER}**", help=rt.REPLY_SECTIONS_HELP)
    suggestions = draft.get("section_suggestions") or []
    if not suggestions:
        st.caption(rt.REPLY_SECTIONS_NONE)
    for suggestion in suggestions:
        st.progress(
            min(max(float(suggestion["confidence"]), 0.0), 1.0),
            text=rt.REPLY_SECTION_LINE.format(
                section=suggestion["section"], confidence=suggestion["confidence"]
            ),
        )
    similar = draft.get("similar") or []
    st.markdown(f"**{rt.REPLY_SIMILAR_HEADER.format(count=len(similar))}**")
    if not similar:
        st.caption(rt.REPLY_SIMILAR_NONE)
    for item in similar:
        label = rt.REPLY_SIMILAR_LABEL.format(
            subject=item["subject"] or item["question"][:30],
            date=_date(item.get("answered_on") or item.get("asked_on")),
            section=item.get("section") or rt.REPLY_UNKNOWN,
        )
        with st.expander(label):
            st.caption(
                rt.REPLY_SIMILAR_META.format(
                    sender=item.get("sender") or rt.REPLY_UNKNOWN, asked=_date(item.get("asked_on")),
                    answered=_date(item.get("answered_on")), section=item.get("section") or rt.REPLY_UNKNOWN,
                    label=answer.classification_label(int(item.get("classification") or 1)),
                )
            )  # fmt: skip
            st.markdown(f"**{rt.REPLY_SIMILAR_QUESTION}**")
            st.text(item["question"])  # records' own text: shown as text, never as markup
            st.markdown(f"**{rt.REPLY_SIMILAR_ANSWER}**")
            st.text(item["answer"])


def unique_labels(labels: dict[str, str]) -> dict[str, str]:
    """Labels made distinct with 「（2）」「（3）」…: a selectbox tells its options apart by their text."""
    seen: dict[str, int] = {}
    out = {}
    for key, label in labels.items():
        seen[label] = seen.get(label, 0) + 1
        out[key] = label if seen[label] == 1 else f"{label}（{seen[label]}）"
    return out


def _time(value: str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def render_history(events: list[dict[str, Any]]) -> None:
    with st.expander(rt.REPLY_HISTORY_HEADER):
        for event in events:
            comment = f"：{event['comment']}" if event.get("comment") else ""
            st.text(
                rt.REPLY_HISTORY_LINE.format(
                    time=_time(event["created_at"]), actor=event["actor"],
                    action=rt.REPLY_ACTIONS.get(event["action"], event["action"]), version=event["version"],
                    comment=comment,
                )
            )  # fmt: skip


def last_return(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    returned = [e for e in events if e["action"] == "return"]
    return returned[-1] if returned else None


def render_downloads(client: YakubaClient, summary: dict[str, Any], draft: dict[str, Any]) -> None:
    """DOCX and text of the current version, fetched only when clicked (each export is audited)."""
    stem = draft["subject"] or "回答案"
    if summary["state"] != APPROVED:
        stem = f"【案】{stem}"
        st.caption(rt.REPLY_DOWNLOAD_DRAFT_NOTE)
    cols = st.columns(2)
    cols[0].download_button(
        rt.REPLY_DOWNLOAD_DOCX,
        client.deferred("export_reply", summary["id"], "docx"),
        file_name=f"{stem}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/description:",
        on_click="ignore",
        key=f"docx-{summary['id']}-{summary['version']}",
    )
    cols[1].download_button(
        rt.REPLY_DOWNLOAD_TXT,
        client.deferred("export_reply", summary["id"], "txt"),
        file_name=f"{stem}.txt",
        mime="text/plain",
        icon=":material/download:",
        on_click="ignore",
        key=f"txt-{summary['id']}-{summary['version']}",
    )


def render_draft(client: YakubaClient, detail: dict[str, Any]) -> None:
    """The whole view of one draft except the page's own actions (edit and submit, or approve and return)."""
    draft = detail["draft"]
    render_status(detail, draft)
    returned = last_return(detail["events"])
    if detail["state"] == "差戻し" and returned:
        st.error(rt.REPLY_RETURNED_NOTE.format(reviewer=returned["actor"], comment=returned["comment"]))
    main, side = st.columns([3, 2], gap="large")
    with main:
        render_document(detail, draft)
        render_downloads(client, detail, draft)
    with side:
        render_side(draft)
    render_history(detail["events"])
