"""Deterministic fake content shared by the fake model servers: replies, structured objects, token
counts, vectors."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import Any

FALLBACK_SENTENCE = "お問い合わせの件は、所定の手続により処理することとされています"

# Where a prompt marks its first source: "[1] …", "<document …>…", "<source …>…".
_FIRST_SOURCE_MARKER = re.compile(r"\[1\]|<(?:document|source)\b[^>]*>")
_SENTENCE_END = re.compile(r"[。．！？!?]|\.\s")
_MAX_SENTENCE_CHARS = 120


def estimate_tokens(text: str) -> int:
    """A stable token estimate: about two characters per token (Japanese-heavy text), at least 1."""
    return max(1, math.ceil(len(text) / 2))


def first_sentence(text: str) -> str | None:
    """The first sentence of `text` without its closing punctuation, whitespace collapsed."""
    flat = " ".join(text.split())
    if not flat:
        return None
    end = _SENTENCE_END.search(flat)
    sentence = flat[: end.start()] if end else flat
    sentence = sentence.strip()[:_MAX_SENTENCE_CHARS]
    return sentence or None


def first_source_sentence(prompt_text: str) -> str | None:
    """The first sentence after the first source marker in a prompt, if the prompt has one."""
    marker = _FIRST_SOURCE_MARKER.search(prompt_text)
    if marker is None:
        return None
    return first_sentence(prompt_text[marker.end() :])


def cited_reply(source_sentence: str | None) -> str:
    """The default fake answer: Japanese, quoting the first source and citing it as [1]."""
    sentence = source_sentence or FALLBACK_SENTENCE
    return f"（フェイク応答）資料によれば、「{sentence}」とされています。[1]"


def split_deltas(text: str, size: int = 8) -> list[str]:
    """Cut a reply into streaming deltas of `size` characters (at least one delta)."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def hashed_embedding(text: str, dimensions: int, normalize: bool = True) -> list[float]:
    """A deterministic vector: signed hashing of character unigrams and bigrams.

    Texts sharing many characters and character pairs get close vectors, which is enough for
    retrieval tests to rank an obviously matching passage first. NFKC and lower-casing make
    full-width/half-width variants agree. An empty text gives the zero vector.
    """
    folded = "".join(unicodedata.normalize("NFKC", text).lower().split())
    grams = list(folded) + [folded[i : i + 2] for i in range(len(folded) - 1)]
    vector = [0.0] * dimensions
    for gram in grams:
        digest = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")
        vector[digest % dimensions] += 1.0 if (digest >> 63) else -1.0
    if not normalize:
        return vector
    norm = math.sqrt(math.fsum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector


_MAX_SCHEMA_DEPTH = 8


def object_for_schema(schema: dict[str, Any], text: str) -> Any:
    """A value satisfying a (pydantic-generated) JSON schema, for unscripted structured replies.

    Every property is filled (required or not): strings with `text`, numbers with 0, booleans with
    false, arrays with one item, enums and consts with their first value, `anyOf`/`oneOf` with the
    first non-null branch; `$ref`s into `$defs`/`definitions` are followed. Formats and numeric or
    length bounds are honoured only as far as `minimum`, `minItems` and the `date`/`date-time` formats.
    """
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
    return _value_for(schema, text, defs, 0)


def _value_for(schema: dict[str, Any], text: str, defs: dict[str, Any], depth: int) -> Any:
    if depth > _MAX_SCHEMA_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _value_for(defs.get(ref.rsplit("/", 1)[-1], {}), text, defs, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        branches = [b for b in schema.get(key) or [] if b.get("type") != "null"]
        if branches:
            return _value_for(branches[0], text, defs, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        return {
            name: _value_for(sub, text, defs, depth + 1)
            for name, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems") or 0))
        return [_value_for(schema.get("items") or {}, text, defs, depth + 1) for _ in range(count)]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2025-04-01"
        if fmt == "date-time":
            return "2025-04-01T09:00:00+09:00"
        return text
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(0, low + (1 if "exclusiveMinimum" in schema else 0))
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return text
