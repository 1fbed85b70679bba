"""Minutes built by hand (the shape the minutes task produces), for the exports, the review workflow, the API and
the UI tests: a committee meeting on the 地域防災計画 with its transcript turns."""

from __future__ import annotations

from typing import Any

from assistant.tasks.minutes_models import (
    ActionItem,
    AgendaSummary,
    Minutes,
    MinutesInput,
    Point,
    QAPair,
    SpeakerSummary,
    Turn,
)

TRANSCRIPT = """○委員長（山田太郎君）　ただいまから総務委員会を開会いたします。本日は地域防災計画の改定について審査を行います。
○佐藤委員　えー、避難所の備蓄について伺います。あのー、備蓄食料は何日分を確保しているのでしょうか。
○防災課長（鈴木花子君）　備蓄食料は、想定避難者数の3日分を確保しております。
○佐藤委員　要配慮者向けの備蓄はどうなっていますか。
○防災課長（鈴木花子君）　要配慮者向けの備蓄については、来年度までに防災課が整備計画を取りまとめます。
○委員長（山田太郎君）　それでは、本案は原案のとおり了承することといたしました。次回は5月20日午前10時から開会いたします。
"""


def turns() -> list[Turn]:
    speakers = ["委員長（山田太郎君）", "佐藤委員", "防災課長（鈴木花子君）", "佐藤委員", "防災課長（鈴木花子君）",
                "委員長（山田太郎君）"]  # fmt: skip
    texts = [line.split("　", 1)[1] for line in TRANSCRIPT.strip().splitlines()]
    return [Turn(index=i, speaker=s, text=t) for i, (s, t) in enumerate(zip(speakers, texts, strict=True), 1)]


def minutes_input(**overrides: Any) -> MinutesInput:
    values: dict[str, Any] = {
        "transcript": TRANSCRIPT,
        "title": "総務委員会",
        "held_on": "令和7年4月15日（火）午前10時00分～午前11時30分",
        "place": "第1委員会室",
        "style": "要点筆記",
        "max_chars": 100,
    }
    return MinutesInput(**(values | overrides))


def minutes(**overrides: Any) -> Minutes:
    values: dict[str, Any] = {
        "title": "総務委員会",
        "held_on": "令和7年4月15日（火）午前10時00分～午前11時30分",
        "place": "第1委員会室",
        "attendees": ["山田委員長", "佐藤委員", "鈴木防災課長"],
        "style": "要点筆記",
        "max_chars": 100,
        "agenda": [
            AgendaSummary(
                title="地域防災計画の改定について",
                points=[
                    Point(text="避難所の備蓄食料は想定避難者数の3日分を確保している。", turns=[2, 3]),
                    Point(text="要配慮者向けの備蓄は来年度までに整備計画を取りまとめる。", turns=[4, 5]),
                ],
                turns=[1, 2, 3, 4, 5, 6],
            )
        ],
        "speakers": [
            SpeakerSummary(
                speaker="佐藤委員", points=[Point(text="避難所の備蓄について質問した。", turns=[2, 4])]
            ),
            SpeakerSummary(
                speaker="防災課長（鈴木花子君）",
                points=[Point(text="備蓄食料は想定避難者数の3日分を確保している。", turns=[3])],
            ),
        ],
        "decisions": [Point(text="本案は原案のとおり了承することとした。", turns=[6])],
        "actions": [
            ActionItem(
                task="要配慮者向け備蓄の整備計画を取りまとめる", owner="防災課", due="来年度まで", turns=[5]
            )
        ],  # fmt: skip
        "next_meeting": "5月20日午前10時から開会する。",
        "qa": [
            QAPair(
                question=Point(text="備蓄食料は何日分を確保しているのか。", turns=[2]),
                questioner="佐藤委員",
                answer=Point(text="想定避難者数の3日分を確保している。", turns=[3]),
                answerer="防災課長（鈴木花子君）",
            ),
            QAPair(
                question=Point(text="要配慮者向けの備蓄はどうなっているか。", turns=[4]),
                questioner="佐藤委員",
            ),
        ],
        "record": [
            Turn(index=t.index, speaker=t.speaker, text=t.text.replace("えー、", "").replace("あのー、", ""))
            for t in turns()
        ],  # fmt: skip
        "classification": 2,
        "n_turns": 6,
        "backend": "offline/extractive",
        "mode": "extractive",
    }
    return Minutes(**(values | overrides))
