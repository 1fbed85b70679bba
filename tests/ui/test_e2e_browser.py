"""End to end in a real headless browser: the API (conftest.py) and `streamlit run` started the way
`yakuba ui` starts it, both on free loopback ports; Debian's Chromium driven by Playwright signs in
with a key, asks a question and sees the answer with its source — and, behind a (simulated) SSO
proxy, is signed in without a key.

Needs /usr/bin/chromium (scripts/install-browser.sh); skipped without it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from ui import texts

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOT = Path("/tmp/yakuba-ui-e2e.png")
WAIT_MS = 60_000  # the first question loads the Japanese tokenizer in the API

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (run scripts/install-browser.sh)",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_ui(api_url: str, tmp_path: Path, **settings: str) -> Iterator[str]:
    """`streamlit run ui/app.py` as `yakuba ui` runs it (plus YAKUBA_* `settings`), once healthy."""
    from assistant.cli.ui_cmds import streamlit_command

    port = _free_port()
    env = dict(os.environ) | {f"YAKUBA_{name.upper()}": value for name, value in settings.items()}
    log_path = tmp_path / f"streamlit-{port}.log"
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            streamlit_command("127.0.0.1", port, api_url), env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(300):  # up to ~60 s on a busy machine
            if child.poll() is not None:
                pytest.fail(f"streamlit exited with {child.returncode}: {log_path.read_text()}")
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("streamlit did not become healthy")
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextmanager
def chromium(**context_options) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 1000}, locale="ja-JP", **context_options
            )
            yield context.new_page()
        finally:
            browser.close()


def test_sign_in_ask_and_see_the_answer_with_its_source(live_api, tmp_path):
    from playwright.sync_api import expect

    with running_ui(live_api.url, tmp_path) as url, chromium() as page:
        page.goto(url)
        page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(live_api.keys["tanaka"])
        page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()

        question = page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)
        expect(question).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(live_api.keys["tanaka"])).to_have_count(0)  # the key is not shown
        question.fill("マイナンバーカードの交付申請に必要な書類は何ですか")
        question.press("Enter")

        answer = page.get_by_test_id("stChatMessage").nth(1)
        # The badge (ending in the label, unlike the notice) comes with the final answer.
        expect(answer.get_by_text(re.compile(f"{texts.EXTRACTIVE_LABEL}$"))).to_be_visible(timeout=WAIT_MS)
        expect(answer.get_by_text("本人確認書類と通知カードが必要です").first).to_be_visible()
        sources = answer.get_by_test_id("stExpander")
        expect(sources).to_contain_text(texts.SOURCES_HEADER.format(count=1))
        expect(sources).to_contain_text("マイナンバーカード交付事務の手引き")
        expect(answer.get_by_role("radiogroup")).to_have_count(1)  # 👍/👎 for this answer
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_behind_an_sso_proxy_no_key_is_asked_for(live_api, tmp_path):
    """Trusted-proxy mode: the proxy's identity headers reach the UI with the browser's requests; the
    UI passes them on, the API (trusting 127.0.0.1) identifies the user, and no sign-in form shows."""
    from playwright.sync_api import expect

    headers = {
        "X-Forwarded-User": "suzuki",
        "X-Forwarded-Groups": quote("財政課"),
        "X-Forwarded-Clearance": "2",
    }
    with (
        running_ui(live_api.url, tmp_path, trusted_proxy_enabled="true") as url,
        chromium(extra_http_headers=headers) as page,
    ):
        page.goto(url)
        expect(page.get_by_text(texts.SIGNED_IN_BY_PROXY.format(name="suzuki"))).to_be_visible(
            timeout=WAIT_MS
        )
        expect(page.get_by_label(texts.SIGNIN_KEY_LABEL)).to_have_count(0)
        page.get_by_text(texts.SECTION_DOCUMENTS).click()  # the proxy's groups apply: 財政課 sees its memo
        expect(page.get_by_text(texts.DOCUMENTS_LIST_HEADER)).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_test_id("stDataFrame")).to_contain_text("予算編成方針")
