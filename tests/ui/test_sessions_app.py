"""Sessions in the Streamlit app (issue 13), driven by `AppTest` against the real API of conftest.py: a key
sign-in keeps a session token (never the key), sign-out revokes it at the API, signing out everywhere signs
out the user's other tabs at their next step, and the conversation named in the URL is reopened."""

from __future__ import annotations

import httpx

from tests.ui.test_app import all_text, button, sign_in, ui_session
from ui import session_texts, texts


def _new_user(live_api, name: str) -> str:
    from assistant.records import create_user, init_db, make_session_factory

    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:
        key = create_user(session, name, groups=["総務課"], clearance=1)[1]
    engine.dispose()
    return key


def _me(live_api, token: str) -> int:
    return httpx.get(f"{live_api.url}/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_sign_out_revokes_the_session_at_the_api(live_api, monkeypatch):
    key = _new_user(live_api, "session-app-out")
    at = sign_in(ui_session(monkeypatch, live_api.url), key)
    token = at.session_state["yakuba_session_token"]
    assert token.startswith("ys_") and key not in str(at.session_state.to_dict())
    assert _me(live_api, token) == 200

    button(at, texts.SIGNOUT_BUTTON).click().run()
    assert not at.exception
    assert session_texts.SIGNED_OUT in [s.value for s in at.success]
    assert at.text_input and not at.chat_input and "yakuba_session_token" not in at.session_state
    assert _me(live_api, token) == 401


def test_signing_out_everywhere_signs_out_the_other_tabs(live_api, monkeypatch):
    key = _new_user(live_api, "session-app-everywhere")
    first = sign_in(ui_session(monkeypatch, live_api.url), key)
    second = sign_in(ui_session(monkeypatch, live_api.url), key)

    button(first, session_texts.SIGNOUT_EVERYWHERE_BUTTON).click().run()
    assert session_texts.SIGNED_OUT_EVERYWHERE.format(count=2) in [s.value for s in first.success]

    second.run()  # its next step: the API refuses its session
    assert not second.exception
    assert texts.ERROR_SESSION_EXPIRED in [w.value for w in second.warning]
    assert not second.chat_input


def test_the_conversation_in_the_url_is_reopened_after_sign_in(live_api, monkeypatch):
    key = _new_user(live_api, "session-app-reopen")
    answer = httpx.post(
        f"{live_api.url}/chat",
        headers={"Authorization": f"Bearer {key}"},
        json={"message": "テレワーク勤務の日数は週何日までですか"},
        timeout=60,
    ).json()

    at = ui_session(monkeypatch, live_api.url)
    at.query_params["conversation"] = answer["conversation_id"]
    sign_in(at, key)
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert "週2日" in "\n".join(str(e.value) for e in at.chat_message[1].markdown)

    button(at, texts.CONVERSATION_NEW).click().run()  # a new conversation takes the id out of the URL
    assert "conversation" not in at.query_params

    other = ui_session(monkeypatch, live_api.url)
    other.query_params["conversation"] = "00000000-0000-0000-0000-000000000000"
    sign_in(other, key)
    assert session_texts.CONVERSATION_NOT_REOPENED in all_text(other) and not other.chat_message
