"""Staying signed in (issue 13), in a real headless browser: the API and `streamlit run` of conftest.py and
test_e2e_browser.py, Debian's Chromium driven by Playwright. A key sign-in leaves a session cookie (never the
key) that keeps the user signed in across a reload and in a new tab, with the open conversation reopened;
signing out ends it for every tab of the browser; signing out everywhere ends it on another device too; behind
an SSO proxy no session cookie is made and a reload stays signed in.

Screenshots at 1366 × 768 go to /tmp/shots/sessions/. Needs /usr/bin/chromium; skipped without it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.ui.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, running_ui
from ui import session_texts, texts

SHOTS = Path("/tmp/shots/sessions")
VIEWPORT = {"width": 1366, "height": 768}
QUESTION = "テレワーク勤務の日数は週何日までですか"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
def key(live_api, request) -> str:
    """A user of its own for each test (signing out everywhere must not touch other tests' users)."""
    from assistant.records import create_user, init_db, make_session_factory

    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:
        name = f"sessions-{request.node.name[5:25]}"
        api_key = create_user(session, name, groups=["総務課"], clearance=1)[1]
    engine.dispose()
    return api_key


@contextmanager
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_context(launched, **options):
    return launched.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo", **options)


def sign_in(page, url: str, api_key: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(api_key)
    page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
    expect(page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)).to_be_visible(timeout=WAIT_MS)


def session_cookie(context, present: bool = True) -> dict | None:
    """The session cookie, waiting up to 5 s for the page's script to write it (or, with `present`
    false, to delete it)."""
    for _ in range(50):
        found = [c for c in context.cookies() if c["name"] == "yakuba_session"]
        if bool(found) == present:
            break
        time.sleep(0.1)
    return found[0] if found else None


def expect_signed_out(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_label(texts.SIGNIN_KEY_LABEL)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)).to_have_count(0)


def test_reload_and_a_new_tab_stay_signed_in_until_signing_out(live_api, key, tmp_path):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_ui(live_api.url, tmp_path) as url, browser() as launched:
        context = new_context(launched)
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_label(texts.SIGNIN_KEY_LABEL)).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(session_texts.SIGNIN_KEEP)).to_be_visible()
        page.screenshot(path=str(SHOTS / "signin.png"))
        sign_in(page, url, key)

        expect(page.get_by_text(re.compile(r"有効期限：\d+月\d+日 \d\d:\d\dまで"))).to_be_visible()
        page.screenshot(path=str(SHOTS / "signed-in.png"))
        cookie = session_cookie(context)
        assert cookie is not None and cookie["value"].startswith("ys_") and key not in cookie["value"]
        assert (cookie["path"], cookie["sameSite"], cookie["secure"]) == ("/", "Strict", False)
        assert 9.9 * 3600 < cookie["expires"] - time.time() <= 10 * 3600  # the session's life (default 10 h)
        question = page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)
        question.fill(QUESTION)
        question.press("Enter")
        answer = page.get_by_test_id("stChatMessage").nth(1)
        expect(answer.get_by_text("週2日").first).to_be_visible(timeout=WAIT_MS)
        expect(page).to_have_url(re.compile(r"\?conversation=[0-9a-f-]{36}$"), timeout=WAIT_MS)
        conversation_url = page.url
        assert key not in conversation_url

        page.reload()  # still signed in, in the same conversation
        expect(page.get_by_test_id("stChatMessage").nth(1).get_by_text("週2日").first).to_be_visible(
            timeout=WAIT_MS
        )
        expect(page.get_by_test_id("stChatMessage").first).to_contain_text(QUESTION)
        expect(page.get_by_label(texts.SIGNIN_KEY_LABEL)).to_have_count(0)
        assert page.url == conversation_url
        page.screenshot(path=str(SHOTS / "reloaded.png"))

        other = context.new_page()  # a new tab of the same browser
        other.goto(url)
        expect(other.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)).to_be_visible(timeout=WAIT_MS)
        expect(other.get_by_label(texts.SIGNIN_KEY_LABEL)).to_have_count(0)

        other.get_by_role("button", name=texts.SIGNOUT_BUTTON, exact=True).click()
        expect_signed_out(other)
        expect(other.get_by_text(session_texts.SIGNED_OUT)).to_be_visible()
        other.screenshot(path=str(SHOTS / "signed-out.png"))
        assert session_cookie(context, present=False) is None  # the browser was told to delete it
        page.reload()  # the first tab shared that session: it is signed out as well
        expect_signed_out(page)


def test_signing_out_everywhere_ends_the_session_on_another_device(live_api, key, tmp_path):
    from playwright.sync_api import expect

    with running_ui(live_api.url, tmp_path) as url, browser() as launched:
        office, laptop = new_context(launched).new_page(), new_context(launched).new_page()
        sign_in(office, url, key)
        sign_in(laptop, url, key)

        office.get_by_role("button", name=session_texts.SIGNOUT_EVERYWHERE_BUTTON).click()
        expect_signed_out(office)
        expect(office.get_by_text(session_texts.SIGNED_OUT_EVERYWHERE.format(count=2))).to_be_visible()

        laptop.get_by_role("button", name=texts.CONVERSATION_NEW).click()  # its next request is refused
        expect_signed_out(laptop)
        expect(laptop.get_by_text(texts.ERROR_SESSION_EXPIRED)).to_be_visible()
        laptop.reload()  # and its cookie no longer signs it in
        expect_signed_out(laptop)


def test_behind_an_sso_proxy_a_reload_stays_signed_in_without_a_session_cookie(live_api, tmp_path):
    from playwright.sync_api import expect

    headers = {"X-Forwarded-User": quote("高橋"), "X-Forwarded-Groups": quote("総務課")}
    with (
        running_ui(live_api.url, tmp_path, trusted_proxy_enabled="true") as url,
        browser() as launched,
    ):
        context = new_context(launched, extra_http_headers=headers)
        page = context.new_page()
        page.goto(url)
        signed_in = page.get_by_text(texts.SIGNED_IN_BY_PROXY.format(name="高橋"))
        expect(signed_in).to_be_visible(timeout=WAIT_MS)
        page.reload()
        expect(signed_in).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_role("button", name=texts.SIGNOUT_BUTTON, exact=True)).to_have_count(
            0
        )  # the proxy signs out
        assert [c for c in context.cookies() if c["name"] == "yakuba_session"] == []
