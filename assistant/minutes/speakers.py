"""Speaker lines of plain-text transcripts, and what a speaker's name says about their role.

Forms recognised at the start of a line (full-width and half-width punctuation alike):

- assembly records: 「○議長（山田太郎君）　ただいまから…」 (also ◯ 〇 ◎; the text may follow on the next line);
- 「山田：本日は…」「山田 太郎: …」 (a short name, then a colon);
- 「【山田】本日は…」 (text on the same or the next line);
- Markdown: 「**山田**：…」「**山田：**…」, and the same after a list bullet 「- 」.

Header lines such as 「日時：令和7年4月1日」 are meeting metadata, not speakers (`METADATA_KEYS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNKNOWN_SPEAKER = "発言者不明"

# Metadata header keys → MinutesInput field (a line 「日時：…」 before or between turns is metadata).
METADATA_KEYS: dict[str, str] = {
    "会議名": "title", "件名": "title", "会議": "title", "日時": "held_on", "開催日時": "held_on",
    "日付": "held_on", "開催日": "held_on", "場所": "place", "開催場所": "place", "会場": "place",
    "出席者": "attendees", "参加者": "attendees", "出席": "attendees", "議題": "agenda", "案件": "agenda",
}  # fmt: skip

_NAME = r"[^\s:：。、，,「」『』【】（）()\[\]<>＜＞?？!！]{1,20}?"
_ASSEMBLY = (
    re.compile(r"^[○◯〇◎][\s　]*(?P<name>[^\s（(　]{1,30}?[（(][^）)]{1,30}[）)])[\s　]*(?P<rest>.*)$"),
    re.compile(r"^[○◯〇◎][\s　]*(?P<name>[^\s（(　]{1,30})(?:[\s　]+(?P<rest>.*))?$"),
)
_BRACKET = re.compile(r"^【(?P<name>[^】]{1,30})】[\s　]*(?P<rest>.*)$")
_COLON = re.compile(rf"^(?P<name>{_NAME}(?:[ 　]{_NAME})?)[ 　]*[:：][ 　]*(?P<rest>.*)$")
_BOLD = re.compile(r"^\*\*(?P<name>[^*]{1,30}?)[ 　]*(?:[:：])?\*\*[ 　]*[:：]?[ 　]*(?P<rest>.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+・]|\d+[.)])\s+")
_URL_LIKE = re.compile(r"^(?:https?|ftp|mailto)$", re.I)
_TIME_LIKE = re.compile(r"^\d{1,2}$")

CHAIR_ROLES = (
    "議長",
    "副議長",
    "委員長",
    "副委員長",
    "座長",
    "会長",
    "部会長",
    "司会",
    "進行",
    "ファシリテーター",
)


@dataclass(frozen=True)
class SpeakerLine:
    speaker: str
    rest: str  # text after the speaker mark on the same line ("" when it starts on the next line)


def parse_speaker_line(line: str) -> SpeakerLine | None:
    """The speaker and the text after the mark when `line` opens a turn, else None."""
    stripped = line.strip()
    if not stripped:
        return None
    match = _ASSEMBLY[0].match(stripped) or _ASSEMBLY[1].match(stripped)
    if match:
        return SpeakerLine(match["name"], (match["rest"] or "").strip())
    match = _BRACKET.match(stripped)
    if match:
        return SpeakerLine(match["name"].strip(), match["rest"].strip())
    unbulleted = _BULLET.sub("", stripped)
    match = _BOLD.match(unbulleted)
    if match and match["name"].strip():
        return SpeakerLine(match["name"].strip(), match["rest"].strip())
    match = _COLON.match(unbulleted)
    clock = match and match["name"][-1:].isdigit() and match["rest"][:1].isdigit()  # 「10:30」 is a time
    if match and not clock and _plausible_name(match["name"]):
        return SpeakerLine(match["name"].strip(), match["rest"].strip())
    return None


def _plausible_name(name: str) -> bool:
    name = name.strip()
    return (
        bool(name) and not _URL_LIKE.match(name) and not _TIME_LIKE.match(name) and name not in METADATA_KEYS
    )


def metadata_line(line: str) -> tuple[str, str] | None:
    """(MinutesInput field, value) for a header line 「日時：令和7年4月1日」, else None."""
    match = re.match(r"^[\s　]*(?:[-*・]\s*)?(?:\*\*)?([^\s:：*]{2,6})(?:\*\*)?[ 　]*[:：][ 　]*(.+)$", line)
    if match and match[1] in METADATA_KEYS and match[2].strip():
        return METADATA_KEYS[match[1]], match[2].strip()
    return None


def is_chair(speaker: str) -> bool:
    """True for the meeting's chair (議長, 委員長, 座長, 会長, 司会 …), whatever the name in brackets."""
    role = re.split(r"[（(]", speaker, maxsplit=1)[0].strip()
    return role.endswith(CHAIR_ROLES)


def display_name(speaker: str) -> str:
    """A speaker as shown in lists: 「議長（石川良一君）」 stays; surrounding spaces and ○ marks go."""
    return speaker.strip().lstrip("○◯〇◎").strip()


def person_of(speaker: str) -> str:
    """The person inside an assembly label: 「議長（石川良一君）」 → 「石川良一」; other names unchanged."""
    match = re.search(r"[（(]([^）)]+?)(?:君|さん|氏|委員|議員)?[）)]$", speaker)
    return match[1].strip() if match else display_name(speaker)
