"""The actions on an answer, in headless Chromium against a real API and `streamlit run`: copy (the
clipboard then holds the answer with its 機密性 and sources), ask again with another model (through the
fake Bedrock server), put the question back to edit it, and open a source PDF at its cited page.

Screenshots at 1366 × 768 are written to /tmp/yakuba-answer-actions-*.png. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from docx import Document

from tests.builders.office import write_pdf
from tests.fakes.bedrock_server import FakeBedrock
from tests.support.embedder import BigramEmbedder
from tests.ui.conftest import _create_users, _free_socket
from tests.ui.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, running_ui
from ui import texts
from ui.sections.answer import model_label

SHOTS = Path("/tmp")
PAGES = [
    "転入届事務の手引き\n第1章 総則\nこの手引きは、市民課における転入届の事務を定める。",
    "第2章 届出期間\n転入届は、転入した日から十四日以内に届け出なければならない。",
    "第3章 添付書類\n転入届には、転出証明書を添付しなければならない。",
]
QUESTION = "転入届に添付しなければならない書類は何ですか"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@dataclass
class ActionsApi:
    url: str
    keys: dict[str, str]
    bedrock: FakeBedrock
    pdf: Path


@pytest.fixture(scope="module")
def actions_api(tmp_path_factory) -> Iterator[ActionsApi]:
    """An API over a PDF (pages 1–3) in a 総務課 folder at 機密性２, with the fake Bedrock; tanaka (総務課,
    clearance 2) may see it. The original files are served from the folder ingested."""
    import uvicorn

    from assistant.api import create_app
    from assistant.config import Settings
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline

    root = tmp_path_factory.mktemp("actions")
    docs = root / "docs"
    docs.mkdir()
    pdf = write_pdf(docs / "転入届事務の手引き.pdf", PAGES, title="転入届事務の手引き")
    (docs / ".yakuba.json").write_text(json.dumps({"classification": 2, "groups": ["総務課"]}))
    missing = root / "no-aws-config"
    with pytest.MonkeyPatch.context() as env, FakeBedrock() as bedrock:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-1", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(missing), "AWS_SHARED_CREDENTIALS_FILE": str(missing),
        }.items():  # fmt: skip
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
            env.delenv(name, raising=False)
        settings = Settings(
            home=root / "home", bedrock_endpoint_url=bedrock.url, backend_max_attempts=1,
            rate_limit_per_minute=0, source_roots=[root],
        )  # fmt: skip
        embedder = BigramEmbedder()
        summary = IngestPipeline(LocalIndexTarget(settings.resolved_index_dir), embedder).run([docs])
        assert summary.exit_code == 0, summary.render()
        keys = _create_users(settings.resolved_database_url)
        app = create_app(settings, embedder=embedder)
        sock = _free_socket()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.02)
        host, port = sock.getsockname()
        try:
            yield ActionsApi(url=f"http://{host}:{port}", keys=keys, bedrock=bedrock, pdf=pdf)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


@contextmanager
def browser_page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="ja-JP",
                permissions=["clipboard-read", "clipboard-write"],
            )  # fmt: skip
            yield context.new_page()
        finally:
            browser.close()


def _signed_in_with_an_answer(page, url: str, key: str):
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(key)
    page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
    question = page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)
    expect(question).to_be_visible(timeout=WAIT_MS)
    question.fill(QUESTION)
    question.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.get_by_text(re.compile(f"{texts.EXTRACTIVE_LABEL}$"))).to_be_visible(timeout=WAIT_MS)
    expect(answer.get_by_text("転出証明書を添付しなければならない").first).to_be_visible()
    expect(answer.get_by_role("button", name=texts.ACTION_COPY)).to_be_visible()
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2)  # the streamed run's bubbles are gone
    return answer


def test_copy_and_open_the_source_pdf_at_its_page(actions_api, tmp_path):
    from playwright.sync_api import expect

    with running_ui(actions_api.url, tmp_path) as url, browser_page() as page:
        answer = _signed_in_with_an_answer(page, url, actions_api.keys["tanaka"])
        answer.get_by_role("button", name=texts.ACTION_COPY).scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "yakuba-answer-actions-answer.png"))

        # Copy: the popover's code block has Streamlit's copy button; the clipboard gets the labelled text.
        answer.get_by_role("button", name=texts.ACTION_COPY).click()
        block = page.get_by_test_id("stCode").last
        expect(block).to_contain_text("機密性２")
        block.hover()
        page.screenshot(path=str(SHOTS / "yakuba-answer-actions-copy.png"))
        block.get_by_role("button").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("機密性２\n")
        assert "転入届事務の手引き" in copied and "p.3" in copied and "閲覧範囲：総務課" in copied
        page.keyboard.press("Escape")

        # Word: the answer with its sources, 「機密性２」 in the page header.
        with page.expect_download() as saved:
            answer.get_by_role("button", name=texts.ACTION_DOCX).click()
        document = Document(saved.value.path())
        assert "".join(p.text for p in document.sections[0].header.paragraphs) == "\t機密性２"
        assert any(p.text == "［1］転入届事務の手引き　p.3" for p in document.paragraphs)

        # The source's link opens the original PDF at the cited page, in a new tab, without the API key.
        link = answer.get_by_role("link", name=texts.SOURCE_OPEN_AT_PAGE.format(page=3))
        expect(link).to_be_visible()
        href = link.get_attribute("href")
        assert href.startswith(actions_api.url + "/sources/open/") and href.endswith("#page=3")
        assert actions_api.keys["tanaka"] not in href
        with page.context.expect_page() as opened:
            link.click()
        tab = opened.value
        tab.wait_for_load_state()
        assert tab.url == href
        served = httpx.get(href.partition("#")[0])  # what the tab received
        assert served.headers["content-type"] == "application/pdf"
        assert served.content == actions_api.pdf.read_bytes()


def test_regenerate_with_another_model_and_edit_the_question(actions_api, tmp_path):
    from playwright.sync_api import expect

    actions_api.bedrock.reset()
    actions_api.bedrock.script(
        "転入届には、転出証明書の添付が必要です[1]。", usage={"input_tokens": 90, "output_tokens": 20}
    )
    with running_ui(actions_api.url, tmp_path) as url, browser_page() as page:
        answer = _signed_in_with_an_answer(page, url, actions_api.keys["tanaka"])

        answer.get_by_role("button", name=texts.ACTION_REGENERATE).click()
        picker = page.get_by_role("combobox", name=texts.ACTION_REGENERATE_MODEL)
        expect(picker).to_have_value("claude-sonnet-4-5")  # the first model other than the one that answered
        picker.click()
        models = httpx.get(
            f"{actions_api.url}/models", headers={"Authorization": f"Bearer {actions_api.keys['tanaka']}"}
        )
        usable = [model_label(m) for m in models.json()["models"] if m["available"]]
        unusable = [model_label(m) for m in models.json()["models"] if not m["available"]]
        assert unusable, "the set-up should have a model this user may not use"
        offered = page.get_by_role("option").all_inner_texts()
        assert sorted(offered) == sorted(usable) and not set(offered) & set(unusable)
        page.get_by_role("option", name="claude-haiku-4-5").click()
        page.screenshot(path=str(SHOTS / "yakuba-answer-actions-regenerate.png"))
        page.get_by_role("button", name=texts.ACTION_REGENERATE_SEND).click()

        again = page.get_by_test_id("stChatMessage").nth(3)
        expect(again.get_by_text(texts.LLM_LABEL.format(model="claude-haiku-4-5"))).to_be_visible(
            timeout=WAIT_MS
        )
        expect(again.get_by_text(texts.ACTION_REGENERATED.format(model="claude-haiku-4-5"))).to_be_visible()
        expect(page.get_by_test_id("stChatMessage").nth(2)).to_contain_text(QUESTION)
        assert [r["operation"] for r in actions_api.bedrock.requests] == ["ConverseStream"]
        page.screenshot(path=str(SHOTS / "yakuba-answer-actions-regenerated.png"), full_page=True)

        # Edit and resend: the question goes back into the input; the edited one gets a new answer.
        again.get_by_role("button", name=texts.ACTION_EDIT).click()
        box = page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)
        expect(box).to_have_value(QUESTION, timeout=WAIT_MS)
        expect(page.get_by_text(texts.ACTION_EDIT_NOTICE)).to_be_visible()
        page.screenshot(path=str(SHOTS / "yakuba-answer-actions-edit.png"))
        box.fill("転入届の届出期間は何日以内ですか")
        box.press("Enter")
        edited = page.get_by_test_id("stChatMessage").nth(5)
        expect(edited.get_by_text("転入した日から十四日以内").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_test_id("stChatMessage").nth(4)).to_contain_text(
            "転入届の届出期間は何日以内ですか"
        )
