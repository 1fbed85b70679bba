"""Assembling the official reply (回答文書): its frame from the inquiry and the settings, the numbered answers of
記 (offline: quoted from past answers and policy text), its 根拠, 要確認事項 and 機密性.

Honorific of the addressee (宛先), one rule:
- already addressed (ends with 様, 殿 or 御中) → as written;
- a post or a person (ends with 長, 官, 監, 事 such as 知事, or written with a personal name after a space) →
  「○○　様」 (「つばさ町総務課長　様」);
- a body (ends with 都, 道, 府, 県, 市, 区, 町, 村) → its head: 「つばさ町長　様」, 「東京都知事　様」;
- a section or office (課, 室, 係, 局, 部, 所, センター, 委員会, 事務所 …) → 「○○　御中」;
- anything else → 「○○　様」.
The 照会元の課 (sender_section), when given, is written after the body and the rule applies to the whole.

Offline answers never add a claim: each item quotes the sentences the extractive selector
(`assistant.extractive.extract`) picks from the item's own sources, each followed by its `[n]`. An item without a
supporting source is 要確認 with an empty answer and a note saying so.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from assistant.tasks.reply_models import AnswerItem, QuestionItem, ReplyDraft, ReplyInput, ReplySource
from core.wareki import parse_date, to_wareki
from ingest.loaders.records import ANSWER, ANSWERED, ASKED

if TYPE_CHECKING:
    from assistant.config import Settings
    from core.model import Chunk

UNSUPPORTED = "検索対象の資料及び過去の回答に、この照会事項を裏付ける記載が見当たりません。所管課で確認の上、回答を記入してください。"
PAST_ONLY = "過去の回答に基づく記載です。現在の取扱いと一致するか確認してください。"
NO_SUBJECT = "照会事項"
QUOTE_CHARS = 200  # characters of a source shown under 根拠
WHOLE_ANSWER_CHARS = 400  # a past answer quoted whole up to this length

_ADDRESSED = re.compile(r"(?:様|殿|御中)$")
_POST = re.compile(r"(?:長|官|監|知事|委員|議員|理事|顧問|担当)$|\s\S+$|[）)]$")
_BODY = re.compile(r"(?:都|道|府|県|市|区|町|村)$")
_HEADS = {"都": "知事", "道": "知事", "府": "知事", "県": "知事"}
_SECTION = re.compile(r"(?:課|室|係|局|部|所|班|センター|委員会|事務局|本部|協議会|会|庁|省|機構|グループ)$")
_SUBJECT_TAIL = re.compile(r"(?:について)?\s*[（(]\s*(?:照会|依頼|調査|お願い|照会依頼)\s*[)）]\s*$")


def addressee(sender: str, sender_section: str = "") -> str:
    """宛先 with its honorific (see the module docstring); 「ご照会元　様」 when the sender is unknown."""
    name = f"{sender.strip()}{sender_section.strip()}".strip()
    if not name:
        return "ご照会元　様"
    if _ADDRESSED.search(name):
        return name
    if _POST.search(name):
        return f"{name}　様"
    if _BODY.search(name):
        return f"{name}{_HEADS.get(name[-1], '長')}　様"
    if _SECTION.search(name):
        return f"{name}　御中"
    return f"{name}　様"


def reply_subject(subject: str) -> str:
    """件名 「…について（回答）」 from the inquiry's 件名 (its 「（照会）」 replaced)."""
    base = _SUBJECT_TAIL.sub("", subject.strip()).strip() or NO_SUBJECT
    base = base.removesuffix("について")
    return f"{base}について（回答）"


def opening(template: str, asked_on: date | None, reference: str) -> str:
    """The opening sentence in the house style; a missing 照会日 or 照会番号 is left out without a gap
    (「付け」 and 「で」 left dangling at the start are dropped)."""
    asked = to_wareki(asked_on.isoformat()) if asked_on else ""
    text = template.format(asked=asked, reference=reference.strip())
    if not asked:
        text = re.sub(r"^付け", "", text)
        if not reference.strip():
            text = re.sub(r"^で", "", text)
    return text


