"""Visible text of Word paragraphs: runs marked hidden (`w:vanish`), runs whose colour matches the shading behind
them (white on white, or the theme's background colour on the page) and runs in a font of 1 pt or less are left
out, with their properties resolved as Word does: direct run formatting, then the character style, then the
paragraph style (each with its `basedOn` chain), then the document defaults.

Read from the WordprocessingML elements with lxml: python-docx's font objects see direct formatting only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.loaders.visibility import RGB, WHITE, hex_rgb, invisible_on

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALSE = {"0", "false", "off"}
_BACKGROUND_THEME = {"background1", "light1"}  # the page colour in every stock theme
_MAX_INVISIBLE_HALF_POINTS = 2  # w:sz is in half points: 1 pt or less
_TRIGGERS = ".//w:rPr[w:vanish or w:color or w:sz or w:rStyle or w:shd or w:highlight]"


@dataclass(frozen=True)
class _Props:
    hidden: bool | None = None
    color: RGB | None = None  # None: automatic or unknown
    half_points: int | None = None

    def over(self, base: _Props) -> _Props:
        return _Props(
            self.hidden if self.hidden is not None else base.hidden,
            self.color if self.color is not None else base.color,
            self.half_points if self.half_points is not None else base.half_points,
        )


def _props(rpr: Any) -> _Props:
    if rpr is None:
        return _Props()
    vanish, color, size = rpr.find(f"{_W}vanish"), rpr.find(f"{_W}color"), rpr.find(f"{_W}sz")
    hidden = None if vanish is None else vanish.get(f"{_W}val", "true").lower() not in _FALSE
    rgb = None
    if color is not None:
        rgb = hex_rgb(color.get(f"{_W}val"))
        if (color.get(f"{_W}themeColor") or "").lower() in _BACKGROUND_THEME:
            rgb = WHITE
    try:
        half_points = int(size.get(f"{_W}val")) if size is not None else None
    except (TypeError, ValueError):
        half_points = None
    return _Props(hidden, rgb, half_points)


class DocxVisibility:
    """Per document: resolved style properties and the page colour; `paragraph_text` drops invisible runs."""

    def __init__(self, document: Any):
        background = document.element.find(f"{_W}background")
        self.page = (hex_rgb(background.get(f"{_W}color")) if background is not None else None) or WHITE
        styles = document.styles.element
        self._raw = {
            s.get(f"{_W}styleId"): (s.find(f"{_W}rPr"), s.find(f"{_W}basedOn"))
            for s in styles.iterfind(f"{_W}style")
        }
        self._resolved: dict[str, _Props] = {}
        defaults = styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
        self._defaults = _props(defaults)
        default_para = styles.find(f"{_W}style[@{_W}type='paragraph'][@{_W}default='1']")
        self._default_para = default_para.get(f"{_W}styleId") if default_para is not None else None
        # a style that could hide text sends every paragraph down the careful path
        self._suspect = any(self._could_hide(self._style(s)) for s in self._raw) or self._could_hide(
            self._defaults
        )

    def _could_hide(self, props: _Props) -> bool:
        tiny = props.half_points is not None and props.half_points <= _MAX_INVISIBLE_HALF_POINTS
        return bool(props.hidden) or tiny or invisible_on(props.color, self.page)

    def _style(self, style_id: str | None, seen: frozenset[str] = frozenset()) -> _Props:
        if not style_id or style_id not in self._raw or style_id in seen:
            return _Props()
        if style_id not in self._resolved:
            rpr, based_on = self._raw[style_id]
            base = self._style(based_on.get(f"{_W}val") if based_on is not None else None, seen | {style_id})
            self._resolved[style_id] = _props(rpr).over(base)
        return self._resolved[style_id]

    def paragraph_text(self, paragraph: Any, background: RGB | None = None) -> str:
        """The paragraph's text (as python-docx's `Paragraph.text`) without its invisible runs."""
        p = paragraph._p
        if not self._suspect and not p.xpath(_TRIGGERS):
            return paragraph.text
        ppr = p.find(f"{_W}pPr")
        p_style = ppr.find(f"{_W}pStyle") if ppr is not None else None
        p_props = self._style(p_style.get(f"{_W}val") if p_style is not None else self._default_para)
        inherited = p_props.over(self._defaults)
        behind = _shading(ppr) or background or self.page
        parts = []
        for element in p.xpath("w:r | w:hyperlink"):
            runs = [element] if element.tag == f"{_W}r" else element.findall(f"{_W}r")
            parts.extend(r.text for r in runs if not self._invisible(r, inherited, behind))
        return "".join(parts)

    def _invisible(self, run: Any, inherited: _Props, behind: RGB | None) -> bool:
        rpr = run.find(f"{_W}rPr")
        r_style = rpr.find(f"{_W}rStyle") if rpr is not None else None
        props = _props(rpr).over(self._style(r_style.get(f"{_W}val") if r_style is not None else None))
        props = props.over(inherited)
        if props.hidden or (
            props.half_points is not None and props.half_points <= _MAX_INVISIBLE_HALF_POINTS
        ):
            return True
        own = _shading(rpr)
        highlight = rpr.find(f"{_W}highlight") if rpr is not None else None
        if highlight is not None and highlight.get(f"{_W}val", "none") != "none":
            own = WHITE if highlight.get(f"{_W}val") == "white" else None  # a coloured marker: visible
            return invisible_on(props.color, own)
        return invisible_on(props.color, own or behind)


def _shading(properties: Any) -> RGB | None:
    """The fill colour of a `w:shd` in run, paragraph or cell properties (None when absent or automatic)."""
    if properties is None:
        return None
    shd = properties.find(f"{_W}shd")
    return hex_rgb(shd.get(f"{_W}fill")) if shd is not None else None


def cell_background(cell: Any) -> RGB | None:
    return _shading(cell._tc.find(f"{_W}tcPr"))
