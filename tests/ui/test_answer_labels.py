"""The answer's 機密性 and its sources' labels, the notice when another model answered, and the chat
input: its limit, and a failed question kept in the box with a Japanese reason and no bubbles left."""

from __future__ import annotations

import pytest

from tests.ui.test_app import all_text, ask, sign_in, ui_session
from ui import session, texts
from ui.sections.answer import classification_label, export_text

BUDGET_QUESTION = "予算要求書の提出期限はいつですか"


def box_text(at) -> str | None:
    """The text the chat input shows again (put back in the box by the app), or None."""
    proto = at.chat_input[0].proto
    return proto.value if proto.set_value else None


@pytest.fixture
def app(live_api, monkeypatch):
    return ui_session(monkeypatch, live_api.url)


def test_classification_labels_use_full_width_digits():
    assert [classification_label(n) for n in (1, 2, 3)] == ["機密性１", "機密性２", "機密性３"]


def test_the_answer_shows_the_highest_level_of_its_sources_and_each_source_its_labels(app, live_api):
    sign_in(app, live_api.keys["sato"])  # 財政課: the budget memo (機密性2, 財政課) is visible
    ask(app, BUDGET_QUESTION)
    assert not app.exception, app.exception
    answer = app.chat_message[1]
    shown = [str(e.value) for e in answer.markdown]
    assert "機密性２" in shown[0]  # the label heads the answer
    sources = answer.expander[0]
    lines = [m.value for m in sources.markdown]
    assert any("機密性２" in line and "閲覧範囲：財政課" in line for line in lines)


def test_a_level_one_answer_is_labelled_too(app, live_api):
    sign_in(app, live_api.keys["tanaka"])
    ask(app)
    answer = app.chat_message[1]
    assert "機密性１" in str(answer.markdown[0].value)
    assert "閲覧範囲：全職員" in answer.expander[0].markdown[0].value


def test_the_exported_answer_starts_with_its_label():
    message = {
        "id": 1,
        "role": "assistant",
        "text": "十月末までです[1]。",
        "citations": [
            {"n": 1, "title": "予算編成方針", "location": "第1節", "quote": "…", "classification": 2,
             "groups": ["財政課"]},
        ],
        "backend": "offline/extractive",
        "classification": 2,
    }  # fmt: skip
    text = export_text(message)
    assert text.splitlines()[0] == "機密性２"
    assert "[1] 予算編成方針　第1節（機密性２・閲覧範囲：財政課）" in text


def test_a_replacement_model_is_announced(app, live_api):
    live_api.bedrock.reset()
    live_api.bedrock.fail_next(1, "unavailable")
    sign_in(app, live_api.keys["tanaka"])
    app.selectbox(key="backend").set_value("bedrock/claude-haiku-4-5").run()
    app.toggle(key=session.ALLOW_AUTO).set_value(True).run()
    ask(app)
    assert not app.exception, app.exception
    answer = app.chat_message[1]
    warnings = [w.value for w in answer.warning]
    assert len(warnings) == 1
    assert "claude-haiku-4-5" in warnings[0] and "offline/extractive" in warnings[0]
    assert any(texts.SUBSTITUTION_LABEL in str(m.value) for m in answer.markdown)


def test_the_chat_input_states_its_limit(app, live_api):
    sign_in(app, live_api.keys["tanaka"])
    assert texts.CHAT_LIMIT.format(limit=8000) in [c.value for c in app.caption]
    assert app.chat_input[0].proto.max_chars == 8000


def test_a_refused_question_stays_in_the_box_with_a_japanese_reason(app, live_api):
    sign_in(app, live_api.keys["sato"])
    app.selectbox(key="backend").set_value("bedrock/nova-lite").run()  # processed outside Japan
    ask(app, BUDGET_QUESTION)  # its source is 機密性2: the policy refuses nova-lite
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "機密性" in errors[0]
    assert texts.ERROR_KEPT_INPUT in [c.value for c in app.caption]
    assert not app.chat_message  # no question bubble, no empty answer bubble
    assert box_text(app) == BUDGET_QUESTION


@pytest.fixture
def lenient_ui(live_api, monkeypatch):
    """A UI whose own limit is above the API's: the API's refusal must reach the user in Japanese."""
    monkeypatch.setenv("YAKUBA_MAX_QUESTION_CHARS", "9000")
    return ui_session(monkeypatch, live_api.url)


def test_the_apis_refusal_of_a_long_question_is_shown_in_japanese(lenient_ui, live_api):
    sign_in(lenient_ui, live_api.keys["tanaka"])
    question = "あ" * 8500
    ask(lenient_ui, question)
    assert not lenient_ui.exception, lenient_ui.exception
    errors = [e.value for e in lenient_ui.error]
    assert len(errors) == 1 and "8,000文字以内" in errors[0] and "8,500文字" in errors[0]
    assert "String should" not in all_text(lenient_ui)
    assert not lenient_ui.chat_message
    assert box_text(lenient_ui) == question


def test_table_sources_render_as_tables():
    from ui.sections.answer import quote_blocks

    quote = "手数料は次のとおり。\n| 証明書 | 金額（円） |\n|---|---|\n| 住民票の写し | 300 |\n| 戸籍謄本 | 450 |\n以上"
    assert quote_blocks(quote) == [
        "手数料は次のとおり。",
        [["証明書", "金額（円）"], ["住民票の写し", "300"], ["戸籍謄本", "450"]],
        "以上",
    ]


def test_not_found_offers_related_documents_apart(app, live_api):
    sign_in(app, live_api.keys["tanaka"])
    ask(app, "市営プールの夏季の開場時間は何時から何時までですか")
    assert not app.exception, app.exception
    answer = app.chat_message[1]
    assert "見当たりません" in str(answer.markdown[-1].value) or any(
        "見当たりません" in str(m.value) for m in answer.markdown
    )
    labels = [e.label for e in answer.expander]
    related = [e for e in answer.expander if e.label.startswith("関連する可能性のある資料")]
    assert related, labels
    assert texts.RELATED_CAPTION in [c.value for c in related[0].caption]