def frame(inp: ReplyInput, settings: Settings, today: date | None = None) -> dict[str, str]:
    """The fixed parts of the draft: 文書番号, 日付, 宛先, 発信者, 件名, 本文 (opening), 担当."""
    section = inp.section.strip() or settings.reply_section
    contact = settings.reply_contact if not inp.section.strip() else f"担当：{inp.section.strip()}"
    return {
        "document_number": settings.reply_document_number,
        "date": to_wareki((today or date.today()).isoformat()),
        "addressee": addressee(inp.sender, inp.sender_section),
        "sender": f"{settings.reply_head}（{settings.reply_organization}{section.removeprefix(settings.reply_organization)}）",
        "subject": reply_subject(inp.subject),
        "opening": opening(settings.reply_opening, inp.asked_on, inp.reference),
        "contact": contact,
    }


def reply_source(n: int, chunk: Chunk, quote: str = "") -> ReplySource:
    """A cited chunk under 根拠: a past answer with its date, 照会元 and section, or a policy passage."""
    fields = chunk.fields
    past = chunk.doc_type == "inquiry"
    answered = fields.get(ANSWERED) or fields.get(ASKED)
    text = quote or " ".join(chunk.text.split())
    return ReplySource(
        n=n,
        chunk_id=chunk.chunk_id,
        kind="past_answer" if past else "policy",
        title=chunk.title,
        source=chunk.source,
        location=chunk.location,
        quote=text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…",
        date=(parse_date(answered) if answered else None) or chunk.date,
        sender=fields.get("照会元") if past else None,
        section=(fields.get("所管課") or fields.get("回答課")) if past else None,
        classification=chunk.classification,
        groups=list(chunk.groups),
    )


def _record_answer(chunk: Chunk) -> list[str]:
    """The sentences of a past record's 回答内容 as written in the chunk, up to WHOLE_ANSWER_CHARS."""
    from assistant.citations import MARKER
    from assistant.extractive import record_parts
    from assistant.quote_units import chunk_units

    kept: list[str] = []
    for unit in chunk_units(record_parts(chunk).get(ANSWER, "")):
        unit = MARKER.sub("", unit)
        if kept and sum(map(len, kept)) + len(unit) > WHOLE_ANSWER_CHARS:
            break
        kept.append(unit)
    return kept


def offline_item(
    item: QuestionItem, query: str, chunks: list[Chunk], numbers: list[int], lead: int | None = None
) -> tuple[AnswerItem, dict[int, list[str]]]:
    """One item answered by quoting its own sources (`numbers[i]` = the draft's marker of `chunks[i]`).

    When the passage that answers the item (`lead`, an index into `chunks`) is a past answer, its 回答内容 is
    quoted whole: it answered the same question, and cutting it loses the conditions around the facts. Otherwise
    the extractive selector picks sentences from all of the item's sources. Returns the item and the quoted
    text per marker."""
    from assistant.extractive import extract

    quotes: dict[int, list[str]] = {}
    parts: list[str] = []
    if lead is not None and chunks[lead].doc_type == "inquiry":
        units = _record_answer(chunks[lead])
        quotes = {numbers[lead]: units} if units else {}
        parts = [f"{''.join(units)}[{numbers[lead]}]"] if units else []
    if not parts and chunks:
        for unit in extract(query, chunks).picks:
            if unit.label not in ("", "（回答）") or _heading(unit.text):
                continue
            n = numbers[unit.rank]
            quotes.setdefault(n, []).append(unit.text)
            parts.append(f"{unit.text}[{n}]")
    if not parts:
        return AnswerItem(
            number=item.number, question=item.text, answer="", status="要確認", note=UNSUPPORTED
        ), {}
    cited = list(quotes)
    past_only = all(chunks[numbers.index(n)].doc_type == "inquiry" for n in cited)
    return (
        AnswerItem(
            number=item.number,
            question=item.text,
            answer="".join(parts),
            status="回答",
            sources=cited,
            note=PAST_ONLY if past_only else "",
        ),  # fmt: skip
        quotes,
    )


