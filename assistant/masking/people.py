"""Japanese personal names, found from the analyser's proper-noun tags and the words around them.

Rules (hand-written: no maintained library labels Japanese names with the precision masking needs; NER
models miss names followed by a title and take place-name surnames for places):
- a run of 人名 tokens with a given name in it (鈴木一郎, 山田 太郎, 花子) or a 姓 followed by an
  honorific or a job title (鈴木様, 佐藤課長) is a name;
- a 姓 alone is a name unless it is glued to a common or proper noun on either side (山田建設,
  株式会社山口製作所: an organisation);
- a place name followed by an honorific or a job title is a surname (千葉様, 長野課長), but not when it
  names a place itself (千葉県, 千葉市長, 千葉銀行);
- a noun the dictionary also lists as a surname or given name (小池, 大橋, 太郎: analysed as a pond, a
  bridge) is a name when an honorific or (for a surname) a job title follows;
- with GiNZA, spans its named-entity model labels `Person` are names too (honorifics trimmed).
The honorific or title stays outside the span: `［氏名1］様` keeps the tone of the text for the model.
"""

from __future__ import annotations

import re

from assistant.masking.analysers import Analysis, Token

HONORIFICS = ("様", "さま", "さん", "氏", "君", "くん", "殿", "ちゃん", "先生")
# Titles written after a name, also with 副 (副課長). Heads of a government (知事, 市長 …) are left out: 千葉市長 is an office.
TITLES = tuple(
    "課長補佐 課長代理 課長 副部長 部長 係長 主任 主査 主事 主幹 参事 室長 所長 "
    "局長 次長 理事 委員長 委員 議長 議員 教授 准教授 医師 弁護士 税理士 社長 "
    "専務 常務 会長 代表 班長 館長 園長 校長 教諭 補佐 担当".split()
)
_AFTER_NAME = re.compile(
    r"[ \u3000]?副?(?:" + "|".join(sorted(HONORIFICS + TITLES, key=len, reverse=True)) + ")"
)
_PLACE_SUFFIX = re.compile(r"[都道府県市区町村郡]$")
_PERSONAL_HONORIFIC = re.compile(r"[ \u3000]?(?:様|さま|さん|氏|君|くん|殿|ちゃん)")
_KANJI_WORD = re.compile(r"[\u4e00-\u9fff々]{2,4}")
_ORGANISATION_TAIL = re.compile(
    r"(?:銀行|会社|組合|協会|法人|大学|学校|病院|医院|商店|事務所|工業|建設|製作所|庁|署|局|省|館|社|所|会|部|課)$"
)
_NAME_JOINERS = (" ", "\u3000", "・")  # 山田 太郎, ジョン・スミス
_HONORIFIC_TAIL = re.compile(r"(?:" + "|".join(HONORIFICS) + r")$")


def _is(token: Token, *tags: str) -> bool:
    return token.pos[1 : 1 + len(tags)] == tags


def _is_noun(token: Token) -> bool:
    return token.pos[0] == "名詞" and token.pos[1] in ("普通名詞", "固有名詞")


def _followed_by_title(text: str, end: int) -> bool:
    return _AFTER_NAME.match(text, end) is not None


def _glued_noun(tokens: list[Token], i: int, step: int, text: str) -> bool:
    """Is token i directly joined to a noun on the side `step` (+1 after, −1 before), other than a title?"""
    j = i + step
    if not 0 <= j < len(tokens):
        return False
    other = tokens[j]
    adjacent = other.start == tokens[i].end if step > 0 else other.end == tokens[i].start
    if not adjacent or not _is_noun(other) or _is(other, "固有名詞", "人名"):
        return False
    if step > 0:
        return not _followed_by_title(text, tokens[i].end)
    return _AFTER_NAME.fullmatch(other.surface) is None and not other.surface.endswith(TITLES)


def _surname_place(token: Token) -> bool:
    """A place name that may be a surname (千葉, 福岡), not an administrative unit (千葉県, 福岡市)."""
    return (
        _is(token, "固有名詞", "地名") and not _PLACE_SUFFIX.search(token.surface) and len(token.surface) <= 4
    )


def _given_name_next(tokens: list[Token], i: int) -> bool:
    """Is token i followed by a given name, directly or after one space (熊本 健二)?"""
    j = i + 1
    if j < len(tokens) and tokens[j].surface in _NAME_JOINERS:
        j += 1
    return j < len(tokens) and _is(tokens[j], "固有名詞", "人名", "名")


def _surname_by_honorific(tokens: list[Token], i: int, text: str) -> bool:
    """A short kanji proper noun the dictionary does not know as a name, followed by 様・さん・氏… (久保田様),
    not an organisation (千葉銀行様, 株式会社ABC様)."""
    token = tokens[i]
    return (
        _is(token, "固有名詞", "一般")
        and _KANJI_WORD.fullmatch(token.surface) is not None
        and _ORGANISATION_TAIL.search(token.surface) is None
        and _PERSONAL_HONORIFIC.match(text, token.end) is not None
        and not _glued_noun(tokens, i, -1, text)
    )


def _name_word_in_context(tokens: list[Token], i: int, text: str, analysis: Analysis) -> bool:
    """A noun the dictionary also lists as a name, used as one: 小池様, 太郎君, 大橋係長 (a title needs a
    surname). One-character words (神様, 奥さん) and words glued to a noun before them are left alone."""
    token = tokens[i]
    if token.pos[0] != "名詞" or token.pos[1] not in ("普通名詞", "固有名詞") or len(token.surface) < 2:
        return False
    if _glued_noun(tokens, i, -1, text):
        return False
    if _PERSONAL_HONORIFIC.match(text, token.end):
        return bool(analysis.name_kinds(token.surface))
    return _followed_by_title(text, token.end) and "姓" in analysis.name_kinds(token.surface)


def find_names(text: str, analysis: Analysis) -> list[tuple[int, int]]:
    """Spans of personal names in `text` (the view the analysis was made from)."""
    tokens = analysis.tokens
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if _is(token, "固有名詞", "人名") or (_surname_place(token) and _given_name_next(tokens, i)):
            j = i + 1  # a run of name tokens, a single space allowed between surname and given name
            while j < len(tokens) and (
                _is(tokens[j], "固有名詞", "人名")
                or (
                    tokens[j].surface in _NAME_JOINERS
                    and j + 1 < len(tokens)
                    and _is(tokens[j + 1], "固有名詞", "人名")
                    and not _is(tokens[j + 1], "固有名詞", "人名", "姓")
                )
            ):
                j += 1
            run = tokens[i:j]
            has_given = any(t.pos[3] != "姓" for t in run if _is(t, "固有名詞", "人名"))
            surname_only = not has_given and len(run) == 1
            if (
                not surname_only
                or _followed_by_title(text, run[-1].end)
                or not (_glued_noun(tokens, i, -1, text) or _glued_noun(tokens, j - 1, 1, text))
            ):
                spans.append((run[0].start, run[-1].end))
            i = j
            continue
        if (
            (_surname_place(token) and _followed_by_title(text, token.end))
            or _surname_by_honorific(tokens, i, text)
            or _name_word_in_context(tokens, i, text, analysis)
        ):
            spans.append((token.start, token.end))
        i += 1
    for start, end in analysis.persons:
        tail = _HONORIFIC_TAIL.search(text, start, end)
        spans.append((start, tail.start() if tail and tail.start() > start else end))
    return spans
