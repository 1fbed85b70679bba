"""Sentence patterns of meetings: questions, decisions, action items (担当・期限), the next meeting, the chair's
agenda announcements, and the lines that are not speech (stage directions, roll calls).

Everything returned is a substring of what was said: a decision is the sentence that states it, an action's owner
and due date are the words that named them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.sentences import split_sentences

# 〔「異議なし」と呼ぶ者あり〕, （拍手）, （別冊参照）, 〔知事小池百合子君登壇〕: record notes, not speech.
_NOTE_LINE = re.compile(r"^[\s　]*(?:〔[^〕]*〕|（[^）]*）|\([^)]*\)|［[^］]*］|\[[^\]]*\])[\s　]*$")
_NOTE = re.compile(r"〔[^〕]*〕|（(?:拍手|笑声|発言する者あり|[^）]{0,20}参照)[^）]*）")

QUESTION_ENDINGS = re.compile(
    r"(?:か[。？?]|伺います|伺いたい|お伺いいたします|お伺いします|お聞きします|お聞きしたい|お尋ねします|"
    r"お答えください|ご答弁ください|答弁を求めます|所見を求めます|見解を求めます|教えてください|でしょうか)"
    r"[。？?」]*$"
)
_NOT_QUESTION = re.compile(r"(?:ご異議ありませんか|ございませんか|よろしいですか|ありませんか)[。？?]*$")

DECISION = re.compile(
    r"(?:することとした|こととした|することとなった|こととなった|ことに決定|を決定した|を決定しました|と決定|"
    r"決定いたしました|決定しました|決まりました|可決されました|可決しました|承認されました|承認しました|"
    r"採択されました|同意されました|とする。|とします。|こととする|こととします|ことにします|ことといたします)"
)
_DECISION_NEG = re.compile(
    r"(?:ようとする|としても|とすれば|とすると|とするなら|とする場合|とするか|とする必要)"
)

_DUE = re.compile(
    r"(?P<due>[^、。「」\sはがを]{0,14}?(?:日|月|週|年|年度|度|末|中|内|次回|明日|明後日|今日|本日|午前|午後|時|曜)まで)に"
)
_OWNER_GA = re.compile(
    r"(?:^|[、。\s]|までに)(?P<owner>[^、。「」\s]{1,15}?)(?:が|の方で|の方から|において)(?:[^、。]{0,30}?)"
    r"(?P<verb>対応|確認|作成|提出|報告|連絡|検討|準備|調整|整理|送付|共有|修正|回答|手配|取りまとめ|集約|作る)"
)
_ASK = re.compile(
    r"(?P<owner>[^、。「」\s]{1,15}?)(?:さん|課長|部長|係長|室長|担当)?に(?:は)?(?:[^、。]{0,30}?)(?:お願いします|お願いいたします|お願いしたい)"
)
_ACTION_VERBS = re.compile(
    r"(?:対応する|対応します|対応いたします|いたします。|します。|してください|お願いします|お願いいたします|"
    r"提出する|報告する|作成する|確認する|連絡する|送付する|共有する|ことになった|宿題)"
)
NEXT_MEETING = re.compile(r"次回")
_NEXT_DETAIL = re.compile(r"(?:\d|[０-９一二三四五六七八九十]+|月|日|曜|開催|予定|時|場所)")

AGENDA_CALL = re.compile(
    r"^(?:(?:次に|まず|続いて|これより|ただいまから)[、，]?)?(?P<title>.+?)を(?:一括して)?議題と(?:いた)?します"
)
_DAY_ITEM = re.compile(
    r"^(?:(?:次に|まず|続いて)[、，]?)?(?P<title>(?:追加)?日程第[一二三四五六七八九十百〇0-9０-９]+.*?)(?:を|について|に入|[。]|$)"
)
# 「次に、警視総監より、都内の治安状況について発言の申し出がありますので、これを許します。」
_FLOOR_GIVEN = re.compile(
    r"^(?:(?:この際|次に|まず|続いて)[、，])?(?:[^、。]{1,30}より[、，]?)?(?P<title>[^、。]{2,60}?)について"
    r"(?:発言の申し出があります|説明を求めます|報告を求めます|ご報告いたします|報告いたします)"
)
_LEADING = re.compile(
    r"^(?:そこで|次に|また|さらに|まず|初めに|はじめに|最後に|一方|なお|しかし|ところで|では|それでは|さて|"
    r"そして|加えて|よって|したがいまして|つきましては|特に|あわせて|併せて|続いて|その上で|このため|したがって|ついては)[、，]\s*"
)


def speech_lines(text: str) -> list[str]:
    """The lines of a turn that are speech (record notes left out, and notes inside a line removed)."""
    lines = []
    for line in text.split("\n"):
        if not line.strip() or _NOTE_LINE.match(line):
            continue
        cleaned = _NOTE.sub("", line).strip(" 　")
        if cleaned:
            lines.append(cleaned)
    return lines


def sentences_of(text: str) -> list[str]:
    """The speech sentences of a turn, in order."""
    out: list[str] = []
    for line in speech_lines(text):
        out.extend(s.strip(" 　") for s in split_sentences(line) if s.strip(" 　"))
    return out


def without_lead(sentence: str) -> str:
    """The sentence without a leading connective (「そこで、」「次に、」); the words kept are as said."""
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _LEADING.sub("", sentence)
    return sentence


def is_question(sentence: str) -> bool:
    return bool(QUESTION_ENDINGS.search(sentence)) and not _NOT_QUESTION.search(sentence)


def is_decision(sentence: str) -> bool:
    return (
        bool(DECISION.search(sentence)) and not _DECISION_NEG.search(sentence) and not is_question(sentence)
    )


@dataclass(frozen=True)
class ActionMatch:
    task: str
    owner: str
    due: str


def action_of(sentence: str) -> ActionMatch | None:
    """An action item when the sentence assigns one (「来週までに総務課が資料を作成する」), with the owner and
    due date as said (empty when not said)."""
    if is_question(sentence):
        return None
    due = _DUE.search(sentence)
    owner = _OWNER_GA.search(sentence)
    asked = _ASK.search(sentence)
    if not (due or owner or asked) or not _ACTION_VERBS.search(sentence):
        return None
    if not due and not asked and not re.search(r"(?:する|します|いたします)。?$", sentence):
        return None
    who = owner["owner"] if owner else (asked["owner"] if asked else "")
    who = who.rsplit("までに", 1)[-1]
    if "まで" in who:
        who = ""
    return ActionMatch(task=sentence, owner=who, due=due["due"] if due else "")


def next_meeting_of(sentence: str) -> bool:
    return (
        bool(NEXT_MEETING.search(sentence))
        and bool(_NEXT_DETAIL.search(sentence))
        and not is_question(sentence)
    )


def agenda_title(sentence: str) -> str | None:
    """The item a chair's sentence announces (「日程第一、第一号議案…を議題といたします」), else None."""
    sentence = sentence.strip()
    match = AGENDA_CALL.match(sentence)
    if match:
        return match["title"].strip("、， 　")
    match = _DAY_ITEM.match(sentence)
    if match and len(match["title"]) >= 4:
        return match["title"].strip("、， 　")
    match = _FLOOR_GIVEN.match(sentence)
    if match:
        return match["title"].strip("、， 　")
    return None
