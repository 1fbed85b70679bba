"""Audio → speaker turns through Amazon Transcribe (batch, ja-JP, speaker labels), an optional path.

Only where the meeting's 機密性 allows Transcribe's data location (`settings.transcribe_data_location`, checked
against `settings.classification_policy` by `core.policy`, like a model call): otherwise nothing is uploaded and
`PolicyRefused` carries the reason in Japanese. Every attempt is audited like a model call (task "transcribe",
backend "aws/transcribe", outcome ok / refused / error), never with the audio or the text.

Steps (Amazon Transcribe API, 2017-10-26): the audio is put in S3 under `settings.transcribe_bucket`
(`s3://bucket/prefix`); `StartTranscriptionJob` with LanguageCode ja-JP, `Media.MediaFileUri`, `MediaFormat`,
`OutputBucketName`/`OutputKey` (the transcript JSON is written beside the audio) and
`Settings.ShowSpeakerLabels` with `MaxSpeakerLabels` (2–30; ShowSpeakerLabels must be true when it is set);
`GetTranscriptionJob` is polled until `TranscriptionJobStatus` is COMPLETED or FAILED (`FailureReason`); the
transcript JSON is read back and both S3 objects are deleted. The job name is derived from the audio's hash, so a
retry of the same audio finds the job already started (ConflictException) and waits for it instead of paying twice.

Transcript JSON: `results.audio_segments` (each with `speaker_label`, `transcript`, `start_time`, `end_time`)
when present; otherwise `results.items` (`type` pronunciation / punctuation, `alternatives[0].content`,
`start_time`, `end_time`, `speaker_label` — or the labels of `results.speaker_labels.segments[].items` matched by
start time in older outputs). Consecutive speech of one speaker is one turn; `spk_0` becomes 「話者1」. Japanese
words are joined without spaces. boto3 is imported only when a client is built.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.tasks.minutes_models import Turn
from core.errors import Cancelled, PolicyRefused, UnsupportedFile, YakubaError
from core.policy import LOCATION_LABELS, allows

if TYPE_CHECKING:
    import threading

    from assistant.audit import AuditSink
    from assistant.config import Settings

ADDRESS = "aws/transcribe"
LANGUAGE = "ja-JP"
MEDIA_FORMATS = ("mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a")
MAX_SPEAKERS = (2, 30)  # MaxSpeakerLabels bounds
TERMINAL = frozenset({"COMPLETED", "FAILED"})


class TranscribeError(YakubaError):
    """Transcription could not be used or did not finish (configuration, failed job)."""


def speaker_name(label: str) -> str:
    """`spk_0` → 「話者1」 (the clerk renames speakers afterwards)."""
    number = label.rsplit("_", 1)[-1]
    return f"話者{int(number) + 1}" if number.isdigit() else label or "発言者不明"


def _hms(seconds: str | float | None) -> str | None:
    if seconds in (None, ""):
        return None
    total = int(float(seconds))  # type: ignore[arg-type]
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _join(words: list[str], spaced: bool) -> str:
    return (" " if spaced else "").join(words).replace(" 、", "、").replace(" 。", "。").strip()


def turns_from_transcript(document: dict[str, Any], language: str = LANGUAGE) -> list[Turn]:
    """Speaker turns from a Transcribe transcript JSON (see the module docstring for the forms read)."""
    results = document.get("results") or {}
    spaced = not language.startswith(("ja", "zh"))
    pieces: list[tuple[str, str, str | None, str | None]] = []  # (speaker label, text, start, end)
    segments = results.get("audio_segments")
    if segments:
        pieces = [
            (s.get("speaker_label") or "", s.get("transcript") or "", s.get("start_time"), s.get("end_time"))
            for s in segments
        ]
    else:
        by_start = {
            i.get("start_time"): i.get("speaker_label")
            for s in (results.get("speaker_labels") or {}).get("segments") or []
            for i in s.get("items") or []
        }
        label = ""
        for item in results.get("items") or []:
            content = ((item.get("alternatives") or [{}])[0]).get("content") or ""
            if item.get("type") == "pronunciation":
                label = item.get("speaker_label") or by_start.get(item.get("start_time")) or label
            pieces.append((label, content, item.get("start_time"), item.get("end_time")))
    turns: list[Turn] = []
    words: list[str] = []
    current: tuple[str, str | None, str | None] | None = None  # (label, start, end)

    def close() -> None:
        text = _join(words, spaced and not segments)
        if current is not None and text:
            turns.append(Turn(index=len(turns) + 1, speaker=speaker_name(current[0]), text=text,
                              start=_hms(current[1]), end=_hms(current[2])))  # fmt: skip

    for label, text, start, end in pieces:
        if current is None or label != current[0]:
            close()
            words, current = [], (label, start, end)
        words.append(text)
        current = (current[0], current[1], end or current[2])
    close()
    return turns


def media_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in MEDIA_FORMATS:
        raise UnsupportedFile(
            f"音声ファイル「{Path(name).name}」の形式は文字起こしに使えません。"
            f"使える形式: {', '.join(MEDIA_FORMATS)}"
        )
    return suffix


def check_policy(settings: Settings, classification: int) -> None:
    """Raise PolicyRefused unless audio of this 機密性 may be processed where Transcribe runs."""
    location = settings.transcribe_data_location
    if not allows(settings.classification_policy, classification, location, ADDRESS):
        raise PolicyRefused(
            f"機密性{classification}の会議の音声は、Amazon Transcribe（処理場所: {LOCATION_LABELS.get(location, location)}）"
            "に送信できません。文字起こしを庁内で作成し、テキストとして指定してください。"
        )


class TranscribeClient:
    """S3 upload, the Transcribe job and its transcript JSON; `sleep` and the poll intervals are injectable."""

    def __init__(
        self,
        settings: Settings,
        *,
        poll_seconds: float = 5.0,
        max_poll_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not settings.transcribe_bucket:
            raise TranscribeError(
                "音声の文字起こしを使うには、管理者が YAKUBA_TRANSCRIBE_BUCKET（音声を置く S3 の場所）を設定する必要があります。"
            )
        import boto3

        self.bucket, _, prefix = settings.transcribe_bucket.removeprefix("s3://").partition("/")
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.poll_seconds, self.max_poll_seconds, self._sleep = poll_seconds, max_poll_seconds, sleep
        region = settings.aws_region
        self.s3 = boto3.client("s3", region_name=region, endpoint_url=settings.s3_endpoint_url)
        self.transcribe = boto3.client(
            "transcribe", region_name=region, endpoint_url=settings.transcribe_endpoint_url
        )

    def run(
        self,
        audio: bytes,
        fmt: str,
        max_speakers: int,
        check: Callable[[], None] = lambda: None,
    ) -> dict[str, Any]:
        """Upload, start (or find) the job, wait, and return the transcript JSON; S3 objects are then deleted."""
        name = "yakuba-minutes-" + hashlib.sha256(audio).hexdigest()[:32]
        media_key, output_key = f"{self.prefix}{name}/audio.{fmt}", f"{self.prefix}{name}/transcript.json"
        self.s3.put_object(Bucket=self.bucket, Key=media_key, Body=audio)
        status = None
        try:
            try:
                self.transcribe.start_transcription_job(
                    TranscriptionJobName=name,
                    LanguageCode=LANGUAGE,
                    MediaFormat=fmt,
                    Media={"MediaFileUri": f"s3://{self.bucket}/{media_key}"},
                    OutputBucketName=self.bucket,
                    OutputKey=output_key,
                    Settings={"ShowSpeakerLabels": True, "MaxSpeakerLabels": max_speakers},
                )
            except self.transcribe.exceptions.ConflictException:
                pass  # the same audio was sent before: wait for that job
            job = self.wait(name, check)
            status = job["TranscriptionJobStatus"]
            if status != "COMPLETED":
                reason = job.get("FailureReason") or "理由は示されていません"
                raise TranscribeError(
                    f"音声の文字起こしに失敗しました（{reason}）。音声ファイルを確認してください。"
                )
            body = self.s3.get_object(Bucket=self.bucket, Key=output_key)["Body"].read()
            return json.loads(body)
        finally:  # the audio and its text do not stay in S3, whatever happened
            for key in (media_key, output_key):
                self.s3.delete_object(Bucket=self.bucket, Key=key)
            if status in TERMINAL:
                self.transcribe.delete_transcription_job(TranscriptionJobName=name)

    def wait(self, name: str, check: Callable[[], None]) -> dict[str, Any]:
        """Poll GetTranscriptionJob until COMPLETED or FAILED, waiting longer each time (×1.5 up to the max)."""
        delay = self.poll_seconds
        while True:
            job = self.transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
            if job["TranscriptionJobStatus"] in TERMINAL:
                return job
            check()
            self._sleep(delay)
            delay = min(self.max_poll_seconds, delay * 1.5)


def transcribe_audio(
    audio: bytes,
    filename: str,
    settings: Settings,
    audit: AuditSink,
    *,
    classification: int,
    user: str | None = None,
    max_speakers: int = 10,
    cancel: threading.Event | None = None,
    client: TranscribeClient | None = None,
) -> list[Turn]:
    """Speaker turns of `audio` (policy-checked and audited; see the module docstring)."""
    started = time.monotonic()
    event: dict[str, Any] = {
        "user": user, "task": "transcribe", "requested": ADDRESS, "backend": ADDRESS, "model_id": LANGUAGE,
        "mode": "asr", "data_location": settings.transcribe_data_location, "level": classification,
        "reason": "会議音声の文字起こし（Amazon Transcribe）", "masked": {}, "chunk_ids": [],
        "usage": {"audio_bytes": len(audio)}, "cost": None,
    }  # fmt: skip

    def check() -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("処理は取り消されました。")

    try:
        check_policy(settings, classification)
        fmt = media_format(filename)
        speakers = min(max(max_speakers, MAX_SPEAKERS[0]), MAX_SPEAKERS[1])
        document = (client or TranscribeClient(settings)).run(audio, fmt, speakers, check)
        turns = turns_from_transcript(document)
        if not turns:
            raise TranscribeError("音声から発言を読み取れませんでした。音声ファイルを確認してください。")
    except Exception as exc:
        outcome = {PolicyRefused: "refused", Cancelled: "cancelled"}.get(type(exc), "error")
        message = exc.message if isinstance(exc, YakubaError) else f"internal error: {type(exc).__name__}"
        audit.record({**event, "outcome": outcome, "error": message, "latency_ms": _ms(started)})
        if isinstance(exc, YakubaError):
            raise
        raise TranscribeError(
            "音声の文字起こしサービスに接続できませんでした。しばらく待ってから再度お試しください。"
        ) from exc
    audit.record({**event, "outcome": "ok", "error": None, "latency_ms": _ms(started), "turns": len(turns)})
    return turns


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
