"""Exports of drafts as files a clerk can file or send: the official reply layout as DOCX and as plain text, and
official minutes (議事録) as DOCX and Markdown."""

from assistant.exports.minutes_docx import render_minutes_docx
from assistant.exports.minutes_markdown import render_minutes_markdown
from assistant.exports.reply_docx import render_reply_docx
from assistant.exports.reply_text import render_reply_text

__all__ = ["render_minutes_docx", "render_minutes_markdown", "render_reply_docx", "render_reply_text"]
