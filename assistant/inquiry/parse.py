"""A pasted 照会文 split into the fields of `ReplyInput`, and 照会内容 split into its numbered questions.

Two layouts are read:

- labelled lines (「件名：…」「照会元：…」「照会日：…」「照会番号：…」「回答期限：…」「所管課：…」「照会内容：」 and
  their variants, also in 【】 brackets); the 照会内容 label takes the lines below it up to the next label;
- an official letter: 文書番号 (「総第123号」, 「事務連絡」) and date at the top, the addressee (…様, …殿, …御中,
  that is us, skipped), the sender, the subject line 「…について（照会）」, the request sentence (its 「○月○日まで」
  is the 回答期限), then 「記」, the questions, and 「以上」 or the 担当 line.

Anything not recognised stays in 照会内容, so nothing pasted is lost; the API and the UI show the split for
correction. Question items: the first numbering style found at the start of a line (1. / 1　/ (1) / （１） / ① /
問1 / 一、 / （一）) splits the text, numbers in sequence only (「3」 inside a sentence does not start an item);
other styles below it (「1」 with 「(1)」「(2)」 under it) stay inside their item. Text without numbering is one item.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from assistant.tasks.reply_models import QuestionItem, ReplyInput
from core.errors import YakubaError
from core.wareki import find_dates, parse_date

EMPTY = "照会文が空です。照会内容を入力してください。"

_KANJI = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_D = "[0-9０-９]{1,2}"
_K = "[一二三四五六七八九十]{1,3}"
# numbering styles at the start of a line: (name, pattern with the number in group 1)
STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("問", re.compile(rf"^問\s*({_D}|{_K})\s*[.．:：、)）]?\s*")),
    ("paren", re.compile(rf"^[(（]\s*({_D})\s*[)）]\s*")),
    ("kanji_paren", re.compile(rf"^[(（]\s*({_K})\s*[)）]\s*")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
    ("digit", re.compile(rf"^({_D})\s*(?:[.．、)）](?![0-9０-９])|[ 　\t]+)\s*")),
    ("kanji", re.compile(rf"^({_K})\s*(?:[、．.]|[ 　\t]+)\s*")),
]
# a marker inside a line after 。 or a space starts a new line (「…か。(2)…か。」)
_INLINE = re.compile(rf"(?<=[。？?\s　])(?=[(（]\s*{_D}\s*[)）]|[①-⑳]|問\s*[0-9０-９])")

LABELS: dict[str, tuple[str, ...]] = {
    "subject": ("件名", "表題", "題名", "標題"),
    "sender": ("照会元", "照会者", "照会団体", "発信者", "差出人"),
    "sender_section": ("照会元の課", "照会課"),
    "asked_on": ("照会日", "照会年月日", "発信日"),
    "reference": ("照会番号", "文書番号", "発信番号"),
    "due_on": ("回答期限", "回答期日", "提出期限", "回答締切"),
    "section": ("所管課", "担当課", "回答課"),
    "content": ("照会内容", "照会事項", "質問内容", "質問", "内容"),
}
_LABEL_OF = {alias: name for name, aliases in LABELS.items() for alias in aliases}
_ALIASES = "|".join(sorted(_LABEL_OF, key=len, reverse=True))
_LABEL_LINE = re.compile(rf"^\s*(?:【\s*({_ALIASES})\s*】|({_ALIASES})\s*[：:])\s*(.*)$")
_NUMBER_LINE = re.compile(r"^(?:\S{0,12}第\s*[0-9０-９一二三四五六七八九十百千]+\s*号|事務連絡)$")
_ADDRESSEE = re.compile(r"(?:様|殿|御中)$")
_SUBJECT = re.compile(r"[（(]\s*(?:照会|依頼|調査|お願い|照会依頼)\s*[)）]$")
_SEAL = re.compile(r"[（(]\s*公印(?:省略|略)\s*[)）]")
_CONTACT = re.compile(r"^[（(【\[]?\s*(?:担当|問合せ先|問い合わせ先|連絡先)")
_DUE = re.compile(r"まで|迄")
_MONTH_DAY = re.compile(r"([0-9０-９]{1,2})\s*月\s*([0-9０-９]{1,2})\s*日")


def _number(token: str) -> int:
    token = unicodedata.normalize("NFKC", token)
    if token.isdigit():
        return int(token)
    if token in "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳" and token:
        return ord(token) - ord("①") + 1
    if token.startswith("十"):
        return 10 + _KANJI.get(token[1:], 0)
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _KANJI.get(tens, 1) * 10 + _KANJI.get(ones, 0)
    return _KANJI.get(token, 0)


def _label(style: str, raw: str) -> str:
    token = unicodedata.normalize("NFKC", raw)
    return {"問": f"問{token}", "paren": f"({token})", "kanji_paren": f"（{raw}）", "circled": raw}.get(
        style, token
    )


def _marker(line: str) -> tuple[str, int, str, str] | None:
    """(style, number, label, rest of the line) when the line starts with an item marker."""
    for style, pattern in STYLES:
        match = pattern.match(line)
        if match:
            return style, _number(match.group(1)), _label(style, match.group(1)), line[match.end() :]
    return None


def split_items(content: str) -> tuple[str, list[QuestionItem]]:
    """(preamble, items): the text before the first item (context such as 「次の点について伺います。」) and one
    QuestionItem per top-level numbered question; unnumbered text is one item 「1」 and no preamble."""
    lines = [line.strip() for line in _INLINE.sub("\n", content).splitlines()]
    style: str | None = None
    expected = 0
    preamble: list[str] = []
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        found = _marker(line) if line else None
        if found and (style is None or (found[0] == style and found[1] == expected)):
            style, expected = found[0], found[1] + 1
            items.append((found[2], [found[3].strip()] if found[3].strip() else []))
        elif items:
            if line:
                items[-1][1].append(line)
        elif line:
            preamble.append(line)
    if not items:
        text = "\n".join(preamble).strip()
        return "", [QuestionItem(number="1", text=text)] if text else []
    result = [QuestionItem(number=label, text="\n".join(body).strip()) for label, body in items]
    return "\n".join(preamble), [item for item in result if item.text]


def _date(value: str, near: date | None = None) -> date | None:
    iso = parse_date(value) or next(iter(find_dates(value)), None)
    if iso:
        return date.fromisoformat(iso)
    match = _MONTH_DAY.search(unicodedata.normalize("NFKC", value))
    if not match:
        return None
    base = near or date.today()
    month, day = int(match.group(1)), int(match.group(2))
    try:
        found = date(base.year, month, day)
        return found if found >= base else date(base.year + 1, month, day)
    except ValueError:
        return None


def _labelled(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Labelled fields and the lines no label took; 照会内容 takes the lines below it up to the next label."""
    fields: dict[str, str] = {}
    rest: list[str] = []
    current: str | None = None
    body: list[str] = []
    for line in lines:
        match = _LABEL_LINE.match(line)
        if match:
            name = _LABEL_OF[match.group(1) or match.group(2)]
            current = name if name == "content" else None
            value = match.group(3).strip()
            if name == "content":
                body = [value] if value else []
            elif value and name not in fields:
                fields[name] = value
        elif current == "content":
            body.append(line)
        else:
            rest.append(line)
    if body:
        fields["content"] = "\n".join(body).strip()
    return fields, rest


