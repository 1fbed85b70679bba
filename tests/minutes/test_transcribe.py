"""Audio through Amazon Transcribe: moto's S3 in server mode and a fake Transcribe at the wire (JSON 1.1 on
127.0.0.1), the policy check before anything is uploaded, the audit event, and the transcript JSON forms."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.minutes.transcribe import (
    TranscribeClient,
    TranscribeError,
    speaker_name,
    transcribe_audio,
    turns_from_transcript,
)
from core.errors import Cancelled, PolicyRefused, UnsupportedFile
from tests.fakes.s3_server import moto_s3_server
from tests.fakes.transcribe_server import FakeTranscribe, word_items

AUDIO = b"RIFF....WAVEfmt fake audio bytes"


@pytest.fixture(scope="module")
def s3_url():
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def fake(aws_dummy_credentials, s3_url):
    with FakeTranscribe(s3_endpoint_url=s3_url, polls_until_done=2) as server:
        yield server


@pytest.fixture
def settings(tmp_path, fake, s3_url):
    import boto3

    bucket = f"audio-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", region_name="ap-northeast-1", endpoint_url=s3_url).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    return Settings(home=tmp_path, transcribe_bucket=f"s3://{bucket}/meetings", s3_endpoint_url=s3_url,
                    transcribe_endpoint_url=fake.url)  # fmt: skip


def _client(settings: Settings) -> TranscribeClient:
    return TranscribeClient(settings, poll_seconds=0.0, sleep=lambda _: None)


def _audit(tmp_path) -> list[dict]:
    path = tmp_path / "audit.jsonl"
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def _objects(settings: Settings, s3_url: str) -> list[str]:
    import boto3

    bucket = settings.transcribe_bucket.removeprefix("s3://").split("/")[0]
    listing = boto3.client("s3", region_name="ap-northeast-1", endpoint_url=s3_url).list_objects_v2(
        Bucket=bucket
    )
    return [o["Key"] for o in listing.get("Contents", [])]


def test_audio_becomes_speaker_turns_through_s3_and_the_job(settings, fake, tmp_path, s3_url):
    audit = JsonlAuditSink(tmp_path / "audit.jsonl")
    turns = transcribe_audio(AUDIO, "会議.wav", settings, audit, classification=1, user="yamada",
                             client=_client(settings))  # fmt: skip
    assert [(t.index, t.speaker, t.text) for t in turns] == [
        (1, "話者1", "ただいまから会議を開会します。"),
        (2, "話者2", "予算について伺います。"),
    ]
    assert (turns[0].start, turns[1].start) == ("00:00:00", "00:00:04")
    start = next(r for r in fake.requests if r["operation"] == "StartTranscriptionJob")["body"]
    assert start["LanguageCode"] == "ja-JP" and start["MediaFormat"] == "wav"
    assert start["Settings"] == {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 10}
    assert start["Media"]["MediaFileUri"].startswith(f"s3://{settings.transcribe_bucket[5:]}/yakuba-minutes-")
    assert start["OutputKey"].startswith("meetings/") and start["OutputKey"].endswith("/transcript.json")
    polls = [r for r in fake.requests if r["operation"] == "GetTranscriptionJob"]
    assert len(polls) == 2  # IN_PROGRESS once, then COMPLETED
    assert _objects(settings, s3_url) == []  # the audio and the transcript do not stay in S3
    assert fake.jobs == {}  # nor the job
    (event,) = _audit(tmp_path)
    assert event["task"] == "transcribe" and event["backend"] == "aws/transcribe" and event["outcome"] == "ok"
    assert event["user"] == "yamada" and event["level"] == 1 and event["data_location"] == "japan"
    assert "予算" not in json.dumps(event, ensure_ascii=False)  # never the text


def test_a_classification_the_policy_keeps_inside_is_refused_before_any_upload(
    settings, fake, tmp_path, s3_url
):
    audit = JsonlAuditSink(tmp_path / "audit.jsonl")
    with pytest.raises(PolicyRefused) as caught:
        transcribe_audio(AUDIO, "会議.wav", settings, audit, classification=3, client=_client(settings))
    assert "機密性3" in caught.value.message and "Amazon Transcribe" in caught.value.message
    assert fake.requests == [] and _objects(settings, s3_url) == []
    (event,) = _audit(tmp_path)
    assert event["outcome"] == "refused" and event["level"] == 3


def test_policy_can_allow_level_three_where_the_location_is_listed(settings, fake, tmp_path):
    allowed = settings.model_copy(update={"classification_policy": {3: ["organisation", "japan"]}})
    turns = transcribe_audio(AUDIO, "a.mp3", allowed, JsonlAuditSink(tmp_path / "a.jsonl"), classification=3,
                             client=_client(allowed))  # fmt: skip
    assert len(turns) == 2


def test_a_failed_job_reports_its_reason_and_cleans_up(settings, fake, tmp_path, s3_url):
    fake.fail_next_job("Unsupported audio encoding.")
    with pytest.raises(TranscribeError) as caught:
        transcribe_audio(AUDIO, "a.wav", settings, JsonlAuditSink(tmp_path / "audit.jsonl"), classification=1,
                         client=_client(settings))  # fmt: skip
    assert "Unsupported audio encoding." in caught.value.message
    assert _objects(settings, s3_url) == []
    assert _audit(tmp_path)[0]["outcome"] == "error"


def test_the_same_audio_again_waits_for_the_running_job_instead_of_starting_twice(settings, fake):
    client = _client(settings)
    fake.polls_until_done = 1
    fake.jobs["yakuba-minutes-x"] = {}  # unrelated job left alone
    first = client.transcribe.start_transcription_job  # a job for this audio already started elsewhere
    import hashlib

    name = "yakuba-minutes-" + hashlib.sha256(AUDIO).hexdigest()[:32]
    bucket = settings.transcribe_bucket[5:].split("/")[0]
    client.s3.put_object(Bucket=bucket, Key=f"meetings/{name}/audio.wav", Body=AUDIO)
    first(TranscriptionJobName=name, LanguageCode="ja-JP", MediaFormat="wav",
          Media={"MediaFileUri": f"s3://{bucket}/meetings/{name}/audio.wav"}, OutputBucketName=bucket,
          OutputKey=f"meetings/{name}/transcript.json")  # fmt: skip
    document = client.run(AUDIO, "wav", 4)
    assert document["results"]["transcripts"][0]["transcript"].startswith("ただいま")
    starts = [r for r in fake.requests if r["operation"] == "StartTranscriptionJob"]
    assert len(starts) == 2 and "yakuba-minutes-x" in fake.jobs  # the second start met ConflictException


def test_cancel_stops_polling_and_removes_the_audio(settings, fake, tmp_path, s3_url):
    fake.polls_until_done = 100
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        transcribe_audio(AUDIO, "a.wav", settings, JsonlAuditSink(tmp_path / "audit.jsonl"), classification=1,
                         cancel=cancel, client=_client(settings))  # fmt: skip
    assert _objects(settings, s3_url) == []
    assert _audit(tmp_path)[0]["outcome"] == "cancelled"


def test_unsupported_audio_and_missing_configuration_are_explained(tmp_path, settings):
    audit = JsonlAuditSink(tmp_path / "audit.jsonl")
    with pytest.raises(UnsupportedFile, match="形式"):
        transcribe_audio(AUDIO, "a.txt", settings, audit, classification=1, client=_client(settings))
    with pytest.raises(TranscribeError, match="YAKUBA_TRANSCRIBE_BUCKET"):
        transcribe_audio(AUDIO, "a.wav", Settings(home=tmp_path), audit, classification=1)


def test_audio_segments_form_and_speaker_changes():
    document = {"results": {"audio_segments": [
        {"id": 0, "transcript": "開会します。", "start_time": "0.5", "end_time": "1.5", "speaker_label": "spk_0",
         "items": [0]},
        {"id": 1, "transcript": "続けます。", "start_time": "1.6", "end_time": "2.5", "speaker_label": "spk_0",
         "items": [1]},
        {"id": 2, "transcript": "質問です。", "start_time": "65", "end_time": "3700.2", "speaker_label": "spk_2",
         "items": [2]},
    ]}}  # fmt: skip
    turns = turns_from_transcript(document)
    assert [(t.speaker, t.text, t.start, t.end) for t in turns] == [
        ("話者1", "開会します。続けます。", "00:00:00", "00:00:02"),
        ("話者3", "質問です。", "00:01:05", "01:01:40"),
    ]


def test_older_output_takes_labels_from_speaker_segments():
    document = word_items([("spk_1", "はい", 0.1), ("spk_1", "。", 0.0), ("spk_0", "次", 1.0)])
    for item in document["results"]["items"]:
        item.pop("speaker_label", None)
    turns = turns_from_transcript(document)
    assert [(t.speaker, t.text) for t in turns] == [("話者2", "はい。"), ("話者1", "次")]
    assert speaker_name("spk_9") == "話者10" and speaker_name("") == "発言者不明"
