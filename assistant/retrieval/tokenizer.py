"""Japanese word tokens for BM25.

Sudachi split mode C, each token replaced by its `normalized_form()` (表記ゆれ folded: 附属→付属,
ＡＢＣ→ABC), particles (助詞), auxiliary verbs (助動詞), punctuation (補助記号) and whitespace dropped,
then lower-cased. This was the best BM25 variant on JSQuAD (see /work/shared/RETRIEVAL-FACTS.md).
The name is recorded in every index manifest: change the recipe → change the name.

Invisible format characters (zero-width spaces, bidirectional controls; `ingest.normalize.strip_invisible`) are
removed before Sudachi sees the text, so `住民\u200b票` is the word 住民票. Indexed search texts never held them
(`normalize_for_search` drops them), so only queries are affected and the name stays.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from core.errors import IndexMismatch
from ingest.normalize import strip_invisible

if TYPE_CHECKING:
    from sudachipy import Dictionary

TOKENIZER_NAME = "sudachi-c-norm-v1"

# Sudachi refuses inputs over 49,149 UTF-8 bytes; longer texts are tokenized piece by piece.
SUDACHI_MAX_BYTES = 49_149
_PIECE_BYTES = 40_000
_DROPPED_POS = [("助詞",), ("助動詞",), ("補助記号",), ("空白",)]


class JapaneseTokenizer:
    """Thread-safe: each thread gets its own Sudachi tokenizer over one shared dictionary."""

    name = TOKENIZER_NAME

    def __init__(self) -> None:
        from sudachipy import Dictionary

        self._dictionary: Dictionary = Dictionary()
        self._dropped = self._dictionary.pos_matcher(_DROPPED_POS)
        self._local = threading.local()

    def _sudachi(self):
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            tok = self._dictionary.tokenizer(mode="C", fields={"pos", "normalized_form"})
            self._local.tokenizer = tok
        return tok

    def tokenize(self, text: str) -> list[str]:
        tok = self._sudachi()
        dropped = self._dropped
        tokens: list[str] = []
        for piece in _pieces(strip_invisible(text)):
            tokens.extend(m.normalized_form().lower() for m in tok.tokenize(piece) if not dropped(m))
        return tokens

    def parts(self, word: str) -> list[str]:
        """A word split into its middle-sized units (Sudachi mode B, normalised as `tokenize`): 交付手数料 →
        交付, 手数料 — what a mode-C compound says when its parts are written apart."""
        tok = getattr(self._local, "splitter", None)
        if tok is None:
            tok = self._dictionary.tokenizer(mode="B", fields={"normalized_form"})
            self._local.splitter = tok
        return [m.normalized_form().lower() for m in tok.tokenize(word)]

    def tokenize_many(self, texts: list[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]


def _pieces(text: str) -> list[str]:
    """The text itself, or pieces of it that Sudachi accepts, cut at line then sentence boundaries."""
    if len(text) * 4 <= SUDACHI_MAX_BYTES or len(text.encode("utf-8")) <= SUDACHI_MAX_BYTES:
        return [text]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        separators=["\n", "。", ""],
        keep_separator="end",
        chunk_size=_PIECE_BYTES,
        chunk_overlap=0,
        length_function=lambda s: len(s.encode("utf-8")),
    )
    return splitter.split_text(text)


@lru_cache(maxsize=1)
def _default_tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer()


def get_tokenizer(name: str = TOKENIZER_NAME) -> JapaneseTokenizer:
    """The process-wide tokenizer for `name` (the name an index manifest records)."""
    if name != TOKENIZER_NAME:
        raise IndexMismatch(
            f"索引は字句解析方式「{name}」で作成されていますが、このバージョンは「{TOKENIZER_NAME}」のみに対応しています。"
            "`yakuba ingest --rebuild` で索引を全件作り直してください。"
        )
    return _default_tokenizer()
