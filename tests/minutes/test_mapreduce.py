"""Long minutes by map-reduce through the real runner and router against the fake Bedrock runtime: segments of
whole turns, one audited model call per map step, cached map steps (a rerun or a style change makes no map call),
turn references checked, the length limit enforced exactly (cut at a sentence, else re-asked once), progress,
cancellation and the classification policy."""

from __future__ import annotations

import json
import threading

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.minutes.fitting import cut_at_sentence, fit_minutes, hard_cut, within_limit
from assistant.minutes.map_cache import MapCache
from assistant.minutes.mapreduce import CACHED_REASON, draft_minutes, segment_turns, turn_size
from assistant.router import Router
from assistant.tasks.minutes_map import MINUTES_MAP, MapInput
from assistant.tasks.minutes_models import Minutes, MinutesInput, Point, Turn
from assistant.tasks.runner import Runner
from core.errors import Cancelled, InvalidModelOutput, PolicyRefused
from tests.fakes.minutes_responder import minutes_responder

HAIKU = "bedrock/claude-haiku-4-5"
TOPICS = ["避難所の備蓄", "要配慮者の支援", "防災訓練の実施", "情報伝達の手段", "地域の防災組織"]


def _turns() -> list[Turn]:
    """A committee session of 22 turns: for each topic a question, an answer, a follow-up and a reply, plus the
    chair's opening and closing."""
    turns = [
        (
            "委員長（山田太郎君）",
            "ただいまから総務委員会を開会いたします。本日は地域防災計画について審査を行います。",
        )
    ]
    for topic in TOPICS:
        turns += [
            (
                "佐藤委員",
                f"えー、{topic}について伺います。{topic}の現状と今後の取組はどうなっているのでしょうか。"
                f"区民の関心も高く、{topic}の充実を求める声が寄せられております。" * 2,
            ),
            (
                "防災課長（鈴木花子君）",
                f"{topic}については、令和七年度までに計画を見直すことといたしました。"
                f"関係部署と連携し、{topic}の充実に取り組んでまいります。" * 2,
            ),
            ("佐藤委員", f"{topic}の予算はどの程度確保しているのでしょうか。"),
            ("防災課長（鈴木花子君）", f"{topic}の予算は前年度と同額を確保しております。"),
        ]
    turns.append(
        (
            "委員長（山田太郎君）",
            "本案は原案のとおり了承することといたしました。次回は5月20日に開会いたします。",
        )
    )
    return [Turn(index=n, speaker=s, text=t) for n, (s, t) in enumerate(turns, start=1)]


@pytest.fixture
def settings(tmp_path, fake_bedrock):
    fake_bedrock.structured_responder = minutes_responder
    return Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url, minutes_map_chars=900,
                    backend_backoff_seconds=0.001, backend_backoff_max_seconds=0.002, backend_timeout_seconds=10)  # fmt: skip


@pytest.fixture
def runner(settings, tmp_path):
    return Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")))


def _inp(**overrides) -> MinutesInput:
    return MinutesInput(
        **({"turns": _turns(), "title": "総務委員会", "max_chars": 100, "classification": 2} | overrides)
    )


def _prompts(fake, marker: str) -> list[str]:
    texts = []
    for request in fake.requests:
        messages = request["body"].get("messages") or []
        text = "".join(b.get("text", "") for m in messages for b in m.get("content") or [])
        if marker in text:
            texts.append(text)
    return texts


def _audit(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]


def _cited(minutes: Minutes) -> list[int]:
    points = [p for a in minutes.agenda for p in a.points] + [p for s in minutes.speakers for p in s.points]
    points += minutes.decisions + [p for q in minutes.qa for p in (q.question, q.answer) if p]
    return [t for p in points for t in p.turns]


def test_segments_hold_whole_turns_within_the_budget():
    turns = _turns()
    segments = segment_turns(turns, 900)
    assert [t for s in segments for t in s] == turns  # every turn once, in order, never split
    assert all(sum(map(turn_size, s)) <= 900 or len(s) == 1 for s in segments)
    big = Turn(index=1, speaker="A", text="あ" * 2000)
    assert segment_turns([big, *turns[1:3]], 900)[0] == [big]  # a longer turn is a segment of its own


