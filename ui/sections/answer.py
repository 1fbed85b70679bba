"""One message of a conversation: the question, or the answer with how it was produced, its sources
and the reader's rating."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import session, texts
from ui.client import YakubaClient


def model_name(address: str | None) -> str:
    """`bedrock/claude-haiku-4-5` → `claude-haiku-4-5` (the provider is not the reader's concern)."""
    return (address or "").partition("/")[2] or (address or "")


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
    }


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


def render_sources(citations: list[dict[str, Any]]) -> None:
    with st.expander(texts.SOURCES_HEADER.format(count=len(citations)), expanded=bool(citations)):
        if not citations:
            st.caption(texts.SOURCES_NONE)
        for citation in citations:
            st.markdown(texts.SOURCE_LINE.format(**citation))
            # The quote is the document's own text: shown as text, so markup in it is not interpreted.
            st.text(citation["quote"])


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


def render_message(client: YakubaClient, message: dict[str, Any]) -> None:
    with st.chat_message(message["role"], avatar=texts.AVATARS[message["role"]]):
        if message["role"] == "user":
            st.markdown(message["text"])
            return
        render_mode(message)
        # Answers put each quoted sentence on its own line: keep the breaks (Markdown joins lines).
        st.markdown(message["text"].replace("\n", "  \n"))
        render_sources(message.get("citations") or [])
        render_usage(message)
        render_feedback(client, message["id"])
