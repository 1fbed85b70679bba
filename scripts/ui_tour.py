"""Screenshots of every page of the web UI at a given window size, on the sample corpus, for people to look at.

    .venv/bin/python scripts/ui_tour.py [--out /tmp/shots/tour] [--width 1366] [--height 768]

Builds the sample index in a throw-away YAKUBA_HOME, creates an administrator, starts the API and the UI on free
loopback ports, signs in with Debian's Chromium (Playwright), asks one question, and saves one PNG per menu entry
plus the API reference (/docs). Not a test: it asserts nothing; it is how the pages are reviewed before a release.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui import texts  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SECTIONS = [*texts.MENU[1:], texts.SECTION_EVALS]  # after the chat, every page the tour signs in to
QUESTION = "住民票の写しの交付手数料はいくらですか"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(url: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {seconds:.0f} s")


def yakuba(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"yakuba {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def shoot(page, out: Path, name: str) -> None:
    page.wait_for_timeout(1500)
    path = out / f"{name}.png"
    page.screenshot(path=str(path))
    print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots/tour"))
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="yakuba-tour-"))
    env = dict(os.environ) | {"YAKUBA_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "ingest.sample", str(home / "sample")], env=env, check=True)
    yakuba(env, "ingest", str(home / "sample"), "--quiet")
    key = json.loads(
        yakuba(env, "users", "add", "tour", "--admin", "--clearance", "3", "--groups", "総務課", "--json")
    )["api_key"]
    api_port, ui_port = free_port(), free_port()
    api_url, ui_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    cli = [sys.executable, "-m", "assistant.cli"]
    api = subprocess.Popen(
        [*cli, "serve", "--port", str(api_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ui = subprocess.Popen(
        [*cli, "ui", "--port", str(ui_port), "--api-url", api_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(f"{api_url}/health")
        wait(f"{ui_url}/_stcore/health")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = browser.new_context(
                viewport={"width": args.width, "height": args.height}, locale="ja-JP"
            ).new_page()
            page.goto(ui_url)
            page.get_by_label(texts.SIGNIN_KEY_LABEL).fill(key)
            page.get_by_role("button", name=texts.SIGNIN_BUTTON).click()
            question = page.get_by_placeholder(texts.CHAT_INPUT_PLACEHOLDER)
            question.wait_for(timeout=120_000)
            question.fill(QUESTION)
            question.press("Enter")
            page.get_by_test_id("stChatMessage").nth(1).wait_for(timeout=120_000)
            page.wait_for_timeout(4000)
            shoot(page, args.out, "01-chat-answer")
            page.mouse.wheel(0, -10_000)
            shoot(page, args.out, "01-chat-top")
            sidebar = page.get_by_test_id("stSidebar")
            for i, label in enumerate(SECTIONS, start=2):
                sidebar.get_by_role("radio", name=label).check(force=True)
                page.wait_for_timeout(3000)
                shoot(page, args.out, f"{i:02d}-{label}")
            page.goto(f"{api_url}/docs")
            shoot(page, args.out, "99-docs")
            browser.close()
    finally:
        for process in (ui, api):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