def test_long_session_maps_reduces_and_caches_so_a_rerun_and_a_style_change_make_no_map_call(
    runner, fake_bedrock, tmp_path
):
    progress = []
    minutes = draft_minutes(_inp(), runner, backend=HAIKU, on_progress=progress.append, concurrency=3)
    segments = segment_turns(_turns(), 900)
    maps = _prompts(fake_bedrock, "<transcript>")
    assert len(segments) >= 4 and len(maps) == len(segments)
    assert all(f'<turn n="{s[0].index}" speaker="' in "".join(maps) for s in segments)
    assert "鈴木花子" not in "".join(maps)  # speakers' names are masked on the wire, restored in the minutes
    assert (minutes.mode, minutes.backend, minutes.style, minutes.n_turns) == ("llm", HAIKU, "要点筆記", 22)
    assert minutes.agenda and minutes.speakers and minutes.text
    assert any("鈴木花子" in s.speaker for s in minutes.speakers)  # names restored from the placeholders
    assert set(_cited(minutes)) <= set(range(1, 23)) and _cited(minutes)
    assert within_limit(minutes, 100)
    assert minutes.usage.input_tokens > 0 and f"モデル呼出し{len(fake_bedrock.requests)}回" in minutes.notice
    ceilings = {r["body"]["inferenceConfig"]["maxTokens"] for r in fake_bedrock.requests}
    assert ceilings == {runner.settings.minutes_max_tokens}  # not the chat answers' llm_max_tokens
    stages = [p.stage for p in progress]
    assert stages[0] == "map" and stages[-1] == "done" and "reduce" in stages
    last_map = [p for p in progress if p.stage == "map"][-1]
    assert last_map.done == last_map.total == len(segments)
    events = [e for e in _audit(tmp_path) if e["task"] == "minutes_map"]
    assert len(events) == len(segments) and {(e["outcome"], e["level"]) for e in events} == {("ok", 2)}
    assert all(e["chunk_ids"][0].startswith("minutes-") for e in events)

    fake_bedrock.reset()
    again = draft_minutes(_inp(), runner, backend=HAIKU)
    assert (
        _prompts(fake_bedrock, "<transcript>") == [] and len(fake_bedrock.requests) == 1
    )  # the final reduce
    assert again.agenda == minutes.agenda and "再利用" in again.notice
    hits = [e for e in _audit(tmp_path) if e.get("cached")]
    assert len(hits) >= len(segments) and {e["reason"] for e in hits} == {CACHED_REASON}

    fake_bedrock.reset()
    qa = draft_minutes(_inp(style="質疑応答"), runner, backend=HAIKU)
    record = draft_minutes(_inp(style="発言録", max_chars=None), runner, backend=HAIKU)
    assert _prompts(fake_bedrock, "<transcript>") == []  # a style or limit change reuses every map step
    assert qa.qa and all(p.answer for p in qa.qa) and qa.record == []
    assert qa.qa[0].questioner == "佐藤委員" and qa.qa[0].answerer == "防災課長（鈴木花子君）"
    assert len(record.record) == 22 and record.record[1].text.startswith("避難所の備蓄について伺います。")


def test_a_failed_map_step_is_the_only_one_redone(runner, fake_bedrock, settings):
    def broken_for_turn_7(name, schema, body):
        text = json.dumps(body, ensure_ascii=False)
        return {"agenda": "壊れた出力"} if 'n=\\"7\\"' in text else minutes_responder(name, schema, body)

    fake_bedrock.structured_responder = broken_for_turn_7
    with pytest.raises(InvalidModelOutput):
        draft_minutes(_inp(), runner, backend=HAIKU, concurrency=1)
    done = len(MapCache(settings.home / "cache" / "minutes"))
    assert done >= 1
    fake_bedrock.reset()
    fake_bedrock.structured_responder = minutes_responder
    draft_minutes(_inp(), runner, backend=HAIKU, concurrency=1)
    redone = _prompts(fake_bedrock, "<transcript>")
    assert len(redone) == len(segment_turns(_turns(), 900)) - done and '<turn n="7"' in redone[0]


def test_points_citing_turns_outside_the_segment_are_dropped(runner, fake_bedrock):
    turns = _turns()[:4]
    fake_bedrock.script_structured([{
        "agenda": [{"title": "備蓄", "points": [{"text": "備蓄を確保している。", "turns": [3, 999]},
                                               {"text": "架空の要点である。", "turns": [12]}], "turns": [2, 3]}],
        "speakers": [], "decisions": [{"text": "了承した。", "turns": [40]}], "actions": [], "qa": [],
    }])  # fmt: skip
    out = runner.run(MINUTES_MAP, MapInput(turns=turns, title="総務委員会"), backend=HAIKU)
    (item,) = out.partial.agenda
    assert [(p.text, p.turns) for p in item.points] == [("備蓄を確保している。", [3])]
    assert out.partial.decisions == [] and (out.dropped_points, out.dropped_refs) == (2, 3)


