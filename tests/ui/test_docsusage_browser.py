"""The documents and usage pages in headless Chromium at 1366×768 (the set-up of test_e2e_browser.py): an
administrator sees a records file titled by its name and count, no upload folder names, deletes a file after
confirming, and the usage page draws its chart. Screenshots go to /tmp/shots/docsusage/ to be looked at."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.ui.test_e2e_browser import CHROMIUM, WAIT_MS, chromium, running_ui
from ui import docsusage_texts as t
from ui import texts

SHOTS = Path("/tmp/shots/docsusage")
RECORDS = "番号,件名,照会内容,回答内容,回答日\n" + "".join(
    f"{n},届出期間を経過した転入届の受理について,転入届の届出期間を過ぎた場合も受理できますか（{n}）,"
    f"受理できます（{n}）,2024-05-{n:02d}\n"
    for n in range(1, 26)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def admin_key(live_api) -> str:
    from assistant.records import create_user, init_db, make_session_factory

    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:
        key = create_user(session, "kanri-b", groups=["総務課"], clearance=3, admin=True)[1]
    engine.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    for name, body in (
        ("転入届照会記録.csv", RECORDS),
        ("庁舎閉庁日.txt", "年末年始の閉庁日は一月三日までとする。"),
    ):
        response = httpx.post(
            f"{live_api.url}/documents", headers=headers, files={"files": (name, body.encode())}
        )
        assert response.status_code == 200, response.text
    asked = httpx.post(
        f"{live_api.url}/chat",
        headers={"Authorization": f"Bearer {live_api.keys['sato']}"},
        json={"message": "予算要求書の提出期限はいつですか"},
        timeout=120,
    )
    assert asked.status_code == 200, asked.text  # some use for the usage page's chart
    return key


def _sign_in(page, url: str, key: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(key)
    page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
    expect(page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)).to_be_visible(timeout=WAIT_MS)


def _pick(page, text: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=t.MANAGE_PICK).get_by_role("combobox")
    box.click()  # scrolls to it
    page.get_by_role("option").filter(has_text=text).first.click()


def _open(page, section: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(section, exact=True).click()


def test_documents_and_usage_pages_at_1366(live_api, admin_key, tmp_path):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    viewport = {"width": 1366, "height": 768}
    with running_ui(live_api.url, tmp_path) as url, chromium() as page:
        page.set_viewport_size(viewport)
        _sign_in(page, url, admin_key)
        _open(page, texts.SECTION_DOCUMENTS)
        expect(page.get_by_text(t.MANAGE_HEADER)).to_be_visible(timeout=WAIT_MS)
        page.get_by_text(texts.DOCUMENTS_LIST_HEADER).scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / "documents-admin.png"))
        assert "uploads/" not in page.content()

        _pick(page, "転入届照会記録.csv（照会記録 25件）")
        page.get_by_role("tab", name=t.TAB_DELETE).click()
        page.get_by_role("button", name=t.DELETE_BUTTON).click()
        expect(page.get_by_text("元に戻すことはできません。よろしいですか")).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name=t.CONFIRM_YES["delete"]).scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "documents-delete-confirm.png"))
        page.get_by_role("button", name=t.CONFIRM_YES["delete"]).click()
        expect(page.get_by_text("「転入届照会記録.csv」を削除しました")).to_be_visible(timeout=WAIT_MS)
        picked = page.get_by_test_id("stSelectbox").filter(has_text=t.MANAGE_PICK)
        expect(picked).not_to_contain_text("転入届照会記録")  # the deleted file is no longer chosen
        page.screenshot(path=str(SHOTS / "documents-deleted.png"))

        _pick(page, "庁舎閉庁日.txt")
        expect(page.get_by_role("tab", name=t.TAB_RECLASSIFY)).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name=t.RECLASSIFY_BUTTON).scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "documents-reclassify.png"))

        _open(page, texts.SECTION_USAGE)
        expect(page.get_by_text(t.CHART_HEADER)).to_be_visible(timeout=WAIT_MS)
        page.wait_for_timeout(1500)  # the chart draws itself
        page.get_by_role("heading", name=texts.USAGE_HEADER).scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "usage-top.png"))
        page.get_by_text(t.CHART_HEADER).scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "usage-chart.png"))
        page.get_by_text(t.PERIODS[2], exact=True).click()  # 期間指定: the date range appears
        expect(page.get_by_text(t.PERIOD_FROM + "〜" + t.PERIOD_TO)).to_be_visible(timeout=WAIT_MS)
        page.wait_for_timeout(800)
        page.get_by_role("heading", name=texts.USAGE_HEADER).scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "usage-range.png"))

    with running_ui(live_api.url, tmp_path) as url, chromium() as page:
        page.set_viewport_size(viewport)
        _sign_in(page, url, live_api.keys["sato"])
        _open(page, texts.SECTION_DOCUMENTS)
        expect(page.get_by_text(texts.DOCUMENTS_LIST_HEADER)).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(t.MANAGE_HEADER)).to_have_count(0)
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / "documents-user.png"))
