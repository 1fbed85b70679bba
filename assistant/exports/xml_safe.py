"""Text a Word file can hold: XML 1.0 refuses NUL and most other control characters and lone surrogates, which an
edited draft or a pasted transcript may carry; python-docx raises on them. They are dropped before rendering
(tab, line feed and carriage return are kept)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
M = TypeVar("M", bound=BaseModel)


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def xml_safe(model: M) -> M:
    """A copy of `model` whose every string holds only characters XML allows."""
    return type(model).model_validate(_clean(model.model_dump()))


def xml_safe_data(data: Any) -> Any:
    """The same for plain data (mappings, lists, strings)."""
    return _clean(data)
