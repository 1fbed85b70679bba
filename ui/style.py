"""The page's own CSS: Japanese in place of the few English words Streamlit's file uploader draws itself, and a
page that starts at the top of a 1366×768 screen.

Streamlit has no locale setting for its widgets, so the uploader's button caption ("Upload") and
size hint ("200MB per file") are replaced with CSS, targeting the `data-testid`s Streamlit documents
for testing. Checked by looking at the page in Chromium (tests/ui/test_e2e_browser.py).
"""

from __future__ import annotations

import streamlit as st

from assistant.config import get_settings
from ui import texts

_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "{browse}"; font-size: 0.875rem;
}}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "{limit}"; font-size: 0.875rem; }}
</style>"""


def japanese_uploader() -> None:
    limit = texts.UPLOAD_LIMIT.format(mb=get_settings().max_upload_mb)
    st.html(_CSS.format(browse=texts.UPLOAD_BROWSE, limit=limit))


# Streamlit's default top padding (6rem) leaves a fifth of a 768-pixel screen empty above every page's title.
_PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stSidebarUserContent"] { padding-top: 0.5rem; }
</style>"""


def page_style() -> None:
    """Applied once per run, on every page: the compact top and the Japanese file uploader."""
    st.html(_PAGE_CSS)
    japanese_uploader()
