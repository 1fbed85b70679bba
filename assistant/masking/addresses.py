"""Street addresses: a place name from the analyser followed by a block number.

A street address is what locates a household: 都道府県 + 市区町村 + 町域 + 番地 / 丁目 / 号, also without
the prefecture (横浜市中区本町6-50-10) or the municipality (霞が関1-3-1). Sudachi's split mode C keeps the
place part in one or a few 地名 tokens (千葉県千葉市中央区市場町); the number part (一丁目3番1号, 6-50-10,
北1条西2丁目, 978番6, 103番地の2) is matched on the folded view, where kanji digits are digits.
A place name without a block number (東京都, 千代田区内, 横浜市と川崎市) is not a street address and is kept.

Hand-written: address parsers on PyPI (e.g. japanese-address-parser-py) normalise an address already cut
out of a text; none finds where an address starts and ends inside a sentence.
"""

from __future__ import annotations

import re

from assistant.masking.analysers import Analysis, Token
from assistant.masking.view import View

_N = r"[0-9十百千]+"
_PART = _N + r"(?:丁目|番地|番町|番|号|条(?:通|[東西南北])?|地割)?"  # 条通: Hokkaido (旭川市6条通9丁目)
# A town part the analyser did not tag (北 in 北1条), then block numbers joined by units, `-` or `の`.
_BLOCK = re.compile(
    r"(?P<town>(?:(?!第)[\u4e00-\u9fff々ヶケァ-ヴー]){0,6}?)[ ]?"
    r"(?P<block>" + _PART + r"(?:(?:-|の)?" + _PART + r")*)(?![線])"
)  # 第 and 線 mark a document or a line, never an address: 東京都条例第1号, 横浜市営地下鉄3号線
_STRUCTURED = re.compile(r"丁目|番|号|条|地割|\d-\d")
# Kyoto's street directions between the ward and the town: 寺町通御池上る, 烏丸通七条下る, 今出川通烏丸東入
_KYOTO_WAY = re.compile(r"[^\s、。,()「」]{1,20}?(?:[上下]る|[上下]ル|[東西]入[るル]?)")
_ADMIN = re.compile(r"[都道府県市区町村郡]")


def _is_place(token: Token) -> bool:
    """A 地名 token, or a proper noun that holds an administrative unit (名古屋市中村区名駅)."""
    if token.pos[1] != "固有名詞":
        return False
    return token.pos[2] == "地名" or (token.pos[2] == "一般" and _ADMIN.search(token.surface) is not None)


def find_addresses(view: View, analysis: Analysis) -> list[tuple[int, int]]:
    """Spans of street addresses in the view."""
    tokens = analysis.tokens
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if not _is_place(tokens[i]):
            i += 1
            continue
        j = i + 1  # adjacent place tokens make one run (東京都 + 千代田区霞が関 …)
        while j < len(tokens) and _is_place(tokens[j]) and tokens[j].start == tokens[j - 1].end:
            j += 1
        match = _BLOCK.match(view.digits, tokens[j - 1].end)
        if match and _STRUCTURED.search(match.group("block")):
            start = _kyoto_start(view.text, tokens, i)
            if spans and start < spans[-1][1]:  # took in an earlier detection (烏丸通七条 before 下る)
                start = min(start, spans.pop()[0])
            spans.append((start, match.end()))
            while j < len(tokens) and tokens[j].start < match.end():
                j += 1
        i = j
    return spans


def _kyoto_start(text: str, tokens: list[Token], i: int) -> int:
    """Where an address whose town is token i starts, taking in a Kyoto street direction before the town."""
    for k in range(i - 1, max(-1, i - 8), -1):
        if _is_place(tokens[k]) and _ADMIN.search(tokens[k].surface):
            if _KYOTO_WAY.fullmatch(text, tokens[k].end, tokens[i].start):
                return tokens[k].start
            break
    return tokens[i].start
