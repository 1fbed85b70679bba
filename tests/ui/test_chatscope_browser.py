"""The chat's filters and a file attached to a conversation, in headless Chromium against a real API and
`streamlit run`: a question asked with a type filter is answered honestly (見当たりません, naming the filter) with
the filter shown under it; a file attached with its 機密性 is asked about and cited by its name, and afterwards
no other user finds its text (search, chat), nor does its owner outside the conversation.

Screenshots at 1366 × 768 go to /tmp/shots/chatscope/. Needs /usr/bin/chromium.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.ui.test_answer_actions_browser import browser_page
from tests.ui.test_e2e_browser import CHROMIUM, WAIT_MS, running_ui
from ui import chatscope_texts as t
from ui import texts

SHOTS = Path("/tmp/shots/chatscope")
MEMO = (
    "庁舎清掃の仕様メモ\n\n庁舎清掃の委託先はミソサザイ清掃株式会社である。清掃は毎週水曜日の午後に行う。\n"
)
CODE = "ミソサザイ"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def _open_list(page, label: str, showing: str):
    """The options of a select box, once its list is open and shows `showing` (a rerun in flight may close
    it: try again)."""
    from playwright.sync_api import expect

    options = page.get_by_role("option")
    for _attempt in range(5):
        page.get_by_role("combobox", name=label).click()
        try:
            expect(options.filter(has_text=showing).first).to_be_visible(timeout=3000)
            page.wait_for_timeout(300)
            expect(options.filter(has_text=showing).first).to_be_visible(timeout=500)
            return options
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError(f"the list of {label} did not open")


def _choose(page, label: str, option: str) -> None:
    """Open the list and click the option; a rerun of the page can close the list in between (seen on a busy
    machine), so the whole step is tried again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _attempt in range(4):
        try:
            _open_list(page, label, option).filter(has_text=option).first.click(timeout=5000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option} in {label}")


def test_filters_and_an_attached_file(live_api, tmp_path):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    key = live_api.keys["tanaka"]
    with running_ui(live_api.url, tmp_path) as url, browser_page() as page:
        page.goto(url)
        page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(key)
        page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
        question = page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)
        expect(question).to_be_visible(timeout=WAIT_MS)

        # Filters: only inquiry records, in the folder holding the telework rule → nothing, said honestly.
        page.get_by_text(t.FILTERS_HEADER).click()
        _choose(page, t.FILTER_TYPE, texts.DOC_TYPES["inquiry"])
        expect(page.get_by_role("combobox", name=t.FILTER_TYPE)).to_have_value(texts.DOC_TYPES["inquiry"])
        options = _open_list(page, t.FILTER_SOURCES, "docsフォルダ")
        shown = options.all_inner_texts()
        assert "docsフォルダ" in shown and not any("/" in o for o in shown), shown
        options.filter(has_text="docsフォルダ").first.click()
        page.keyboard.press("Escape")
        expect(page.get_by_text(t.FILTER_ACTIVE.format(label="照会記録・docsフォルダ"))).to_be_visible()
        page.screenshot(path=str(SHOTS / "filters-open.png"))
        question.fill("在宅勤務の日数は週何日までですか")
        question.press("Enter")
        answer = page.get_by_test_id("stChatMessage").nth(1)
        expect(answer.get_by_text("見当たりません").first).to_be_visible(timeout=WAIT_MS)
        expect(answer.get_by_text("絞り込み条件（照会記録・docsフォルダ）").first).to_be_visible()
        expect(page.get_by_text(t.FILTER_CAPTION.format(label="照会記録・docsフォルダ"))).to_be_visible()
        page.screenshot(path=str(SHOTS / "filters-answer.png"))

        # Clear the filters, attach a memo at 機密性2 and ask about it: cited by its file name.
        page.get_by_text(t.FILTERS_HEADER).click()  # the panel closes when the answer comes
        page.get_by_role("button", name=t.FILTER_CLEAR).click()
        expect(page.get_by_text(t.FILTER_ACTIVE.format(label="照会記録・docsフォルダ"))).to_have_count(0)
        expect(page.get_by_role("combobox", name=t.FILTER_TYPE)).to_have_value(t.FILTER_TYPE_ALL)
        page.get_by_text(t.ATTACH_HEADER).click()
        expect(page.get_by_text(t.ATTACH_NOTE)).to_be_visible()
        page.locator("input[type=file]").set_input_files(
            files=[{"name": "清掃メモ.txt", "mimeType": "text/plain", "buffer": MEMO.encode("utf-8")}]
        )
        expect(page.get_by_text("清掃メモ.txt")).to_be_visible()
        _choose(page, t.ATTACH_LEVEL, t.ATTACH_LEVELS[2])
        expect(page.get_by_role("combobox", name=t.ATTACH_LEVEL)).to_have_value(t.ATTACH_LEVELS[2])
        page.get_by_role("button", name=t.ATTACH_BUTTON).click()
        expect(page.get_by_text(t.ATTACH_DONE.format(name="清掃メモ.txt"))).to_be_visible(timeout=WAIT_MS)
        page.get_by_text(t.ATTACH_HEADER).first.click()
        expect(page.get_by_text(t.ATTACH_ITEM.format(name="清掃メモ.txt", level="機密性2"))).to_be_visible()
        levels = _open_list(page, t.ATTACH_LEVEL, t.ATTACH_LEVELS[1]).all_inner_texts()
        assert levels == [t.ATTACH_LEVELS[1], t.ATTACH_LEVELS[2]]  # not 3: over tanaka's clearance
        page.keyboard.press("Escape")
        page.screenshot(path=str(SHOTS / "attachment-listed.png"))

        question.fill("庁舎清掃の委託先はどこですか")
        question.press("Enter")
        reply = page.get_by_test_id("stChatMessage").nth(3)
        expect(reply.get_by_text(CODE).first).to_be_visible(timeout=WAIT_MS)
        expect(reply.get_by_text("清掃メモ.txt").first).to_be_visible()
        expect(reply.get_by_text(t.SOURCE_ATTACHED)).to_be_visible()
        expect(page.get_by_text(t.FILTER_ACTIVE.split("：")[0])).to_have_count(0)  # asked without filters
        reply.get_by_text(CODE).first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "attachment-answer.png"))

    # Afterwards nobody else finds it, and neither does its owner outside the conversation.
    for user in ("sato", "tanaka"):
        headers = {"Authorization": f"Bearer {live_api.keys[user]}"}
        found = httpx.post(f"{live_api.url}/search", json={"query": "庁舎清掃の委託先"}, headers=headers)
        asked = httpx.post(
            f"{live_api.url}/chat", json={"message": "庁舎清掃の委託先はどこですか"}, headers=headers
        )
        assert found.status_code == 200 and asked.status_code == 200
        assert CODE not in found.text and CODE not in asked.text
