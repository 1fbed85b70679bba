"""The API reference on a closed network, in a real browser: /docs (Swagger UI) and /redoc render their
operations with every request outside this server refused, so nothing can come from a CDN.

Needs /usr/bin/chromium (scripts/install-browser.sh); skipped without it.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.ui.test_e2e_browser import CHROMIUM, WAIT_MS, chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (run scripts/install-browser.sh)",
    ),
]


def _offline(page, host: str) -> list[str]:
    """Abort every request that does not go to `host`; return the aborted URLs."""
    refused: list[str] = []

    def handle(route) -> None:
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", handle)
    return refused


def test_swagger_ui_and_redoc_render_with_no_network(live_api):
    """Also nothing is asked of the network: ReDoc's CDN logo is stopped by the pages' Content-Security-Policy."""
    from playwright.sync_api import expect

    host = urlparse(live_api.url).netloc
    with chromium() as page:
        refused = _offline(page, host)
        page.goto(f"{live_api.url}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Yakuba", timeout=WAIT_MS)
        expect(page.locator(".opblock-summary-path", has_text="/chat").first).to_be_visible()
        page.goto(f"{live_api.url}/redoc")
        expect(page.get_by_role("heading", name="Yakuba", exact=False).first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("/conversations", exact=False).first).to_be_attached()
        assert refused == [], f"the reference asked the network for {refused}"
