"""The look of an official document on screen (reply drafts and minutes): a white sheet in Mincho with the
「案」 mark and the 機密性 label at its head; each view adds the rules of its own parts."""

from __future__ import annotations

APPROVED = "承認済"
LEVEL_COLORS = {1: "gray", 2: "orange", 3: "red"}  # as the chat's answer badge

PAPER_CSS = """
.yk-paper { background: #fff; color: #222; border: 1px solid #d0d0d0; box-shadow: 0 1px 4px rgba(0,0,0,.08);
  padding: 2.2em 2.6em; font-family: "Noto Serif CJK JP", "Yu Mincho", "MS Mincho", serif; line-height: 1.75;
  max-width: 46em; }
.yk-paper p { margin: 0; white-space: pre-wrap; }
.yk-head { display: flex; justify-content: space-between; margin-bottom: .8em; min-height: 1.8em; }
.yk-mark { border: 2px solid #b00020; color: #b00020; font-weight: bold; font-size: 1.4em; padding: 0 .3em; }
.yk-label { border: 1px solid #222; font-weight: bold; padding: 0 .4em; height: 1.6em; }
.yk-right { text-align: right; } .yk-center { text-align: center; }
"""


def style(rules: str) -> str:
    """A <style> block of the sheet's rules and the view's own."""
    return f"<style>{PAPER_CSS}{rules}</style>"
