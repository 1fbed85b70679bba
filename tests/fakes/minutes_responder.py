"""A fake model's structured answers for the minutes map and reduce steps, built from the prompt it was sent.

Set as `FakeBedrock.structured_responder` (tests and the long-minutes benchmark): a map request
(`<transcript>` with `<turn n=.. speaker=..>` blocks) gets partial minutes quoting first sentences of the
segment's longest turns and citing their numbers; a reduce request (`<parts>` with `・[n, m] text` lines) gets
the parts' points put together by agenda title and speaker. Deterministic, so a rerun sends and receives the
same thing; the answers are valid `LLMMinutes` citing only turns the prompt contained.
"""

from __future__ import annotations

import re
from typing import Any

_TURN = re.compile(r'<turn n="(?P<n>\d+)" speaker="(?P<speaker>[^"]*)">\n(?P<text>.*?)\n</turn>', re.S)
_PART = re.compile(r'<part n="\d+" turns="\d+-\d+">\n(?P<body>.*?)\n</part>', re.S)
_POINT = re.compile(r"^・\[(?P<turns>[\d, ]+)\] (?P<text>.+)$")
_SENTENCE = re.compile(r"[^。？]+[。？]")
_DECISION = re.compile(r"可決|決定|了承|承認|採択")
_QUESTION = re.compile(r"伺います|お伺い|見解を|質問|でしょうか|か。$|？")
_CHAIR = re.compile(r"議長|委員長")
MAX_POINT = 80


def _user_text(body: dict) -> str:
    messages = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    blocks = messages[-1].get("content") or [] if messages else []
    return "\n".join(b["text"] for b in blocks if isinstance(b.get("text"), str))


def _first(text: str) -> str:
    flat = " ".join(text.split())
    found = _SENTENCE.search(flat)
    return (found.group(0) if found else flat)[:MAX_POINT]


def _empty() -> dict[str, Any]:
    return {"agenda": [], "speakers": [], "decisions": [], "actions": [], "next_meeting": "", "qa": []}


def map_answer(prompt: str) -> dict[str, Any]:
    turns = [(int(m["n"]), m["speaker"], m["text"]) for m in _TURN.finditer(prompt)]
    out = _empty()
    if not turns:
        return out
    longest = sorted((t for t in turns if not _CHAIR.search(t[1])), key=lambda t: -len(t[2]))[:3]
    longest = sorted(longest) or turns[:1]
    out["agenda"] = [
        {
            "title": _first(longest[0][2])[:30],
            "points": [{"text": _first(t[2]), "turns": [t[0]]} for t in longest],
            "turns": [t[0] for t in turns],
        }
    ]
    by_speaker: dict[str, tuple[int, str]] = {}
    for n, speaker, text in turns:
        if speaker not in by_speaker or len(text) > len(by_speaker[speaker][1]):
            by_speaker[speaker] = (n, text)
    out["speakers"] = [
        {"speaker": s, "points": [{"text": _first(t), "turns": [n]}]} for s, (n, t) in by_speaker.items()
    ]
    for n, _speaker, text in turns:
        out["decisions"] += [
            {"text": s[:MAX_POINT], "turns": [n]} for s in _SENTENCE.findall(text) if _DECISION.search(s)
        ][:2]
        if "次回" in text:
            out["next_meeting"] = _first(text[text.index("次回") :])
    for (n, speaker, text), (m, answerer, answer) in zip(turns, turns[1:], strict=False):
        if speaker != answerer and not _CHAIR.search(speaker) and _QUESTION.search(text):
            out["qa"].append(
                {
                    "question": {"text": _first(text), "turns": [n]},
                    "questioner": speaker,
                    "answer": {"text": _first(answer), "turns": [m]},
                    "answerer": answerer,
                }
            )
    return out


def reduce_answer(prompt: str) -> dict[str, Any]:
    out = _empty()
    agenda: dict[str, dict[str, Any]] = {}
    speakers: dict[str, dict[str, Any]] = {}
    for part in _PART.finditer(prompt):
        section, name = "", ""
        for line in part["body"].splitlines():
            if line.startswith("【"):
                section, _, name = line[1:].partition("】")
                continue
            point = _POINT.match(line)
            if point is None:
                continue
            item = {"text": point["text"], "turns": [int(t) for t in point["turns"].split(",")]}
            if section == "議題":
                entry = agenda.setdefault(name, {"title": name, "points": [], "turns": []})
                if len(entry["points"]) < 2:
                    entry["points"].append(item)
                entry["turns"] = sorted({*entry["turns"], *item["turns"]})
            elif section == "発言者":
                entry = speakers.setdefault(name, {"speaker": name, "points": []})
                if len(entry["points"]) < 2:
                    entry["points"].append(item)
            elif section == "決定事項":
                out["decisions"].append(item)
    out["agenda"], out["speakers"] = list(agenda.values()), list(speakers.values())
    return out


def minutes_responder(name: str, schema: dict, body: dict) -> dict[str, Any]:
    """`FakeBedrock.structured_responder` for the minutes steps (other requests get an empty partial)."""
    prompt = _user_text(body)
    if "<transcript>" in prompt:
        return map_answer(prompt)
    if "<parts>" in prompt:
        return reduce_answer(prompt)
    return _empty()