def _letter(lines: list[str]) -> dict[str, str]:
    """The fields of an official letter layout (see the module docstring); {} when no subject line is found."""
    stripped = [unicodedata.normalize("NFKC", line).strip() for line in lines]
    at = next((i for i, s in enumerate(stripped) if _SUBJECT.search(s)), None)
    if at is None:
        at = next((i for i, s in enumerate(stripped[:15]) if s.endswith("について") and len(s) <= 60), None)
    if at is None:
        return {}
    fields = {"subject": _SUBJECT.sub("", lines[at].strip()).strip()}
    for raw, s in zip(lines[:at], stripped[:at], strict=True):
        line = _SEAL.sub("", raw).strip()
        if not line:
            continue
        if _NUMBER_LINE.match(s) and "reference" not in fields:
            fields["reference"] = raw.strip()
        elif parse_date(s) and "asked_on" not in fields:
            fields["asked_on"] = s
        elif not _ADDRESSEE.search(s):
            fields["sender"] = line  # the last such line above the subject
    body = lines[at + 1 :]
    mark = next(
        (i for i, line in enumerate(body) if unicodedata.normalize("NFKC", line).strip() == "記"), None
    )
    request, questions = (body[:mark], body[mark + 1 :]) if mark is not None else ([], body)
    kept: list[str] = []
    for line in questions:
        s = line.strip()
        if s == "以上" or _CONTACT.match(s):
            break
        kept.append(line)
    if mark is None:  # no 記: the request paragraph (「標記の件について…照会します。」) is not a question
        while kept and (not kept[0].strip() or "標記" in kept[0] or "照会します" in kept[0]):
            request.append(kept.pop(0))
    asked = _date(fields["asked_on"]) if "asked_on" in fields else None
    for sentence in re.split(r"(?<=[。])", "".join(line.strip() for line in request)):
        if _DUE.search(sentence) and (due := _date(sentence, asked)):
            fields["due_on"] = due.isoformat()
    fields["content"] = "\n".join(kept).strip()
    return fields


def parse_inquiry(text: str, **overrides: object) -> ReplyInput:
    """A pasted 照会文 as a ReplyInput; `overrides` (non-empty values) win over what was read from the text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields, rest = _labelled(lines)
    if "content" not in fields:
        letter = _letter(rest)
        fields = {**letter, **fields} if letter.get("content") else fields
    if "content" not in fields:
        fields["content"] = "\n".join(rest).strip()
    data: dict[str, object] = {k: v for k, v in fields.items() if k not in ("asked_on", "due_on")}
    asked = _date(fields["asked_on"]) if fields.get("asked_on") else None
    data["asked_on"] = asked
    data["due_on"] = _date(fields["due_on"], asked) if fields.get("due_on") else None
    data.update({k: v for k, v in overrides.items() if v not in (None, "")})
    if not str(data.get("content") or "").strip():
        raise YakubaError(EMPTY)
    return ReplyInput(**data)