def _heading(text: str) -> bool:
    """A title or heading line (no sentence end), not an answer: 「会計年度任用職員の休暇等の取扱いについて」."""
    return len(text) <= 40 and not text.rstrip().endswith(("。", "）", ")", "」"))


def answer_text(items: list[AnswerItem]) -> str:
    """記 as plain text: each answer after its number (alone when there is one item)."""
    if len(items) == 1:
        return items[0].answer
    return "\n".join(f"{item.number}　{item.answer or '（要確認）'}" for item in items)


def assemble(
    inp: ReplyInput,
    parts: dict[str, str],
    items: list[AnswerItem],
    chunks: list[Chunk],
    quotes: dict[int, list[str]],
    **extra: object,
) -> ReplyDraft:
    """The draft: the frame, 記, 根拠 (the sources the items cite, by n), 要確認事項 and the 機密性 of what is cited."""
    cited = sorted({n for item in items for n in item.sources})
    # 根拠 is numbered 1, 2, … in the order cited; the answers' markers follow
    order = {old: new for new, old in enumerate(cited, start=1)}
    items = [_renumbered(item, order) for item in items]
    sources = [reply_source(order[n], chunks[n - 1], "".join(quotes.get(n, []))) for n in cited]
    open_points = [
        f"{item.number}　{item.question.splitlines()[0]}：{item.note or UNSUPPORTED}"
        for item in items
        if item.status == "要確認"
    ]
    return ReplyDraft(
        **parts,
        items=items,
        answer=answer_text(items),
        sources=sources,
        open_points=open_points,
        classification=max((s.classification for s in sources), default=1),
        inquiry=inp,
        **extra,  # type: ignore[arg-type]
    )


def _renumbered(item: AnswerItem, order: dict[int, int]) -> AnswerItem:
    from assistant.citations import MARKER

    def swap(match: re.Match[str]) -> str:
        return "".join(f"[{order[int(n)]}]" for n in re.findall(r"\d+", match.group(1)) if int(n) in order)

    return item.model_copy(
        update={
            "answer": MARKER.sub(swap, item.answer),
            "sources": [order[n] for n in item.sources if n in order],
        }
    )


def render_letter(draft: ReplyDraft) -> str:
    """The draft as the plain text of an official reply (CLI, text export)."""
    lines = [
        draft.document_number,
        draft.date,
        "",
        draft.addressee,
        "",
        draft.sender,
        "",
        f"　　{draft.subject}",
        "",
    ]
    lines += [f"　{draft.opening}", "", "記", ""]
    for item in draft.items:
        lines.append(f"{item.number}　{item.question.splitlines()[0]}")
        lines.append(
            f"　{item.answer}" if item.status == "回答" else "　（要確認）" + (item.note or UNSUPPORTED)
        )
        lines.append("")
    if draft.sources:
        lines.append("根拠")
        for s in draft.sources:
            if s.kind == "past_answer":
                when = to_wareki(s.date) if s.date else ""
                lines.append(
                    f"[{s.n}] 過去の回答：{s.title}（{when}　照会元 {s.sender or '不明'}　回答 {s.section or '不明'}）"
                )
            else:
                lines.append(f"[{s.n}] {s.title}" + (f"　{s.location}" if s.location else ""))
        lines.append("")
    if draft.open_points:
        lines.append("要確認事項")
        lines += [f"・{p}" for p in draft.open_points]
        lines.append("")
    lines += ["以上", "", draft.contact]
    return "\n".join(lines)
