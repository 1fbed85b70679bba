"""`yakuba minutes draft` end to end (offline): each style, --max-chars, --json, --out (DOCX and Markdown, 「案」),
reading warnings and errors in Japanese."""

from __future__ import annotations

import io
import json
from pathlib import Path

from docx import Document
from typer.testing import CliRunner

from assistant.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_draft_prints_the_minutes_with_source_turns():
    result = runner.invoke(app, ["minutes", "draft", str(DATA / "meeting.txt")])
    assert result.exit_code == 0, result.output
    assert "会議名：第3回企画会議" in result.stdout and "■ 決定事項" in result.stdout
    assert "・夏祭りの予算は原案のとおりとすることとした。〔発言5〕" in result.stdout


def test_draft_json_in_qa_style_with_a_limit():
    result = runner.invoke(
        app,
        [
            "minutes",
            "draft",
            str(DATA / "assembly.txt"),
            "--style",
            "質疑応答",
            "--max-chars",
            "40",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["style"] == "質疑応答" and data["max_chars"] == 40 and len(data["qa"]) == 2
    assert all(len(p["question"]["text"]) <= 40 for p in data["qa"])
    assert data["text"].splitlines()[0].startswith("出席者：")


def test_draft_writes_docx_and_markdown_marked_as_draft(tmp_path):
    out = tmp_path / "議事録.docx"
    result = runner.invoke(
        app, ["minutes", "draft", str(DATA / "teams.vtt"), "--style", "発言録", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = Document(io.BytesIO(out.read_bytes()))
    header = "\n".join(p.text for s in document.sections for p in s.header.paragraphs)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "案" in header + text and "定例会を始めます。" in text and "えー、" not in text
    md = tmp_path / "議事録.md"
    result = runner.invoke(app, ["minutes", "draft", str(DATA / "zoom.srt"), "--out", str(md)])
    assert result.exit_code == 0, result.output
    assert "案" in md.read_text(encoding="utf-8")


def test_unknown_style_broken_file_and_meeting_choice(tmp_path):
    result = runner.invoke(app, ["minutes", "draft", str(DATA / "meeting.txt"), "--style", "要約"])
    assert result.exit_code == 2 and "様式「要約」はありません" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('[{"Speaker": ', encoding="utf-8")
    result = runner.invoke(app, ["minutes", "draft", str(broken)])
    assert result.exit_code == 2 and "JSON として読み込めません" in result.output
    records = json.loads((DATA / "utterances.json").read_text(encoding="utf-8"))
    several = tmp_path / "meetings.json"
    several.write_text(
        json.dumps([{"ProceedingTitle": "第一号", "Proceeding": records}] * 2, ensure_ascii=False)
    )
    result = runner.invoke(app, ["minutes", "draft", str(several)])
    assert result.exit_code == 2 and "--meeting" in result.output
    result = runner.invoke(app, ["minutes", "draft", str(several), "--meeting", "2"])
    assert result.exit_code == 0 and "会議名：第一号" in result.stdout


def test_audio_is_transcribed_through_transcribe_then_drafted(tmp_path, monkeypatch, aws_dummy_credentials):
    import uuid

    import boto3

    from assistant.config import get_settings
    from tests.fakes.s3_server import moto_s3_server
    from tests.fakes.transcribe_server import FakeTranscribe

    audio = tmp_path / "会議.wav"
    audio.write_bytes(b"RIFF....WAVEfmt fake audio bytes")
    with moto_s3_server() as s3_url, FakeTranscribe(s3_endpoint_url=s3_url, polls_until_done=0) as fake:
        bucket = f"audio-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", region_name="ap-northeast-1", endpoint_url=s3_url).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
        monkeypatch.setenv("YAKUBA_TRANSCRIBE_BUCKET", f"s3://{bucket}/meetings")
        monkeypatch.setenv("YAKUBA_S3_ENDPOINT_URL", s3_url)
        monkeypatch.setenv("YAKUBA_TRANSCRIBE_ENDPOINT_URL", fake.url)
        get_settings.cache_clear()
        result = runner.invoke(app, ["minutes", "draft", str(audio), "--style", "発言録", "--speakers", "4"])
        refused = runner.invoke(app, ["minutes", "draft", str(audio), "--classification", "3"])
    assert result.exit_code == 0, result.output
    assert "話者1" in result.stdout and "話者2" in result.stdout and "〔発言1〕" in result.stdout
    start = next(r for r in fake.requests if r["operation"] == "StartTranscriptionJob")["body"]
    assert start["Settings"]["MaxSpeakerLabels"] == 4
    assert refused.exit_code != 0 and "機密性" in refused.output  # never uploaded where policy forbids
    assert sum(r["operation"] == "StartTranscriptionJob" for r in fake.requests) == 1
