"""The offline minutes: topics, key sentences within exact limits, decisions and action items, 発言録, 質疑応答,
and traceability (every point is words said in the turns it cites)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from assistant.minutes.extract import char_count, shorten
from assistant.minutes.fillers import remove_fillers
from assistant.minutes.offline import build_minutes
from assistant.minutes.segment import segment
from assistant.minutes.text import minutes_text
from assistant.minutes.transcripts import read_transcript_file
from assistant.tasks.minutes_models import Minutes, MinutesInput, Point, Turn

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared/datasets/tokyo_assembly_2020_minutes"
SPEECH = (
    "防災対策について伺います。都は、首都直下地震への備えを固めるため、地域防災計画の修正にどのように取り組むのか、"
    "見解を伺います。大震災当日は、都内で多くの帰宅困難者が発生し、混乱をいたしました。"
    "帰宅困難者対策の条例に基づき、事業者との十分な話し合いや適切な支援策を講じていくことが必要です。"
    "都は、帰宅困難者対策をどのように具体化していくのか伺います。"
)


def _minutes(name: str, **fields) -> tuple[Minutes, list[Turn]]:
    transcript = read_transcript_file(DATA / name)
    inp = MinutesInput(agenda=transcript.agenda, **fields)
    return build_minutes(inp, transcript.turns, headings=transcript.headings), transcript.turns


def _points(minutes: Minutes) -> list[Point]:
    points = [p for a in minutes.agenda for p in a.points] + [p for s in minutes.speakers for p in s.points]
    points += minutes.decisions + [Point(text=a.task, turns=a.turns) for a in minutes.actions]
    for pair in minutes.qa:
        points += [pair.question] + ([pair.answer] if pair.answer else [])
    return points


def _assert_traceable(minutes: Minutes, turns: list[Turn]) -> None:
    said = {t.index: "".join(remove_fillers(t.text).split()) for t in turns}
    for point in _points(minutes):
        assert point.turns, point
        source = "".join(said[n] for n in point.turns)
        for sentence in re.findall(r"[^。？！]+[。？！]?", point.text):
            assert "".join(sentence.split()) in source, (sentence, point.turns)


@pytest.mark.parametrize("style", ["要点筆記", "発言録", "質疑応答"])
@pytest.mark.parametrize("name", ["meeting.txt", "assembly.txt", "bracket.md", "teams.vtt", "zoom.srt"])
def test_every_point_is_said_in_the_turns_it_cites(name, style):
    minutes, turns = _minutes(name, style=style, max_chars=60)
    _assert_traceable(minutes, turns)
    assert minutes.n_turns == len(turns)


def test_meeting_minutes_by_given_agenda_with_decision_action_and_next_meeting():
    minutes, _ = _minutes("meeting.txt")
    assert [a.title for a in minutes.agenda] == ["夏祭りの予算について", "広報の進め方について"]
    assert minutes.agenda[0].turns == [1, 2, 3, 4, 5] and minutes.agenda[1].turns == [6, 7, 8, 9]
    budget = "".join(p.text for p in minutes.agenda[0].points)
    assert "総額120万円" in budget and "予算案は、予算案は" not in budget
    assert [d.text for d in minutes.decisions] == ["夏祭りの予算は原案のとおりとすることとした。"]
    assert [(a.owner, a.due, a.turns) for a in minutes.actions] == [("広報課", "4月20日まで", [7])]
    assert minutes.next_meeting == "次回は5月15日午後2時から第1会議室で開催します。"
    assert minutes.attendees == ["司会", "佐藤", "田中"]
    assert [s.speaker for s in minutes.speakers] == ["司会", "佐藤", "田中"]


def test_assembly_topics_from_the_chairs_calls_and_decisions_from_the_chair():
    minutes, _ = _minutes("assembly.txt")
    assert [a.title for a in minutes.agenda] == [
        "日程第一、第十号議案、みなと市手数料条例の一部を改正する条例",
        "日程第二、第十一号議案、みなと市公園条例の一部を改正する条例",
    ]
    assert [d.turns for d in minutes.decisions] == [[5], [8]]
    assert all("可決されました" in d.text for d in minutes.decisions)
    assert not minutes.actions


def test_qa_pairs_keep_questions_with_their_answers():
    minutes, _ = _minutes("assembly.txt", style="質疑応答")
    assert [(p.questioner, p.answerer, p.question.turns, p.answer.turns) for p in minutes.qa] == [
        ("十二番（佐藤花子君）", "市民課長（鈴木一郎君）", [2], [3]),
        ("十二番（佐藤花子君）", "公園課長（高橋次郎君）", [6], [7]),
    ]
    assert "五十円の増額" in minutes.qa[0].answer.text
    text = minutes_text(minutes)
    assert "問1（十二番（佐藤花子君））" in text and "答2（公園課長（高橋次郎君））" in text


def test_an_unanswered_question_is_kept_without_answer():
    turns = [
        Turn(index=1, speaker="山田", text="予算の根拠は何でしょうか。"),
        Turn(index=2, speaker="山田", text="以上です。"),
    ]
    minutes = build_minutes(MinutesInput(style="質疑応答"), turns)
    assert len(minutes.qa) == 1 and minutes.qa[0].answer is None and "答弁なし" in minutes_text(minutes)


def test_record_style_removes_fillers_and_changes_nothing_else():
    minutes, turns = _minutes("meeting.txt", style="発言録")
    assert [t.index for t in minutes.record] == [t.index for t in turns]
    assert minutes.record[0].text == "それでは第3回企画会議を始めます。まず夏祭りの予算についてです。"
    assert minutes.record[1].text == "はい。夏祭りの予算案は総額120万円です。昨年度より10万円の増額です。"
    assert minutes.record[2].text == turns[2].text


@pytest.mark.parametrize("limit", [10, 15, 20, 30, 50, 80, 100, 150, 200])
def test_limits_are_never_exceeded(limit):
    for name in ("meeting.txt", "assembly.txt", "bracket.md"):
        for style in ("要点筆記", "質疑応答"):
            minutes, _ = _minutes(name, style=style, max_chars=limit)
            for item in minutes.agenda:
                assert sum(char_count(p.text) for p in item.points) <= limit
            for summary in minutes.speakers:
                assert sum(char_count(p.text) for p in summary.points) <= limit
            for point in [
                *minutes.decisions,
                *(q for pair in minutes.qa for q in (pair.question, pair.answer) if q),
            ]:
                assert char_count(point.text) <= limit
            assert all(char_count(a.task) <= limit for a in minutes.actions)


def test_a_single_speech_is_summarised_alone_within_the_limit_at_clause_boundaries():
    for limit in (30, 50, 100):
        minutes = build_minutes(
            MinutesInput(max_chars=limit), [Turn(index=1, speaker="発言者不明", text=SPEECH)]
        )
        text = minutes_text(minutes)
        assert text and "■" not in text and "〔発言" not in text
        assert char_count(text.replace("\n", "")) <= limit
        for line in text.splitlines():  # whole sentences, or the ending of one after a 読点
            assert line in SPEECH and line.endswith("。")
            start = SPEECH.index(line)
            assert start == 0 or SPEECH[start - 1] in "。、"
    assert "伺います" in minutes_text(
        build_minutes(MinutesInput(max_chars=50), [Turn(index=1, speaker="x", text=SPEECH)])
    )


def test_shorten_counts_exactly_and_cuts_only_at_commas():
    sentence = "都は、首都直下地震への備えを固めるため、地域防災計画の修正に取り組みます。"
    assert shorten(sentence, len(sentence)) == sentence
    assert (
        shorten(sentence, len(sentence) - 1)
        == "首都直下地震への備えを固めるため、地域防災計画の修正に取り組みます。"
    )
    assert shorten(sentence, 20) == "地域防災計画の修正に取り組みます。"
    assert shorten(sentence, 5) is None
    assert char_count("㍻") == 2 == len(unicodedata.normalize("NFKC", "㍻"))


def test_segmentation_by_lexical_cohesion_labels_with_words_said():
    budget = [
        Turn(index=i, speaker="AB"[i % 2], text="予算の補正予算と財源の予算編成について説明します。")
        for i in range(1, 9)
    ]
    parks = [
        Turn(index=i, speaker="AB"[i % 2], text="公園の遊具と公園の樹木の維持管理について説明します。")
        for i in range(9, 17)
    ]
    topics = segment(budget + parks)
    assert [t.turns[0] for t in topics] == [1, 9] and all(t.source == "cohesion" for t in topics)
    assert topics[0].title.startswith("話題1（") and "予算" in topics[0].title
    assert segment(budget[:3])[0].title == "議事"


def test_a_whole_assembly_day_offline_in_every_style():
    path = SHARED / "utterances_tokyo_proceeding2020_withURL.json"
    if not path.is_file():
        pytest.skip(f"assembly data not found at {path}")
    turns = read_transcript_file(path, meeting=4).turns
    for style in ("要点筆記", "発言録", "質疑応答"):
        minutes = build_minutes(MinutesInput(style=style, max_chars=200), turns)
        _assert_traceable(minutes, turns)
        assert len(minutes.agenda) > 3
        if style == "発言録":
            assert len(minutes.record) == len(turns)
        if style == "質疑応答":
            assert len(minutes.qa) > 10 and all(p.answer for p in minutes.qa[:5])
