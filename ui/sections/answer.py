"""One message of a conversation: the question, or the answer with its 機密性, how it was produced (and
whether another model than the chosen one answered), its sources with their labels, and the reader's rating."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui import answer_actions, chatscope_texts, session, texts
from ui.client import YakubaClient

_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")  # `|---|:--:|`


def model_name(address: str | None) -> str:
    """`bedrock/claude-haiku-4-5` → `claude-haiku-4-5` (the provider is not the reader's concern)."""
    return (address or "").partition("/")[2] or (address or "")


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Badge colours by level: level 1 is shown too, but quietly.
_LEVEL_COLORS = {1: "gray", 2: "orange", 3: "red"}
ATTACHMENT_CHUNK = "att-"  # chunk ids of files attached to a conversation (assistant/api/attachments.py)


def classification_label(level: int) -> str:
    """2 → 「機密性２」 (full-width digit, as government documents write it)."""
    return texts.ANSWER_CLASSIFICATION.format(level=str(level).translate(_FULL_WIDTH))


def answer_level(message: dict[str, Any]) -> int | None:
    """The answer's 機密性: the API's, else the highest among its citations; None when it cites nothing."""
    if message.get("classification") is not None:
        return int(message["classification"])
    levels = [int(c["classification"]) for c in message.get("citations") or [] if c.get("classification")]
    return max(levels, default=None)


def groups_label(citation: dict[str, Any]) -> str:
    if str(citation.get("chunk_id", "")).startswith(ATTACHMENT_CHUNK):  # a file attached to this conversation
        return chatscope_texts.SOURCE_ATTACHED
    groups = citation.get("groups") or []
    return texts.SOURCE_GROUPS.format(groups="、".join(groups)) if groups else texts.SOURCE_GROUPS_ALL


def _level_badge(level: int) -> str:
    return f":{_LEVEL_COLORS.get(level, 'red')}-badge[:material/lock: {classification_label(level)}]"


def export_text(message: dict[str, Any]) -> str:
    """The answer as plain text for saving or pasting elsewhere: the 機密性 label is its first line."""
    lines = []
    level = answer_level(message)
    if level is not None:
        lines.append(classification_label(level))
    lines += [texts.EXPORT_ANSWER, message["text"]]
    if message.get("citations"):
        lines.append(texts.EXPORT_SOURCES)
        for c in message["citations"]:
            label = classification_label(c["classification"]) if c.get("classification") else ""
            lines.append(
                texts.EXPORT_SOURCE_LINE.format(
                    n=c["n"], title=c["title"], location=c["location"], label=label, groups=groups_label(c)
                )
            )
    if message.get("backend"):
        lines.append(texts.EXPORT_MODEL.format(backend=message["backend"]))
    if message.get("substitution"):
        lines.append(message["substitution"])
    return "\n".join(lines) + "\n"


def answer_message(response: dict[str, Any]) -> dict[str, Any]:
    """A POST /chat result in the shape of a stored message (GET /conversations/{id})."""
    return {
        "id": response["message_id"],
        "role": "assistant",
        "text": response["answer"],
        "citations": response["citations"],
        "backend": response["backend"],
        "model_id": response["model_id"],
        "mode": response["mode"],
        "usage": response["usage"],
        "notice": response.get("notice"),
        "classification": response.get("classification"),
        "requested_backend": response.get("requested_backend"),
        "substitution": response.get("substitution"),
        "related": response.get("related") or [],
    }


def render_classification(message: dict[str, Any]) -> None:
    """The answer's 機密性 at its top (nothing when it cites no source)."""
    level = answer_level(message)
    if level is not None:
        st.badge(
            classification_label(level),
            icon=":material/lock:",
            color=_LEVEL_COLORS.get(level, "red"),
            help=texts.ANSWER_CLASSIFICATION_HELP,
        )


def render_substitution(message: dict[str, Any]) -> None:
    """Another model than the chosen one answered (policy re-routing or a fallback): never silently."""
    if message.get("substitution"):
        st.badge(texts.SUBSTITUTION_LABEL, icon=":material/swap_horiz:", color="violet")
        st.warning(message["substitution"], icon=":material/swap_horiz:")


def render_mode(message: dict[str, Any]) -> None:
    """Say how the answer was produced; an extractive answer is never presented as generated text."""
    if message.get("mode") == "extractive":
        st.badge(texts.EXTRACTIVE_LABEL, icon=":material/format_quote:", color="orange")
        st.info(message.get("notice") or texts.EXTRACTIVE_EXPLAIN)
    else:
        st.badge(
            texts.LLM_LABEL.format(model=model_name(message.get("backend"))),
            icon=":material/auto_awesome:",
            color="blue",
        )
        if message.get("notice"):
            st.info(message["notice"])


def render_sources(client: YakubaClient, citations: list[dict[str, Any]]) -> None:
    """Each source with its labels, a link to its original file and its text."""
    with st.expander(texts.SOURCES_HEADER.format(count=len(citations)), expanded=bool(citations)):
        if not citations:
            st.caption(texts.SOURCES_NONE)
        links = answer_actions.source_links(client, citations) if citations else {}
        for citation in citations:
            level = citation.get("classification")
            # the link to the original sits at the end of the source's line (wrapped under it when narrow)
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                st.markdown(
                    texts.SOURCE_LINE.format(
                        n=citation["n"],
                        title=citation["title"],
                        location=citation["location"],
                        label=_level_badge(int(level)) if level else "",
                        groups=groups_label(citation),
                    ),
                    width="content",
                )
                answer_actions.render_source_link(links.get(citation.get("chunk_id", "")))
            render_quote(citation["quote"])


def quote_blocks(quote: str) -> list[str | list[list[str]]]:
    """The quote as text blocks and tables: lines of Markdown table syntax (`| a | b |`, the ingest loaders'
    form for tables) become a list of rows (the separator row dropped), everything else stays text."""
    blocks: list[str | list[list[str]]] = []
    for line in quote.splitlines():
        if line.lstrip().startswith("|"):
            if _TABLE_SEP.match(line.strip()):
                continue
            row = [c.strip() for c in line.strip().strip("|").split("|")]
            if blocks and isinstance(blocks[-1], list):
                blocks[-1].append(row)
            else:
                blocks.append([row])
        elif blocks and isinstance(blocks[-1], str):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


def render_quote(quote: str) -> None:
    """A source's text: tables as tables (header row first), the rest as plain text so that markup in the
    document is not interpreted."""
    import pandas as pd

    for block in quote_blocks(quote):
        if isinstance(block, str):
            if block.strip():
                st.text(block)
            continue
        width = max(len(r) for r in block)
        rows = [r + [""] * (width - len(r)) for r in block]
        header = rows[0] if len(rows) > 1 else [str(i + 1) for i in range(width)]
        body = rows[1:] if len(rows) > 1 else rows
        # unique column names (a header may repeat a label); shown as the table's header row
        names = [h if h and h not in header[:i] else f"{h}（{i + 1}）" for i, h in enumerate(header)]
        st.table(pd.DataFrame(body, columns=names).set_index(names[0]))


def render_related(related: list[dict[str, Any]]) -> None:
    """関連する可能性のある資料, apart from the answer and its sources: offered with 「見当たりません」, never cited."""
    if not related:
        return
    with st.expander(texts.RELATED_HEADER.format(count=len(related)), expanded=True):
        st.caption(texts.RELATED_CAPTION)
        for doc in related:
            level = doc.get("classification")
            parts = [doc["title"], doc.get("location") or "", _level_badge(int(level)) if level else ""]
            st.markdown("・" + "　".join(p for p in parts if p))


def render_usage(message: dict[str, Any]) -> None:
    usage = message.get("usage") or {}
    if not usage.get("input_tokens") and not usage.get("output_tokens"):
        return
    line = texts.USAGE_LINE.format(input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"])
    if usage.get("cost"):
        line += texts.COST_LINE.format(cost=usage["cost"])
    st.caption(line)


def render_feedback(client: YakubaClient, message_id: int) -> None:
    """👍/👎 with an optional comment, sent once the reader confirms."""
    sent = st.session_state.setdefault(session.FEEDBACK_SENT, set())
    if message_id in sent:
        st.caption(texts.FEEDBACK_THANKS)
        return
    st.caption(texts.FEEDBACK_PROMPT)
    choice = st.feedback("thumbs", key=f"feedback-{message_id}")
    if choice is None:
        return
    with st.form(f"feedback-form-{message_id}", border=False):
        comment = st.text_input(texts.FEEDBACK_COMMENT_LABEL, placeholder=texts.FEEDBACK_COMMENT_PLACEHOLDER)
        submitted = st.form_submit_button(texts.FEEDBACK_SEND)
    if submitted:
        with session.api_errors():
            client.feedback(message_id, "good" if choice == 1 else "bad", comment.strip())
            sent.add(message_id)
            st.rerun()


def render_message(
    client: YakubaClient,
    message: dict[str, Any],
    question: str | None = None,
    models: list[dict[str, Any]] | None = None,
) -> None:
    """One message; an answer comes with its actions (`question` is the one it answers, `models` those
    the reader may choose to ask again)."""
    with st.chat_message(message["role"], avatar=texts.AVATARS[message["role"]]):
        if message["role"] == "user":
            st.markdown(message["text"])
            return
        render_classification(message)
        render_substitution(message)
        render_mode(message)
        if message.get("regenerated"):
            st.caption(texts.ACTION_REGENERATED.format(model=model_label(message)))
        # Answers put each quoted sentence on its own line: keep the breaks (Markdown joins lines).
        st.markdown(message["text"].replace("\n", "  \n"))
        render_sources(client, message.get("citations") or [])
        render_related(message.get("related") or [])
        render_usage(message)
        if message.get("id") is not None:
            answer_actions.render_actions(message, question, models or [], model_label, export_text(message))
        render_feedback(client, message["id"])


def model_label(model: dict[str, Any]) -> str:
    """How a model (a GET /models row, or an answer with its `backend` and `mode`) is named to the reader."""
    if model.get("mode") == "extractive":
        return texts.MODEL_EXTRACTIVE
    name = model_name(model.get("address") or model.get("backend"))
    return texts.MODEL_ANY_ON_SERVER if name == "*" else name
