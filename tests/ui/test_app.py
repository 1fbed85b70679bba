"""The Streamlit app driven by `AppTest` against a real API (see conftest.py): sign-in, chat with
sources, the model selector, feedback, the conversation list, documents and usage."""

from __future__ import annotations

import socket

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT
from ui import texts

APP = str(PROJECT_ROOT / "ui" / "app.py")
QUESTION = "マイナンバーカードの交付申請に必要な書類は何ですか"
RUN_TIMEOUT = 60  # seconds for one script run: the first question loads the Japanese tokenizer


def ui_session(monkeypatch: pytest.MonkeyPatch, api_url: str) -> AppTest:
    """A fresh browser session of the UI, talking to the API at `api_url`."""
    from assistant.config import get_settings

    monkeypatch.setenv("YAKUBA_UI_API_URL", api_url)
    get_settings.cache_clear()
    return AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)


@pytest.fixture
def app(live_api, monkeypatch) -> AppTest:
    return ui_session(monkeypatch, live_api.url)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def all_text(at: AppTest) -> str:
    """Everything the page shows as text (markdown, captions, alerts, plain text), one per line."""
    kinds = ("markdown", "caption", "text", "info", "warning", "error", "success")
    parts = [element.value for kind in kinds for element in getattr(at, kind)]
    parts += [expander.label for expander in at.expander]
    return "\n".join(str(p) for p in parts)


def sign_in(at: AppTest, key: str) -> AppTest:
    at.run()
    at.text_input[0].input(key)
    button(at, texts.SIGNIN_BUTTON).click()
    return at.run()


def ask(at: AppTest, question: str = QUESTION) -> AppTest:
    at.chat_input[0].set_value(question)
    return at.run()


def test_bad_key_is_refused_in_japanese_and_not_shown(app, live_api):
    sign_in(app, "yk_wrong-key-0123456789")
    assert not app.exception
    assert [e.value for e in app.error] == [texts.SIGNIN_REJECTED]
    assert app.text_input[0].value == ""  # the typed key is cleared, never echoed back
    assert "yk_wrong" not in all_text(app)
    assert not app.chat_input  # still signed out


def test_unreachable_api_is_explained(monkeypatch):
    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    at = ui_session(monkeypatch, url).run()
    assert not at.exception
    assert [e.value for e in at.error] == [texts.ERROR_UNREACHABLE.format(url=url)]


def test_sign_in_then_ask_shows_an_extractive_answer_with_its_source(app, live_api):
    sign_in(app, live_api.keys["tanaka"])
    assert not app.exception
    assert "tanaka" in all_text(app)
    assert app.session_state["yakuba_session_token"].startswith("ys_")  # a session, never the key itself
    assert live_api.keys["tanaka"] not in all_text(app)

    ask(app)
    assert not app.exception, app.exception
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    answer = app.chat_message[1]
    shown = "\n".join(str(e.value) for e in answer.markdown) + "\n".join(str(e.value) for e in answer.info)
    assert texts.EXTRACTIVE_LABEL in shown
    assert "本人確認書類" in shown
    sources = answer.expander[0]
    assert sources.label == texts.SOURCES_HEADER.format(count=1)
    assert "マイナンバーカード交付事務の手引き" in sources.markdown[0].value
    assert "本人確認書類" in sources.text[0].value


def test_model_selector_offers_only_usable_models_and_explains_the_others(app, live_api):
    sign_in(app, live_api.keys["tanaka"])
    selector = app.selectbox(key="backend")
    assert selector.value == "offline/extractive"  # the configured default
    assert selector.options == ["claude-sonnet-4-5", "claude-haiku-4-5", "nova-lite", texts.MODEL_EXTRACTIVE]
    assert texts.MODEL_LOCATION.format(location="庁内（組織内のサーバー）") in [
        c.value for c in app.sidebar.caption
    ]
    reasons = next(x for x in app.expander if x.label == texts.MODEL_UNAVAILABLE_HEADER)
    notes = [m.value for m in reasons.markdown]
    # The OpenAI-compatible server is not configured: not offered, and the reason is given.
    assert any(texts.MODEL_ANY_ON_SERVER in n and "設定されていません" in n for n in notes)
    # nova-lite is processed outside Japan: offered, with the 機密性 limit explained.
    assert any(n.startswith("- **nova-lite") and "機密性2以上" in n for n in notes)


def test_generated_answer_is_streamed_from_the_chosen_model(app, live_api):
    live_api.bedrock.reset()
    live_api.bedrock.script(
        "交付申請には、本人確認書類と通知カードが必要です[1]。",
        usage={"input_tokens": 120, "output_tokens": 30},
    )
    sign_in(app, live_api.keys["tanaka"])
    app.selectbox(key="backend").set_value("bedrock/claude-haiku-4-5").run()
    ask(app)
    assert not app.exception, app.exception
    assert [r["operation"] for r in live_api.bedrock.requests] == ["ConverseStream"]
    answer = app.chat_message[1]
    shown = [str(e.value) for e in answer.markdown]
    assert any(texts.LLM_LABEL.format(model="claude-haiku-4-5") in s for s in shown)
    assert not any(texts.EXTRACTIVE_LABEL in s for s in shown)
    assert "交付申請には、本人確認書類と通知カードが必要です[1]。" in shown
    assert answer.expander[0].label == texts.SOURCES_HEADER.format(count=1)
    assert "入力 120 トークン・出力 30 トークン" in answer.caption[0].value


