"""What an HTML page does not show its reader, removed before the page is read: elements hidden by the `hidden`
attribute, `aria-hidden="true"`, or CSS (`display:none`, `visibility:hidden`, `opacity:0`, a zero font size,
off-screen positions, 1-pixel clipped boxes) from inline `style` attributes and from the page's own `<style>`
rules, and text whose colour matches its background (white on white).

CSS is parsed with tinycss2 and selectors are matched with soupsieve (BeautifulSoup's `select`). The cascade is
simplified: stylesheet rules apply in document order without specificity and inline styles win; a hidden
element's whole subtree is dropped (a child cannot show itself again). External stylesheets are not fetched.
Rules inside `@media` blocks (print-only styles and the like) and selectors that depend on interaction
(`:hover`, `:focus` …) are ignored.

Also `nesting_depth`: libxml2 measures the element depth in C before BeautifulSoup builds its (much
costlier) tree, so deeply nested pages are refused in milliseconds, also outside the loading sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ingest.loaders.visibility import RGB, WHITE, invisible_on

# Stylesheet selectors matched per page; past this the remaining rules are ignored (each costs a tree walk).
MAX_SELECTORS = 2000
BLACK: RGB = (0.0, 0.0, 0.0)

_PROPERTIES = {
    "display", "visibility", "opacity", "font-size", "color", "background", "background-color", "position",
    "left", "top", "text-indent", "width", "height", "max-height", "max-width", "overflow",
}  # fmt: skip
_INTERACTIVE = re.compile(
    r":(hover|focus|focus-within|focus-visible|active|target|checked|visited|link)\b|::"
)
_LENGTH = re.compile(r"^(-?\d*\.?\d+)(px|pt|em|rem|%|vw|vh|cm|mm|in)?$")
_POINTS_PER = {
    "px": 0.75,
    "pt": 1.0,
    "em": 12.0,
    "rem": 12.0,
    "%": 0.12,
    "cm": 28.35,
    "mm": 2.835,
    "in": 72.0,
}
_OFF_SCREEN_PT = -700.0  # positions and indents further left/up than this (about -999 px) are off screen


def nesting_depth(html: str) -> int:
    """The element depth libxml2 sees, without building a Python tree (it stops counting at 2,048)."""
    from lxml import etree

    try:
        root = etree.fromstring(html, etree.HTMLParser(recover=True, no_network=True, huge_tree=True))
    except (etree.XMLSyntaxError, ValueError):
        return 0
    if root is None:
        return 0
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def remove_hidden(soup: Any) -> int:
    """Remove hidden elements and invisible text from `soup` in place; returns how many were removed."""
    from bs4 import NavigableString, Tag

    rules = _stylesheet_styles(soup)
    hidden_tags: list[Any] = []
    hidden_strings: list[Any] = []
    # iterative pre-order walk carrying the inherited (text colour, background); None = unknown
    stack: list[tuple[Iterator[Any], RGB | None, RGB | None]] = [(iter(soup.contents), BLACK, WHITE)]
    while stack:
        children, color, background = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
        elif type(child) is NavigableString:
            if child.strip() and invisible_on(color, background):
                hidden_strings.append(child)
        elif isinstance(child, Tag):
            style = {**rules.get(id(child), {}), **_declarations(child.get("style"))}
            if _hidden_attribute(child) or _hides(style):
                hidden_tags.append(child)
                continue
            inner = _background(style, background)
            stack.append((iter(child.contents), _blend(_color(style.get("color")), inner) or color, inner))
    for string in hidden_strings:
        string.extract()
    for tag in hidden_tags:
        tag.decompose()  # hidden subtrees are disjoint: the walk does not enter a hidden element
    return len(hidden_tags) + len(hidden_strings)


def _hidden_attribute(tag: Any) -> bool:
    return tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).strip().lower() == "true"


def _hides(style: dict[str, str]) -> bool:
    if style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse"):
        return True
    opacity = _number(style.get("opacity", ""))
    if opacity is not None and opacity <= 0.05:
        return True
    size = _points(style.get("font-size", ""))
    if size is not None and size <= 1.0:
        return True
    if _offset_off_screen(style.get("text-indent")) or (
        style.get("position") in ("absolute", "fixed")
        and (_offset_off_screen(style.get("left")) or _offset_off_screen(style.get("top")))
    ):
        return True
    if style.get("overflow") in ("hidden", "clip"):
        boxes = (style.get(name, "") for name in ("width", "height", "max-height", "max-width"))
        return any((points := _points(box)) is not None and points <= 0.75 for box in boxes)
    return False


def _offset_off_screen(value: str | None) -> bool:
    points = _points(value or "")
    return points is not None and points <= _OFF_SCREEN_PT


def _number(value: str) -> float | None:
    value = value.strip()
    try:
        return float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        return None


def _points(value: str) -> float | None:
    """A CSS length in points (relative units against a 16 px base); None when not a plain length."""
    match = _LENGTH.match(value.strip())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit is None:
        return number * 0.75 if number == 0 else None  # a bare number is only valid as zero
    return number * _POINTS_PER.get(unit, 1.0)


def _color(value: str | None) -> tuple[RGB, float] | None:
    """The first colour in a `color` / `background` value as (rgb, alpha); None when there is none."""
    if not value:
        return None
    import tinycss2
    from tinycss2.color3 import parse_color

    for token in tinycss2.parse_component_value_list(value):
        parsed = parse_color(token)
        if parsed is not None and not isinstance(parsed, str):  # "currentColor" comes back as a string
            return (parsed.red, parsed.green, parsed.blue), parsed.alpha
    return None


def _blend(color: tuple[RGB, float] | None, under: RGB | None) -> RGB | None:
    """A colour with alpha laid over `under`; fully transparent gives `under`, unknown `under` gives None."""
    if color is None:
        return None
    rgb, alpha = color
    if alpha >= 1.0:
        return rgb
    if under is None:
        return None
    return tuple(alpha * c + (1 - alpha) * u for c, u in zip(rgb, under, strict=True))  # type: ignore[return-value]


def _background(style: dict[str, str], parent: RGB | None) -> RGB | None:
    """The background behind an element's text: its own colour over the parent's; None when unknown."""
    shorthand = style.get("background", "")
    if "url(" in shorthand or "gradient(" in shorthand:
        return None  # an image behind the text: its colour is unknown
    own = _color(style.get("background-color") or shorthand)
    return parent if own is None else _blend(own, parent)


def _declarations(css: Any) -> dict[str, str]:
    """The properties of interest in a declaration list (an inline `style` or a rule's body), lower-cased."""
    if not css:
        return {}
    import tinycss2

    out: dict[str, str] = {}
    for node in tinycss2.parse_blocks_contents(str(css), skip_comments=True, skip_whitespace=True):
        if node.type == "declaration" and node.lower_name in _PROPERTIES:
            out[node.lower_name] = tinycss2.serialize(node.value).strip().lower()
    return out


def _stylesheet_styles(soup: Any) -> dict[int, dict[str, str]]:
    """id(element) → the declarations of interest that the page's `<style>` rules give it, in document order."""
    import tinycss2
    from soupsieve import SelectorSyntaxError

    styles: dict[int, dict[str, str]] = {}
    budget = MAX_SELECTORS
    for sheet in soup.find_all("style"):
        for rule in tinycss2.parse_stylesheet(sheet.get_text(), skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue  # @media, @font-face … and parse errors
            declarations = _declarations(tinycss2.serialize(rule.content))
            if not declarations:
                continue
            for selector in tinycss2.serialize(rule.prelude).split(","):
                selector = selector.strip()
                if not selector or _INTERACTIVE.search(selector) or budget <= 0:
                    continue
                budget -= 1
                try:
                    matched = soup.select(selector)
                except (SelectorSyntaxError, NotImplementedError, ValueError):
                    continue
                for tag in matched:
                    styles.setdefault(id(tag), {}).update(declarations)
    return styles
