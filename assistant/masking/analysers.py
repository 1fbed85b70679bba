"""Japanese morphological analysis for the name and address detectors, loaded on first use.

Two analysers, chosen by `Settings.masking_analyser`:
- "sudachi" (default): SudachiPy with SudachiDict-core, split mode C. Its part-of-speech tags mark
  proper nouns as 人名 (姓 / 名) and 地名, and mode C keeps a whole place name (千葉県千葉市中央区市場町)
  in one token. About 0.2 ms a sentence.
- "ginza": GiNZA's spaCy pipeline (ja_ginza). Its tokens carry the same Sudachi tags, and its named-entity
  model adds `Person` spans the tag rules may miss; about 100× slower (see benchmarks/masking_pii.py).

Both import lazily (the CLI starts without them) and are shared by the process behind a lock (a Sudachi
tokenizer is not safe to use from two threads at once).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# Sudachi refuses inputs over ~49,000 bytes; texts are analysed in pieces cut after a line break or 。.
_PIECE_CHARS = 4000
_PIECE_END = re.compile(r"[\n。！？]")


@dataclass(frozen=True)
class Token:
    surface: str
    start: int
    end: int
    pos: tuple[str, ...]  # Sudachi part of speech, e.g. ("名詞", "固有名詞", "人名", "姓", "*", "*")


@dataclass(frozen=True)
class Analysis:
    tokens: list[Token]
    persons: list[tuple[int, int]]  # spans a named-entity model labelled as a person (GiNZA only)
    # {"姓", "名"} ∩ what the dictionary also lists the word as: 小池 and 大橋 are analysed as common nouns
    # (a pond, a bridge) but are surnames too.
    name_kinds: Callable[[str], frozenset[str]]


class _NameLexicon:
    """Which name kinds (姓 / 名) SudachiDict-core lists for a word, whatever reading the analysis chose."""

    def __init__(self, dictionary: Any) -> None:
        self._dictionary = dictionary
        self._known: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, surface: str) -> frozenset[str]:
        with self._lock:
            kinds = self._known.get(surface)
            if kinds is None:
                entries = self._dictionary.lookup(surface)
                kinds = frozenset(m.part_of_speech()[3] for m in entries if m.part_of_speech()[2] == "人名")
                self._known[surface] = kinds
            return kinds


class Analyser(Protocol):
    def analyse(self, text: str) -> Analysis: ...


def _pieces(text: str) -> list[tuple[int, str]]:
    """(offset, piece) with pieces of at most _PIECE_CHARS characters, cut at sentence ends where possible."""
    out = []
    start = 0
    while start < len(text):
        end = min(len(text), start + _PIECE_CHARS)
        if end < len(text):
            cut = max((m.end() for m in _PIECE_END.finditer(text, start, end)), default=end)
            end = cut if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


class SudachiAnalyser:
    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode

        dictionary = Dictionary(dict="core")
        self._tokenizer = dictionary.tokenizer(SplitMode.C)
        self._lexicon = _NameLexicon(dictionary)
        self._pos: dict[int, tuple[str, ...]] = {}  # part-of-speech id → tags
        self._lock = threading.Lock()

    def analyse(self, text: str) -> Analysis:
        tokens = []
        with self._lock:
            for offset, piece in _pieces(text):
                for m in self._tokenizer.tokenize(piece):
                    pos = self._pos.get(m.part_of_speech_id())
                    if pos is None:
                        pos = self._pos[m.part_of_speech_id()] = tuple(m.part_of_speech())
                    tokens.append(Token(m.surface(), offset + m.begin(), offset + m.end(), pos))
        return Analysis(tokens, [], self._lexicon)


class GinzaAnalyser:
    def __init__(self) -> None:
        import spacy
        from sudachipy import Dictionary

        self._lexicon = _NameLexicon(Dictionary(dict="core"))
        self._nlp = spacy.load("ja_ginza", disable=["parser", "bunsetu_recognizer", "compound_splitter"])
        self._lock = threading.Lock()

    def analyse(self, text: str) -> Analysis:
        tokens: list[Token] = []
        persons: list[tuple[int, int]] = []
        with self._lock:
            for offset, piece in _pieces(text):
                doc = self._nlp(piece)
                for t in doc:
                    # Sudachi's tags joined by "-"; padded with "*" as Sudachi pads them
                    pos = (*t.tag_.split("-"), "*", "*", "*", "*")[:6]
                    tokens.append(Token(t.text, offset + t.idx, offset + t.idx + len(t.text), pos))
                persons.extend(
                    (offset + e.start_char, offset + e.end_char) for e in doc.ents if e.label_ == "Person"
                )
        return Analysis(tokens, persons, self._lexicon)


_ANALYSERS = {"sudachi": SudachiAnalyser, "ginza": GinzaAnalyser}
_LOADED: dict[str, Analyser] = {}
_LOAD_LOCK = threading.Lock()


def get_analyser(name: str) -> Analyser:
    """The shared analyser `name` ("sudachi" or "ginza"), built on first use."""
    with _LOAD_LOCK:
        if name not in _LOADED:
            if name not in _ANALYSERS:
                raise ValueError(f"unknown masking analyser {name!r}; use one of {', '.join(_ANALYSERS)}")
            _LOADED[name] = _ANALYSERS[name]()
        return _LOADED[name]
