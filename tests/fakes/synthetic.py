"""Deterministic fake content shared by the fake model servers: replies, token counts, vectors."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata

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