def test_the_limit_is_enforced_exactly_and_an_unfit_item_is_re_asked_once(runner, fake_bedrock):
    long_first = "防災課長は、避難所の備蓄食料について想定避難者数の三日分を確保しており今後も計画的に更新していくと答弁した。"
    answers = [
        {"agenda": [{"title": "備蓄", "points": [{"text": "備蓄は三日分である。後段の文は制限を超えるので落とされる。",
                                                 "turns": [3]}], "turns": [2, 3]}],
         "speakers": [{"speaker": "防災課長（鈴木花子君）", "points": [{"text": long_first, "turns": [3]}]}],
         "decisions": [], "actions": []},
        {"agenda": [], "speakers": [{"speaker": "防災課長（鈴木花子君）",
                                     "points": [{"text": long_first + "再回答でも長い。", "turns": [3]}]}],
         "decisions": [], "actions": []},
    ]  # fmt: skip

    def responder(name, schema, body):
        text = json.dumps(body, ensure_ascii=False)
        return answers.pop(0) if "様式：要点筆記" in text else minutes_responder(name, schema, body)

    fake_bedrock.structured_responder = responder
    minutes = draft_minutes(_inp(max_chars=30), runner, backend=HAIKU)
    reduces = [p for p in _prompts(fake_bedrock, "<parts>") if "様式：要点筆記" in p]
    assert (
        len(reduces) == 2
        and "注意：前回の出力では" in reduces[1]
        and "防災課長（［氏名1］君）の要点" in reduces[1]
    )
    assert within_limit(minutes, 30)
    (speaker,) = minutes.speakers
    assert len(speaker.points[0].text) <= 30 and speaker.points[0].text.endswith("。")


def test_a_meeting_the_policy_keeps_inside_is_refused_before_any_call(runner, fake_bedrock, tmp_path):
    with pytest.raises(PolicyRefused, match="機密性3"):
        draft_minutes(_inp(classification=3), runner, backend=HAIKU)
    assert fake_bedrock.requests == []
    (event,) = _audit(tmp_path)
    assert (event["task"], event["outcome"], event["level"]) == ("minutes_map", "refused", 3)


def test_extractive_backend_and_short_transcripts_take_the_minutes_task_path(runner, fake_bedrock, tmp_path):
    offline = draft_minutes(_inp(), runner, backend="offline/extractive")
    assert offline.mode == "extractive" and fake_bedrock.requests == []
    short = draft_minutes(_inp(turns=_turns()[:3]), runner, backend=HAIKU)
    assert short.mode == "llm" and len(fake_bedrock.requests) == 1
    assert [e["task"] for e in _audit(tmp_path)] == ["minutes", "minutes"]


def test_cancel_stops_before_any_call(runner, fake_bedrock):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        draft_minutes(_inp(), runner, backend=HAIKU, cancel=cancel)
    assert fake_bedrock.requests == []


def test_cutting_keeps_whole_sentences_and_a_hard_cut_closes_the_sentence():
    assert cut_at_sentence("第一文である。第二文である。", 10) == "第一文である。"
    assert cut_at_sentence("とても長い最初の文である。", 5) is None
    assert hard_cut("避難所の備蓄について、三日分を確保している。", 15) == "避難所の備蓄について。"
    minutes = Minutes(max_chars=10, decisions=[Point(text="長い決定事項の文であって切れない。", turns=[1])])
    fitted, report = fit_minutes(minutes, 10, hard=False)
    assert report.unfit == ["決定事項1（17字）"] and fitted.decisions == minutes.decisions
    fitted, report = fit_minutes(minutes, 10, hard=True)
    assert within_limit(fitted, 10) and report.forced == 1


def test_an_unreadable_cache_entry_is_a_miss(tmp_path):
    cache = MapCache(tmp_path)
    path = tmp_path / "ab" / "abc.json"
    path.parent.mkdir()
    path.write_text("{broken", encoding="utf-8")
    assert cache.get("abc") is None and len(cache) == 1
