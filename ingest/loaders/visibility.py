"""Shared test of "text a reader cannot see" for the HTML, DOCX and PPTX loaders: text whose colour is too close to
its background (white on white) or whose font is too small to read.

Hidden text is not indexed: a document could otherwise carry instructions for a model (or text quoted in an
answer) that the person who filed it never saw.
"""

from __future__ import annotations

RGB = tuple[float, float, float]  # red, green, blue in 0..1
WHITE: RGB = (1.0, 1.0, 1.0)

# WCAG contrast ratio below which text is treated as invisible. 1.0 is the same colour; #eeeeee on white is 1.16,
# #dddddd on white (faint but readable) 1.36.
MIN_CONTRAST = 1.2
# Font sizes at or below this many points cannot be read (Word's smallest size is 1 pt; 1 px is 0.75 pt).
MAX_INVISIBLE_POINTS = 1.0


def hex_rgb(value: str | None) -> RGB | None:
    """`FFFFFF` / `#ffffff` (as Office XML and HTML write colours) as RGB; None when not a hex colour."""
    text = (value or "").strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        return None
    try:
        return tuple(int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return None


def _luminance(rgb: RGB) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """The WCAG 2 contrast ratio of two colours (1.0 to 21.0)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def invisible_on(text: RGB | None, background: RGB | None) -> bool:
    """True when text of colour `text` cannot be told from `background` (either unknown → visible)."""
    return text is not None and background is not None and contrast(text, background) < MIN_CONTRAST
