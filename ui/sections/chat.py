"""The chat: a model selector limited to the backends the user may use, the open conversation, and
a question streamed to the API (tokens shown as they arrive, then the final answer with sources).

A question that fails (too long, refused, the API unreachable …) stays in the input box and the reason
is shown in Japanese above it; the failed turn leaves no bubbles behind.

Above the input: the filters the next question is searched with (ui/chat_filters.py), shown under each question
asked with them, and the files attached to the conversation (ui/attachments.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import answer_actions, attachments, chat_filters, session, texts
from ui import chatscope_texts as scope_texts
from ui.client import ApiError, Unauthorized, YakubaClient
from ui.sections.answer import answer_message, model_label, render_message


def choose_backend(client: YakubaClient, usable_out: list[dict[str, Any]]) -> str | None:
    """The selector offers only usable backends; the others are listed with the reason. The usable
    ones are also put in `usable_out` (the answers' 別のモデルで再回答 offers the same)."""
    models = client.models()["models"]
    usable = [m for m in models if m["available"]]
    usable_out.extend(usable)
    if not usable:
        st.warning(texts.MODEL_NONE)
        return None
    labels = {m["address"]: model_label(m) for m in usable}
    default = next((i for i, m in enumerate(usable) if m["default"]), 0)
    choice = st.selectbox(
        texts.MODEL_LABEL,
        list(labels),
        index=default,
        format_func=labels.__getitem__,
        help=texts.MODEL_HELP,
        key="backend",
    )
    chosen = next(m for m in usable if m["address"] == choice)
    st.caption(texts.MODEL_LOCATION.format(location=chosen["data_location_label"]))
    st.toggle(texts.ALLOW_AUTO_LABEL, value=False, help=texts.ALLOW_AUTO_HELP, key=session.ALLOW_AUTO)
    noted = [m for m in models if m["reason"]]
    if noted:
        with st.expander(texts.MODEL_UNAVAILABLE_HEADER):
            for model in noted:
                st.markdown(f"- **{model_label(model)}**：{model['reason']}")
    return choice


def _stream(
    client: YakubaClient, question: str, backend: str | None, result: dict[str, Any], filters: dict[str, Any]
) -> Iterator[str]:
    """Answer pieces for `st.write_stream`; the final response is left in `result["done"]`."""
    for event, data in client.chat_stream(
        question,
        st.session_state.get(session.CONVERSATION),
        backend,
        allow_auto=bool(st.session_state.get(session.ALLOW_AUTO)),
        filters=filters,
    ):
        if event == "token":
            yield data["text"]
        elif event == "done":
            result["done"] = data


def ask(
    client: YakubaClient, question: str, backend: str | None, filters: dict[str, Any], regenerated: bool = False
) -> None:
    with st.chat_message("user", avatar=texts.AVATARS["user"]):
        st.markdown(question)
    result: dict[str, Any] = {}
    with st.chat_message("assistant", avatar=texts.AVATARS["assistant"]):
        with st.spinner(texts.CHAT_THINKING):
            st.write_stream(_stream(client, question, backend, result, filters))
    if "done" not in result:
        raise ApiError(texts.ERROR_STREAM_BROKEN)
    response = result["done"]
    st.session_state[session.CONVERSATION] = response["conversation_id"]
    st.session_state[session.MESSAGES] += [
        {"id": None, "role": "user", "text": question},
        answer_message(response)
        | {"filters_label": response.get("filters_label")}
        | ({"regenerated": True} if regenerated else {}),
    ]
    st.rerun()  # show the final answer (markers normalised) with its sources and rating


def _failed(question: str, message: str) -> None:
    """Start over with the question back in the input and the reason above it."""
    st.session_state[session.QUESTION_DRAFT] = question
    st.session_state[session.CHAT_ERROR] = message
    st.rerun()


def submit(
    client: YakubaClient, question: str, backend: str | None, filters: dict[str, Any], regenerated: bool = False
) -> None:
    with session.api_errors():  # a rejected key signs the user out
        try:
            ask(client, question, backend, filters, regenerated)
        except Unauthorized:
            raise
        except ApiError as exc:
            _failed(question, exc.message)


def question_input() -> str | None:
    """The chat input with its limit (the browser counts the characters as they are typed and stops at the
    limit), holding a question that failed on the previous run."""
    draft = st.session_state.pop(session.QUESTION_DRAFT, None)
    if draft is not None:
        st.session_state[session.QUESTION] = draft
    if answer_actions.take_editing():
        st.info(texts.ACTION_EDIT_NOTICE, icon=":material/edit:")
    error = st.session_state.pop(session.CHAT_ERROR, None)
    if error:
        st.error(error, icon=":material/error:")
        if draft is not None:
            st.caption(texts.ERROR_KEPT_INPUT)
    limit = session.question_limit()
    st.caption(texts.CHAT_LIMIT.format(limit=limit))
    return st.chat_input(texts.CHAT_INPUT_PLACEHOLDER, max_chars=limit, key=session.QUESTION)


def render(client: YakubaClient, model_slot: DeltaGenerator) -> None:
    """The chat; the model selector goes into `model_slot` (in the sidebar)."""
    backend = None
    usable: list[dict[str, Any]] = []
    with model_slot, session.api_errors():
        backend = choose_backend(client, usable)
    messages = st.session_state.get(session.MESSAGES, [])
    if not messages:
        st.caption(texts.CHAT_EMPTY)
    labels = _stored_labels(client, messages)
    asked = None
    for message in messages:
        label = message.get("filters_label") or labels.get(message.get("id"))
        if message["role"] == "assistant" and label:  # under the question it belongs to
            st.caption(scope_texts.FILTER_CAPTION.format(label=label), help=None)
        render_message(client, message, asked, usable)
        asked = message["text"] if message["role"] == "user" else None
    filters: dict[str, Any] = {}
    with session.api_errors():
        left, right = st.columns(2)
        with left:
            filters = chat_filters.panel(client)
        with right:
            attachments.panel(client)
    pending = answer_actions.take_pending()  # 別のモデルで再回答: the same question to the chosen model
    question = question_input()
    if pending:
        submit(client, pending[0], pending[1], filters, regenerated=True)
    elif question and question.strip():
        submit(client, question.strip(), backend, filters)


def _stored_labels(client: YakubaClient, messages: list[dict[str, Any]]) -> dict[int, str]:
    """Answer id → label of the filters its question had, for a conversation opened from the list (asked
    once per conversation and length)."""
    conversation = st.session_state.get(session.CONVERSATION)
    if not conversation or all(m.get("filters_label") is not None or m["role"] == "user" for m in messages):
        return {}
    key = (conversation, len(messages))
    cached = st.session_state.get(_LABELS)
    if cached is None or cached[0] != key:
        with session.api_errors():
            cached = (key, client.turn_filters(conversation))
            st.session_state[_LABELS] = cached
    return cached[1] if cached else {}


_LABELS = "yakuba_filter_labels"
