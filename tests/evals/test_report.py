"""The HTML report: one self-contained file (nothing fetched from the network), every run text escaped, plots as
inline SVG; and in headless Chromium (scripts/install-browser.sh) it renders, opens an item and filters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from evals.report import write_report
from tests.evals.test_compare import make_item, make_run, strong_items, weak_items

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HOSTILE = "<script>alert('xss')</script><img src=x onerror=alert(1)>"


@pytest.fixture
def runs() -> list[dict[str, Any]]:
    weak = weak_items("extractive")
    weak[0] = make_item("q000", "extractive", correct=False, backend="offline/extractive", text=HOSTILE)
    weak[1]["sources"][0]["text"] = "</div><style>body{display:none}</style>文書の本文"
    weak[2]["error"] = "ThrottlingException: <rate exceeded>"
    baseline = make_run("run-a", {"extractive": ("offline/extractive", weak)})
    baseline["threshold_failures"] = [
        {"variant": "extractive", "metric": "exact_match", "value": 0.25, "threshold": 0.5}
    ]
    better = make_run("run-b", {"sonnet": ("bedrock/claude-sonnet-4-5", strong_items()),
                                "nova": ("bedrock/nova-lite", strong_items("nova", "bedrock/nova-lite"))})
    for item in better["items"]:
        if item["variant"] == "nova":
            item["usage"]["cost"] = 0.0005
    return [baseline, better]


@pytest.fixture
def report(tmp_path: Path, runs) -> Path:
    return write_report(runs, tmp_path / "out" / "report.html")


def test_one_self_contained_file(report: Path):
    assert [p.name for p in report.parent.iterdir()] == ["report.html"]
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", html)  # no CDN, web font, script or even SVG namespace URL
    assert not re.search(r"<link\b|@import|<script[^>]*\bsrc=|url\((?!#)", html)
    assert html.count("<script>") == 1  # the inline filter script, nothing from the runs


def test_labels_plots_and_items(report: Path, runs):
    html = report.read_text(encoding="utf-8")
    assert "<title>評価結果レポート</title>" in html and "<h1>評価結果レポート</h1>" in html
    for label in ("指標", "95%信頼区間", "応答時間の分布", "バックエンド別の費用", "項目別の結果", "基準値を下回った指標"):
        assert label in html
    assert html.count("<svg") == 2 + 2  # exact_match and f1, latency, cost
    n_rows = sum(len(run["items"]) for run in runs)
    assert html.count("<details class='item'") == n_rows
    assert "bedrock/nova-lite" in html and "run-b/sonnet" in html


def test_every_run_text_is_escaped(report: Path):
    html = report.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert "<style>body{display:none}" not in html
    assert "&lt;/div&gt;&lt;style&gt;body{display:none}&lt;/style&gt;文書の本文" in html
    assert "ThrottlingException: &lt;rate exceeded&gt;" in html


def test_sparse_running_run(tmp_path: Path):
    """A run still running, one variant, an item that failed with no scores, usage or latency."""
    run = make_run("run-c", {"solo": ("offline/extractive", weak_items("solo")[:3])})
    run.update(status="running", finished=None, dataset={})
    failed = run["items"][1]
    failed.update(output=None, text="", scores={}, citations=[], sources=[], usage={}, error="timeout")
    del failed["latency_ms"]
    html = write_report([run], tmp_path / "r.html").read_text(encoding="utf-8")
    assert "実行中" in html and "timeout" in html and html.count("<details class='item'") == 3


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run scripts/install-browser.sh)")
def test_renders_in_headless_chromium(report: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ja-JP")
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(report.as_uri())
            assert page.title() == "評価結果レポート"
            assert page.locator("h1").inner_text() == "評価結果レポート"
            assert page.locator("svg").count() == 4
            box = page.locator(".plot svg").first.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 50
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

            item = page.locator("details.item[data-column='1']").first
            assert not item.locator(":scope > .body").is_visible()
            item.locator(":scope > summary").click()
            assert item.locator(":scope > .body").is_visible()
            assert HOSTILE in item.locator(":scope > .body").inner_text()  # shown as text, not run
            page.screenshot(path=str(tmp_path / "item.png"))

            page.fill("#filter", "q005")
            assert page.locator("#shown").inner_text() == "3"
            page.select_option("#column", "2")
            assert page.locator("#shown").inner_text() == "1"
            assert page.locator("details.item:not([hidden])").count() == 1
        finally:
            browser.close()
    assert dialogs == []
    assert requests == [report.as_uri()]  # nothing else fetched