def test_feedback_with_a_comment_is_sent_once(app, live_api):
    from assistant.records import create_db_engine, get_user, list_feedback, make_session_factory

    sign_in(app, live_api.keys["tanaka"])
    ask(app)
    message_id = app.chat_message[1].feedback[0].key.removeprefix("feedback-")
    app.chat_message[1].feedback[0].set_value(0).run()  # 👎
    comment = next(t for t in app.text_input if t.label == texts.FEEDBACK_COMMENT_LABEL)
    comment.input("受取の手続も知りたい")
    button(app, texts.FEEDBACK_SEND).click().run()
    assert not app.exception
    assert texts.FEEDBACK_THANKS in [c.value for c in app.chat_message[1].caption]
    assert not app.chat_message[1].feedback  # rated: no second vote from this session

    engine = create_db_engine(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine)() as session:
        tanaka = get_user(session, "tanaka")
        stored = [(f.message_id, f.rating, f.comment) for f, _message in list_feedback(session, tanaka)]
    engine.dispose()
    assert (int(message_id), "bad", "受取の手続も知りたい") in stored


def test_conversations_can_be_reopened_and_deleted(app, live_api):
    sign_in(app, live_api.keys["sato"])
    ask(app, "テレワーク勤務の日数は週何日までですか")
    assert not app.exception
    title = next(b.label for b in app.sidebar.button if b.label.startswith("テレワーク勤務の日数"))

    button(app, texts.CONVERSATION_NEW).click().run()
    assert not app.chat_message  # a new, empty conversation

    button(app, title).click().run()  # reopen: the history comes back from the API
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    assert "週2日" in "\n".join(str(e.value) for e in app.chat_message[1].markdown)

    cid = app.session_state["yakuba_conversation_id"]
    next(b for b in app.button if b.key == f"delete-{cid}").click().run()  # asks first (st.dialog)
    assert title in [b.label for b in app.sidebar.button]
    next(b for b in app.button if b.key == "conversation-delete-confirm").click().run()
    assert title not in [b.label for b in app.sidebar.button]
    assert not app.chat_message
    next(b for b in app.button if b.key == "conversation-undo-button").click().run()  # 元に戻す
    assert title in [b.label for b in app.sidebar.button]


def test_documents_page_lists_what_the_user_may_see_and_upload_only_for_uploaders(app, live_api):
    sign_in(app, live_api.keys["sato"])  # 財政課: sees the budget memo, may not upload
    app.sidebar.radio(key="section").set_value(texts.SECTION_DOCUMENTS).run()
    assert not app.exception
    assert texts.UPLOAD_NOT_PERMITTED in [c.value for c in app.caption]
    assert not app.file_uploader
    titles = list(app.dataframe[0].value[texts.DOCUMENTS_COLUMNS["title"]])
    assert "令和7年度予算編成方針（財政課内部資料）" in titles


def test_uploader_sends_files_and_sees_the_ingest_summary(app, live_api):
    at = sign_in(app, live_api.keys["tanaka"])
    at.sidebar.radio(key="section").set_value(texts.SECTION_DOCUMENTS).run()
    titles = list(at.dataframe[0].value[texts.DOCUMENTS_COLUMNS["title"]])
    assert "令和7年度予算編成方針（財政課内部資料）" not in titles  # 総務課 may not see it

    notice = "庁舎の閉庁日について\n\n年末年始の閉庁日は十二月二十九日から一月三日までとする。\n"
    photo = ("写真.jpg", b"\xff\xd8\xff", "image/jpeg")
    at.file_uploader[0].set_value([("閉庁日.txt", notice.encode("utf-8"), "text/plain"), photo])
    button(at, texts.UPLOAD_BUTTON).click().run()
    assert not at.exception, at.exception
    assert at.status[0].label == texts.UPLOAD_DONE
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[texts.SUMMARY_INGESTED] == "1"
    assert metrics[texts.SUMMARY_SKIPPED] == "1"
    issues = "\n".join(m.value for m in at.markdown)
    assert "・写真.jpg：ファイル「写真.jpg」の形式は登録できません" in issues
    titles = list(at.dataframe[0].value[texts.DOCUMENTS_COLUMNS["title"]])
    assert "庁舎の閉庁日について" in titles


def test_usage_page_shows_requests_tokens_and_cost_per_model(app, live_api):
    sign_in(app, live_api.keys["sato"])
    ask(app, "予算要求書の提出期限はいつですか")
    app.sidebar.radio(key="section").set_value(texts.SECTION_USAGE).run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics[texts.USAGE_REQUESTS].replace(",", "")) >= 1
    table = app.table[0].value
    assert texts.USAGE_COLUMNS["user"] not in table.columns  # only sato's own usage
    assert texts.EXTRACTIVE_LABEL in list(table[texts.USAGE_COLUMNS["backend"]])


def test_revoked_key_signs_the_user_out_with_an_explanation(app, live_api):
    from assistant.records import create_user, get_user, init_db, make_session_factory, revoke_api_keys

    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        key = create_user(session, "yamada", groups=["総務課"], clearance=1)[1]
    sign_in(app, key)
    assert app.chat_input
    with sessions.begin() as session:
        revoke_api_keys(session, get_user(session, "yamada"))
    engine.dispose()

    app.run()
    assert not app.exception
    assert texts.ERROR_SESSION_EXPIRED in [w.value for w in app.warning]
    assert not app.chat_input and "yakuba_api_key" not in app.session_state
