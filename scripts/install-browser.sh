#!/usr/bin/env bash
# Debian's Chromium for the end-to-end UI test (tests/ui/test_e2e_browser.py), with Japanese fonts
# so that screenshots of the UI are legible. Playwright drives this browser; `playwright install`
# (which downloads a browser build) is never used. Does nothing when both are already present.
set -euo pipefail

have_japanese_font() {
    command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja family 2>/dev/null)" ]
}

if [ -x /usr/bin/chromium ] && have_japanese_font; then
    echo "chromium and Japanese fonts are already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium fonts-noto-cjk
/usr/bin/chromium --version
