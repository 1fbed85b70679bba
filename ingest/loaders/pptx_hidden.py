"""What a slide does not show: shapes marked hidden (selection pane), shapes placed wholly off the slide, runs in a
font of 1 pt or less, and runs whose colour matches what is behind them (the shape's solid fill, else the slide's
background as the slide, its layout or its master sets it).

Colours are resolved where the file states them plainly: `a:srgbClr`, and `a:schemeClr` through the master's
colour map and the theme's colour scheme. A scheme colour with modifiers (lumMod, tint …), gradient, picture and
theme-styled fills count as unknown, and text on an unknown colour counts as visible.
"""

from __future__ import annotations

from typing import Any

from ingest.loaders.visibility import RGB, hex_rgb, invisible_on

_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_MAX_INVISIBLE_SZ = 100  # a:rPr@sz is in hundredths of a point: 1 pt or less
_DEFAULT_MAP = {"bg1": "lt1", "tx1": "dk1", "bg2": "lt2", "tx2": "dk2"}


def shape_hidden(shape: Any) -> bool:
    """True for a shape hidden in the selection pane (`cNvPr hidden="1"`)."""
    props = shape._element.find(f".//{_P}cNvPr")
    return props is not None and (props.get("hidden") or "").lower() in ("1", "true")


def off_slide(shape: Any, width: int | None, height: int | None) -> bool:
    """True when the shape lies wholly outside the slide (nothing of it is shown)."""
    left, top, w, h = shape.left, shape.top, shape.width, shape.height
    if None in (left, top, w, h) or not width or not height:
        return False
    return left + w <= 0 or top + h <= 0 or left >= width or top >= height


class SlideColors:
    """The slide's background and theme colours, for testing the runs of its shapes."""

    def __init__(self, slide: Any):
        master = slide.slide_layout.slide_master
        self._scheme = _theme_scheme(master)
        clr_map = master._element.find(f"{_P}clrMap")
        self._map = dict(_DEFAULT_MAP)
        if clr_map is not None:
            self._map.update({key: value for key, value in clr_map.attrib.items() if key in _DEFAULT_MAP})
        self.background: RGB | None = None
        for part in (slide, slide.slide_layout, master):
            bg = part._element.find(f"{_P}cSld/{_P}bg")
            if bg is not None:
                self.background = self._background(bg)
                break

    def color(self, holder: Any) -> RGB | None:
        """The colour of an `a:solidFill`-like element's first colour child; None when not plain."""
        if holder is None:
            return None
        srgb = holder.find(f"{_A}srgbClr")
        if srgb is not None:
            return None if len(srgb) else hex_rgb(srgb.get("val"))
        scheme = holder.find(f"{_A}schemeClr")
        if scheme is None or len(scheme):
            return None
        name = scheme.get("val", "")
        return self._scheme.get(self._map.get(name, name))

    def _background(self, bg: Any) -> RGB | None:
        fill = bg.find(f"{_P}bgPr/{_A}solidFill")
        if fill is not None:
            return self.color(fill)
        ref = bg.find(f"{_P}bgRef")
        return self.color(ref) if ref is not None and ref.get("idx") == "1001" else None  # 1001: a solid fill

    def behind(self, shape: Any) -> RGB | None:
        """What is behind the shape's text: its own solid fill, else the slide background."""
        sp_pr = shape._element.find(f"{_P}spPr")
        if sp_pr is not None:
            if sp_pr.find(f"{_A}solidFill") is not None:
                return self.color(sp_pr.find(f"{_A}solidFill"))
            if sp_pr.find(f"{_A}noFill") is not None:
                return self.background
            if any(sp_pr.find(f"{_A}{kind}") is not None for kind in ("gradFill", "blipFill", "pattFill")):
                return None
        style_fill = shape._element.find(f"{_P}style/{_A}fillRef")
        if style_fill is not None and style_fill.get("idx", "0") != "0":
            return None  # a theme-styled fill
        return self.background

    def invisible_run(self, run: Any, behind: RGB | None) -> bool:
        rpr = run._r.find(f"{_A}rPr")
        if rpr is None:
            return False
        size = rpr.get("sz")
        if size is not None and size.isdigit() and int(size) <= _MAX_INVISIBLE_SZ:
            return True
        return invisible_on(self.color(rpr.find(f"{_A}solidFill")), behind)


def _theme_scheme(master: Any) -> dict[str, RGB]:
    """The theme's colour scheme (dk1, lt1, accent1 …) as RGB."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.oxml import parse_xml  # python-pptx's parser: no entity resolution

    try:
        theme = parse_xml(master.part.part_related_by(RT.THEME).blob)
    except (KeyError, etree.XMLSyntaxError):
        return {}
    scheme = theme.find(f"{_A}themeElements/{_A}clrScheme")
    colors: dict[str, RGB] = {}
    for entry in scheme if scheme is not None else []:
        name = etree.QName(entry).localname
        srgb, system = entry.find(f"{_A}srgbClr"), entry.find(f"{_A}sysClr")
        rgb = hex_rgb(srgb.get("val")) if srgb is not None else None
        rgb = rgb or (hex_rgb(system.get("lastClr")) if system is not None else None)
        if rgb is not None:
            colors[name] = rgb
    return colors
