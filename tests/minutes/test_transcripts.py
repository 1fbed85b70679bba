"""Transcript readers: every supported form to turns, format detection, meeting metadata, and Japanese errors for
unreadable input that keep whatever can be read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document

from assistant.minutes.speakers import is_chair, parse_speaker_line
from assistant.minutes.transcripts import detect_format, read_transcript, read_transcript_file
from core.errors import CorruptFile, UnsupportedFile

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared/datasets/tokyo_assembly_2020_minutes"


def _said(transcript) -> list[tuple[str, str]]:
    return [(t.speaker, t.text) for t in transcript.turns]


def test_plain_text_with_colon_speakers_and_header_metadata():
    transcript = read_transcript_file(DATA / "meeting.txt")
    assert transcript.format == "text"
    assert (transcript.title, transcript.held_on, transcript.place) == (
        "第3回企画会議",
        "令和7年4月1日 14時",
        "第1会議室",
    )
    assert transcript.agenda == ["夏祭りの予算について", "広報の進め方について"]
    assert [t.index for t in transcript.turns] == list(range(1, 10))
    assert [t.speaker for t in transcript.turns][:4] == ["司会", "佐藤", "田中", "佐藤"]
    assert transcript.turns[2].text == "増額の理由は何でしょうか。"


def test_assembly_record_with_continuation_lines_and_notes():
    transcript = read_transcript_file(DATA / "assembly.txt")
    speakers = [t.speaker for t in transcript.turns]
    assert speakers[:3] == ["議長（山田太郎君）", "十二番（佐藤花子君）", "市民課長（鈴木一郎君）"]
    second = transcript.turns[1].text
    assert second.startswith("手数料の改定について伺います。") and "市長の見解を伺います。" in second
    assert "〔「異議なし」と呼ぶ者あり〕" in second  # notes stay in the record
    assert is_chair(speakers[0]) and not is_chair(speakers[1])


def test_markdown_with_bracket_and_bold_speakers():
    transcript = read_transcript_file(DATA / "bracket.md")
    assert transcript.title == "庁内連絡会議" and transcript.held_on == "令和7年5月8日"
    assert _said(transcript) == [
        ("山田", "本日はシステム更改の日程を確認します。"),
        ("鈴木", "移行作業は6月末までに情報政策課が完了させます。"),
        ("高橋", "研修はいつ実施しますか。"),
        ("山田", "研修は7月上旬に実施します。"),
    ]


def test_webvtt_voice_tags_and_prefixes_merge_consecutive_cues():
    transcript = read_transcript_file(DATA / "teams.vtt")
    assert transcript.format == "vtt"
    first, second, third = transcript.turns
    assert (first.speaker, first.start, first.end) == ("山田 太郎", "00:00:01", "00:00:08")
    assert first.text == "えー、定例会を始めます。\n本日は予算の確認です。"
    assert (second.speaker, second.text) == ("佐藤 花子", "予算は前年度と同額です。")
    assert (third.speaker, third.text) == ("田中", "承知しました。")


def test_srt_with_speaker_prefixes():
    transcript = read_transcript_file(DATA / "zoom.srt")
    assert transcript.format == "srt"
    assert _said(transcript) == [("山田", "会議を始めます。"), ("佐藤", "報告します。\n以上です。")]
    assert transcript.turns[1].start == "00:00:04" and transcript.turns[1].end == "00:00:09"


def test_broken_cues_are_reported_and_the_others_kept():
    vtt = (
        (DATA / "teams.vtt")
        .read_text(encoding="utf-8")
        .replace("00:00:09.000 --> 00:00:12.000", "9秒から12秒")
    )
    transcript = read_transcript(vtt)
    assert [t.speaker for t in transcript.turns] == ["山田 太郎", "田中"]
    assert transcript.warnings and "WebVTT" in transcript.warnings[0]
    srt = "1\n00:00:01,000 --> 00:00:03,000\n山田: 始めます。\n\n2\nこわれた時刻\n佐藤: 報告します。\n"
    transcript = read_transcript(srt)
    assert _said(transcript) == [("山田", "始めます。")] and "SRT" in transcript.warnings[0]


def _teams_docx() -> bytes:
    document = Document()
    document.core_properties.title = "定例打合せ"
    for line in ["定例打合せ", "山田 太郎   0:03", "えー、今週の進捗を確認します。", "佐藤 花子   0:15",
                 "申請システムの改修は来週までに完了します。", "山田 太郎   0:40", "ありがとうございます。"]:  # fmt: skip
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_teams_docx_transcript():
    transcript = read_transcript(_teams_docx(), name="会議.docx")
    assert transcript.format == "docx" and transcript.title == "定例打合せ"
    assert _said(transcript) == [
        ("山田 太郎", "えー、今週の進捗を確認します。"),
        ("佐藤 花子", "申請システムの改修は来週までに完了します。"),
        ("山田 太郎", "ありがとうございます。"),
    ]
    assert transcript.turns[1].start == "00:00:15"


def test_docx_with_speaker_lines_and_a_damaged_docx():
    document = Document()
    for line in ["山田：開始します。", "佐藤：報告します。"]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    assert _said(read_transcript(buffer.getvalue(), name="a.docx")) == [
        ("山田", "開始します。"),
        ("佐藤", "報告します。"),
    ]
    with pytest.raises(CorruptFile, match="DOCX"):
        read_transcript(b"PK\x03\x04 not really a zip", name="壊れた.docx")


def test_json_speaker_utterance_list_and_meeting_wrappers():
    transcript = read_transcript_file(DATA / "utterances.json")
    assert transcript.format == "json"
    assert transcript.turns[0].speaker == "発言者不明"  # "null" in the assembly data
    assert (
        transcript.turns[2].speaker == "三番（佐藤花子君）"
        and transcript.turns[2].text == "道路の補修について伺います。"
    )
    records = json.loads((DATA / "utterances.json").read_text(encoding="utf-8"))
    meetings = [
        {"ProceedingTitle": "第一号", "Date": "2020/2/19", "Proceeding": records},
        {"ProceedingTitle": "第二号", "Date": "2020/2/26", "Proceeding": records[1:] + ["壊れた要素"]},
    ]
    with pytest.raises(UnsupportedFile, match="会議が2件") as error:
        read_transcript(json.dumps(meetings, ensure_ascii=False))
    assert "第二号" in error.value.message
    second = read_transcript(json.dumps(meetings, ensure_ascii=False), meeting=2)
    assert (second.title, second.held_on, len(second.turns)) == ("第二号", "2020/2/26", 3)
    assert second.warnings == ["4番目の要素がオブジェクトではありません"]


def test_format_detection():
    assert detect_format("WEBVTT\n\n") == "vtt"
    assert detect_format("1\n00:00:01,000 --> 00:00:02,000\nあ\n") == "srt"
    assert detect_format('[{"Speaker": "a", "Utterance": "b"}]') == "json"
    assert detect_format("山田：こんにちは。") == "text"
    assert detect_format(b"PK\x03\x04") == "docx"
    assert detect_format("", "x.vtt") == "vtt"


def test_unreadable_input_raises_japanese_errors():
    with pytest.raises(CorruptFile, match="発言を読み取れませんでした"):
        read_transcript("   \n\n")
    with pytest.raises(CorruptFile, match="JSON として読み込めません"):
        read_transcript('[{"Speaker": ')
    with pytest.raises(CorruptFile, match="Utterance"):
        read_transcript('[{"Speaker": "山田"}]')
    with pytest.raises(UnsupportedFile, match="開けません"):
        read_transcript_file(DATA / "存在しない.txt")


def test_text_without_speakers_is_one_turn_and_cp932_is_decoded():
    transcript = read_transcript(
        "防災対策について伺います。\n見解を求めます。".encode("cp932"), name="speech.txt"
    )
    assert _said(transcript) == [("発言者不明", "防災対策について伺います。\n見解を求めます。")]


@pytest.mark.parametrize(
    ("line", "speaker", "rest"),
    [
        ("○議長（山田太郎君）　開会します。", "議長（山田太郎君）", "開会します。"),
        ("○議長（山田太郎君）開会します。", "議長（山田太郎君）", "開会します。"),
        ("○佐藤委員　質問します。", "佐藤委員", "質問します。"),
        ("山田：はい。", "山田", "はい。"),
        ("山田 太郎: はい。", "山田 太郎", "はい。"),
        ("【山田】はい。", "山田", "はい。"),
        ("- **山田**：はい。", "山田", "はい。"),
    ],
)
def test_speaker_lines(line, speaker, rest):
    found = parse_speaker_line(line)
    assert found is not None and (found.speaker, found.rest) == (speaker, rest)


@pytest.mark.parametrize(
    "line", ["日時：令和7年4月1日", "会議は10:30に始まります。", "https://example.jp/x", ""]
)
def test_lines_that_are_not_speakers(line):
    assert parse_speaker_line(line) is None


def test_assembly_data_reads_every_meeting():
    path = SHARED / "utterances_tokyo_proceeding2020_withURL.json"
    if not path.is_file():
        pytest.skip(f"assembly data not found at {path}")
    transcript = read_transcript_file(path, meeting=4)
    assert len(transcript.turns) == 151 and transcript.title == "令和二年東京都議会会議録第四号"
    assert sum(len(t.text) for t in transcript.turns) > 100_000
