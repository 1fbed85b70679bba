"""The 議事録作成 page driven by `AppTest` against the real API (conftest.py): a pasted transcript drafted offline
(抽出モード said), shown as it prints with the source turns of its points, edited with the turn references kept,
sent for review; a file uploaded in the 質疑応答 style; a long session drafted in the background with progress."""

from __future__ import annotations

import time

from tests.builders.minutes_examples import TRANSCRIPT
from tests.ui.test_app import all_text, button, sign_in, ui_session
from ui import minutes_texts as mt
from ui import texts
from ui.sections.minutes_edit import parse_refs, read_actions, split_line

KEY = "yakuba_minutes_{}"


def open_page(monkeypatch, live_api, user="tanaka"):
    at = sign_in(ui_session(monkeypatch, live_api.url), live_api.keys[user])
    at = at.sidebar.radio(key="section").set_value(texts.SECTION_MINUTES).run()
    assert not at.exception, at.exception
    return at


def paste(at, text, title="総務委員会", style="要点筆記"):
    at.radio(key=KEY.format("mode")).set_value(mt.INPUT_PASTE).run()
    at.selectbox(key=KEY.format("backend")).set_value("offline/extractive")
    at.text_area(key=KEY.format("text")).input(text)
    at.text_input(key=KEY.format("title")).input(title)
    at.radio(key=KEY.format("style")).set_value(style)
    at.selectbox(key=KEY.format("classification")).set_value(2)
    button(at, mt.DRAFT_BUTTON).click().run()
    assert not at.exception, at.exception
    return at


def html_of(at) -> str:
    return "\n".join(str(element.proto.body) for element in at.get("html"))


def test_references_read_back_from_edited_lines():
    assert split_line("備蓄は3日分である。〔発言2, 3〕") == ("備蓄は3日分である。", [2, 3])
    assert split_line("了承した。〔発言３〜５, 8〕") == ("了承した。", [3, 4, 5, 8])
    assert split_line("番号のない文") == ("番号のない文", [])
    assert parse_refs("1, 3〜4") == [1, 3, 4]
    assert read_actions("整備計画を取りまとめる｜防災課｜来年度まで〔発言5〕") == [
        {"task": "整備計画を取りまとめる", "owner": "防災課", "due": "来年度まで", "turns": [5]}
    ]


def test_paste_draft_preview_sources_edit_and_send_for_review(monkeypatch, live_api):
    at = paste(open_page(monkeypatch, live_api), TRANSCRIPT)
    shown = all_text(at)
    assert texts.EXTRACTIVE_LABEL in [b.proto.label for b in at.get("badge")] or "抽出モード" in shown
    assert mt.MODE_EXTRACTIVE in shown
    assert at.subheader[0].value == "総務委員会"
    paper = html_of(at)
    assert "総務委員会　議事録" in paper and "機密性２" in paper and 'class="yk-mark">案<' in paper
    assert 'class="yk-ref" title="発言' in paper  # the source turns on hover
    # Any line of the minutes with its source turns, speaker and text as said.
    picker = at.selectbox(key=next(k for k in (s.key for s in at.selectbox) if str(k).startswith("m-src-")))
    label = picker.options[0]
    assert "〔発言" in label
    turn_texts = [t.value for t in at.text]
    assert any(line in TRANSCRIPT for line in turn_texts)
    assert any(m.value.startswith("**発言") for m in at.markdown)

    # Edit the decisions: the references stay with the lines.
    decisions = next(a for a in at.text_area if a.label == mt.EDIT_DECISIONS)
    decisions.input("本案は原案のとおり了承することとした。〔発言6〕")
    button(at, mt.EDIT_SAVE).click().run()
    assert not at.exception, at.exception
    assert mt.EDIT_SAVED.format(version=2) in all_text(at)
    assert "本案は原案のとおり了承することとした。" in html_of(at)
    button(at, mt.SUBMIT_BUTTON).click().run()
    assert mt.SUBMITTED in all_text(at)
    assert "状態：確認依頼" in all_text(at)
    assert [b.label for b in at.get("download_button")] == [mt.DOWNLOAD_DOCX, mt.DOWNLOAD_MD]


def test_upload_in_question_and_answer_style(monkeypatch, live_api):
    at = open_page(monkeypatch, live_api, "sato")
    at.selectbox(key=KEY.format("backend")).set_value("offline/extractive")
    at.text_input(key=KEY.format("title")).input("予算特別委員会")
    at.radio(key=KEY.format("style")).set_value("質疑応答")
    at.number_input(key=KEY.format("max_chars")).set_value(80)
    # AppTest cannot fill a file uploader: the upload goes through the page's own client call.
    from ui import minutes_client
    from ui.session import client

    with client(live_api.keys["sato"]) as own:
        job = minutes_client.draft_from_file(
            own, "委員会.txt", TRANSCRIPT.encode("utf-8"),
            {"style": "質疑応答", "max_chars": "80", "title": "予算特別委員会", "classification": "1"}, "offline/extractive",
            False,
        )  # fmt: skip
    assert job["state"] == "done"
    at.session_state[KEY.format("open")] = job["draft_id"]
    at.run()
    assert not at.exception, at.exception
    assert "様式：質疑応答" in all_text(at) and "80字以内" in all_text(at)
    assert "質疑応答" in html_of(at)


def test_long_session_is_drafted_in_the_background_with_progress(monkeypatch, live_api):
    lines = TRANSCRIPT.strip().splitlines()
    long_text = "\n".join(lines[1:5] * 120)  # ~ 20,000 characters: more than one map step
    at = paste(open_page(monkeypatch, live_api), long_text, title="長時間の会議")
    for _ in range(300):
        if at.session_state[KEY.format("job")] if KEY.format("job") in at.session_state else None:
            assert mt.JOB_HEADER in [s.value for s in at.subheader]
            time.sleep(0.1)
            button(at, mt.JOB_REFRESH).click().run()
            assert not at.exception, at.exception
        else:
            break
    assert at.subheader[-1].value == "長時間の会議" or "長時間の会議" in [s.value for s in at.subheader]
    assert "発言480件" in all_text(at)
