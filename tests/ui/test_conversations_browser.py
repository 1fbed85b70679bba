"""The conversation list in headless Chromium against a real API and `streamlit run` (issue 13): two
conversations on the same topic are told apart by their dates; a conversation is renamed in a dialog, deleted
after a confirmation, and brought back with 「元に戻す」; a conversation is saved as Markdown and Word.

Screenshots at 1366 × 768 are written to /tmp/shots/conversations/. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from docx import Document

from tests.ui.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, running_ui
from ui import conversations_texts as ct
from ui import texts

SHOTS = Path("/tmp/shots/conversations")
SAME_TOPIC = "マイナンバーカードの交付申請に必要な書類は何ですか"
QUESTIONS = [
    "テレワーク勤務の日数は週何日までですか",
    SAME_TOPIC,
    "マイナンバーカードの受取はどこでできますか",
    SAME_TOPIC,
]
NEW_NAME = "マイナンバーカード申請（窓口からの照会）"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def clerk(live_api) -> tuple[str, list[str]]:
    """A user of their own (the live API is shared by the package) with four conversations, the newest last
    asked; returns the key and the conversation ids, newest first."""
    from assistant.records import create_user, init_db, make_session_factory
    from assistant.records.models import Conversation

    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:
        key = create_user(session, "conversation_clerk", groups=["総務課"], clearance=1)[1]
    engine.dispose()
    ids = []
    with httpx.Client(
        base_url=live_api.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        for question in QUESTIONS:
            response = client.post("/chat", json={"message": question})
            assert response.status_code == 200, response.text
            ids.append(response.json()["conversation_id"])
    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:  # the first on the topic was asked yesterday
        earlier = session.get(Conversation, ids[1])
        earlier.created_at = earlier.updated_at = datetime.now(UTC) - timedelta(days=1)
    engine.dispose()
    return key, ids[::-1]


def _row(page, cid: str):
    return page.locator(f".st-key-open-{cid}")


def _shot(page, name: str) -> None:
    """A screenshot once the rerun has finished (Streamlit greys out the elements of the run before)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / name))


def _menu_item(page, cid: str, label: str):
    page.locator(f".st-key-menu-{cid} button").first.click()
    return page.get_by_test_id("stPopoverBody").get_by_role("button", name=label)


def test_rename_delete_and_undo_in_the_sidebar(live_api, clerk, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    key, (newest, third, second, oldest) = clerk
    with running_ui(live_api.url, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP").new_page()
            page.goto(url)
            page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(key)
            page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
            sidebar = page.get_by_test_id("stSidebar")
            expect(_row(page, oldest)).to_be_visible(timeout=WAIT_MS)

            # Every row has its date: the two on the same topic differ by it.
            for row in (
                newest,
                second,
            ):  # wait for the rows' text: a row can be there before its label is drawn
                expect(_row(page, row)).to_contain_text(SAME_TOPIC[:10], timeout=WAIT_MS)
            same = [_row(page, newest).inner_text(), _row(page, second).inner_text()]
            assert "今日" in same[0] and "昨日" in same[1], same
            _row(page, second).scroll_into_view_if_needed()
            _shot(page, "sidebar.png")

            # Rename in a dialog, prefilled with the current title.
            _menu_item(page, newest, ct.RENAME).click()
            dialog = page.get_by_role("dialog", name=ct.RENAME_TITLE)
            field = dialog.get_by_role("textbox", name=ct.RENAME_LABEL)
            expect(field).to_have_value(SAME_TOPIC)
            field.fill(NEW_NAME)
            _shot(page, "rename-dialog.png")
            dialog.get_by_role("button", name=ct.RENAME_SAVE).click()
            expect(dialog).to_have_count(0)
            expect(_row(page, newest)).to_contain_text(NEW_NAME[:10])
            expect(page.get_by_text(ct.RENAMED.format(title=NEW_NAME))).to_be_visible()

            # Save as Markdown and as Word from the row's menu.
            with page.expect_download() as saved:
                _menu_item(page, oldest, ct.SAVE_MD).click()
            text = Path(saved.value.path()).read_text(encoding="utf-8")
            assert text.startswith("【機密性１】") and QUESTIONS[0] in text and "週2日" in text
            with page.expect_download() as saved:
                page.get_by_test_id("stPopoverBody").get_by_role("button", name=ct.SAVE_DOCX).click()
            assert saved.value.suggested_filename == f"{QUESTIONS[0]}.docx"
            assert "週2日" in "\n".join(p.text for p in Document(saved.value.path()).paragraphs)
            page.keyboard.press("Escape")

            # Delete asks first; cancelling keeps the conversation.
            _menu_item(page, second, ct.DELETE).click()
            dialog = page.get_by_role("dialog", name=ct.DELETE_TITLE)
            dialog.get_by_role("button", name=ct.CANCEL).click()
            expect(dialog).to_have_count(0)
            expect(_row(page, second)).to_be_visible()

            _menu_item(page, newest, ct.DELETE).click()
            dialog = page.get_by_role("dialog", name=ct.DELETE_TITLE)
            expect(dialog).to_contain_text(ct.DELETE_BODY.format(title=NEW_NAME))
            _shot(page, "delete-dialog.png")
            dialog.get_by_role("button", name=ct.DELETE_CONFIRM).click()
            expect(dialog).to_have_count(0)
            expect(_row(page, newest)).to_have_count(0)
            undo = sidebar.get_by_role("button", name=re.compile(ct.UNDO))
            expect(undo).to_be_visible()
            _shot(page, "deleted-undo.png")

            undo.click()
            expect(_row(page, newest)).to_contain_text(NEW_NAME[:10], timeout=WAIT_MS)
            expect(sidebar.get_by_role("button", name=re.compile(ct.UNDO))).to_have_count(0)
            expect(page.get_by_text(ct.RESTORED.format(title=NEW_NAME[:15] + "…"))).to_be_visible()

            # Search by a word of an answer.
            search = sidebar.get_by_placeholder(ct.SEARCH_PLACEHOLDER)
            search.fill("週2日")
            search.press("Enter")
            expect(_row(page, oldest)).to_be_visible()
            expect(_row(page, newest)).to_have_count(0)
            _shot(page, "search.png")
        finally:
            browser.close()
