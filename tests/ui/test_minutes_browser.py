"""The 議事録作成 page in a real headless browser (the set-up of test_e2e_browser.py): a pasted transcript drafted
offline, the minutes shown as they print with 案 and 機密性, the source turns of a point read in the picker.
Screenshots go to /tmp/yakuba-minutes-*.png for a person to look at.

Needs /usr/bin/chromium (scripts/install-browser.sh); skipped without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.builders.minutes_examples import TRANSCRIPT
from tests.ui.test_e2e_browser import CHROMIUM, WAIT_MS, chromium, running_ui
from ui import minutes_texts as mt
from ui import texts

SCREENSHOTS = Path("/tmp")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def test_paste_draft_and_read_the_source_turns(live_api, tmp_path):
    from playwright.sync_api import expect

    with running_ui(live_api.url, tmp_path) as url, chromium() as page:
        page.set_viewport_size({"width": 1400, "height": 3000})  # the page scrolls inside: show it all
        page.goto(url)
        page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(live_api.keys["tanaka"])
        page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
        page.get_by_text(texts.SECTION_MINUTES, exact=True).click()
        expect(page.get_by_role("heading", name=mt.HEADER)).to_be_visible(timeout=WAIT_MS)
        page.get_by_text(mt.INPUT_PASTE, exact=True).click()
        form = page.get_by_test_id("stForm").first  # the input form (an edit form may follow below)
        form.get_by_label(mt.PASTE_LABEL, exact=True).fill(TRANSCRIPT)
        form.get_by_label(mt.FIELDS["title"], exact=True).fill("総務委員会")
        form.get_by_label(mt.FIELDS["place"], exact=True).fill("第1委員会室")
        page.screenshot(path=str(SCREENSHOTS / "yakuba-minutes-form.png"), full_page=True)
        page.get_by_role("button", name=mt.DRAFT_BUTTON).click()

        paper = page.locator(".yk-paper")
        expect(paper).to_contain_text("総務委員会　議事録", timeout=WAIT_MS)
        expect(paper.locator(".yk-mark")).to_have_text("案")
        expect(page.get_by_text(re.compile(f"{texts.EXTRACTIVE_LABEL}$")).first).to_be_visible()
        ref = paper.locator(".yk-ref").first
        assert ref.get_attribute("title").startswith("発言")  # speaker and words on hover
        page.get_by_text(mt.SOURCES_HEADER).click()
        sources = page.get_by_test_id("stExpander").filter(has_text=mt.SOURCES_HEADER)
        expect(sources.get_by_test_id("stText").first).to_be_visible()  # what was said, as text
        said = sources.get_by_test_id("stText").first.inner_text()
        assert said.strip() and said.strip()[:10] in TRANSCRIPT
        page.screenshot(path=str(SCREENSHOTS / "yakuba-minutes-page.png"), full_page=True)
