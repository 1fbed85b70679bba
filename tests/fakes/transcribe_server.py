"""Fake Amazon Transcribe (batch jobs) speaking the AWS JSON 1.1 protocol on 127.0.0.1.

botocore sends `POST /` with `X-Amz-Target: Transcribe.<Operation>` and an `application/x-amz-json-1.1` body;
errors are a 400 with `{"__type": "<Code>", "Message": ...}`, which botocore turns into a `ClientError` (and the
client's modelled exception class). Operations: StartTranscriptionJob, GetTranscriptionJob,
DeleteTranscriptionJob.

A job reads its media from S3 (moto in server mode: give `s3_endpoint_url`) when it starts — a missing object
fails the job as Transcribe does — and stays IN_PROGRESS for `polls_until_done` GetTranscriptionJob calls
(counted, never timed), then writes the transcript JSON to `OutputBucketName`/`OutputKey` and is COMPLETED.
The transcript is the next one queued with `script_transcript(document)`, else a two-speaker Japanese default
in the `items` + `speaker_labels` form; `fail_next_job(reason)` makes the next job end FAILED.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any

from tests.fakes.scripted_server import FakeRequestHandler, ScriptedServer

JSON_11 = "application/x-amz-json-1.1"
_TARGET_PREFIX = "Transcribe."


def word_items(words: list[tuple[str, str, float]]) -> dict[str, Any]:
    """A transcript JSON (`results.items` with speaker labels) from (speaker label, word, start) triples."""
    items, segments = [], []
    for n, (label, word, start) in enumerate(words):
        punct = word in "、。？"
        item: dict[str, Any] = {
            "id": n,
            "type": "punctuation" if punct else "pronunciation",
            "alternatives": [{"confidence": "0.99" if not punct else "0.0", "content": word}],
        }
        if not punct:
            item.update(start_time=f"{start:.2f}", end_time=f"{start + 0.4:.2f}", speaker_label=label)
            segments.append({"start_time": item["start_time"], "end_time": item["end_time"], "speaker_label": label,
                             "items": [{"start_time": item["start_time"], "end_time": item["end_time"],
                                        "speaker_label": label}]})  # fmt: skip
        items.append(item)
    text = "".join(w for _, w, _ in words)
    speakers = len({label for label, _, _ in words})
    return {
        "jobName": "",
        "accountId": "123456789012",
        "status": "COMPLETED",
        "results": {
            "transcripts": [{"transcript": text}],
            "speaker_labels": {"channel_label": "ch_0", "speakers": speakers, "segments": segments},
            "items": items,
        },
    }


DEFAULT_WORDS = [
    ("spk_0", "ただいま", 0.5), ("spk_0", "から", 1.0), ("spk_0", "会議", 1.4), ("spk_0", "を", 1.8),
    ("spk_0", "開会", 2.0), ("spk_0", "し", 2.4), ("spk_0", "ます", 2.6), ("spk_0", "。", 3.0),
    ("spk_1", "予算", 4.0), ("spk_1", "について", 4.5), ("spk_1", "伺い", 5.0), ("spk_1", "ます", 5.4),
    ("spk_1", "。", 5.8),
]  # fmt: skip


class FakeTranscribe(ScriptedServer):
    """Fake Amazon Transcribe batch jobs (JSON 1.1) on 127.0.0.1."""

    error_kinds = ("throttle",)

    def __init__(
        self, *args: Any, s3_endpoint_url: str | None = None, polls_until_done: int = 2, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.s3_endpoint_url = s3_endpoint_url
        self.polls_until_done = polls_until_done
        self.jobs: dict[str, dict[str, Any]] = {}
        self._transcripts: deque[dict[str, Any]] = deque()
        self._failures_next: deque[str] = deque()
        self._jobs_lock = threading.Lock()

    def script_transcript(self, document: dict[str, Any]) -> None:
        self._transcripts.append(document)

    def fail_next_job(self, reason: str) -> None:
        self._failures_next.append(reason)

    def _s3(self) -> Any:
        import boto3

        return boto3.client("s3", region_name="ap-northeast-1", endpoint_url=self.s3_endpoint_url)

    def handle(self, handler: FakeRequestHandler, method: str) -> None:
        target = handler.headers.get("X-Amz-Target", "")
        raw = handler.read_body()
        operation = target.removeprefix(_TARGET_PREFIX)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        failure = self.admit(handler, operation, body)
        if failure is not None:
            _error(handler, 400, "LimitExceededException", "You have exceeded your service limit.")
            return
        if method != "POST" or not target.startswith(_TARGET_PREFIX):
            _error(handler, 400, "UnknownOperationException", "Unknown operation.")
            return
        answer = {"StartTranscriptionJob": self._start, "GetTranscriptionJob": self._get,
                  "DeleteTranscriptionJob": self._delete}.get(operation)  # fmt: skip
        if answer is None:
            _error(handler, 400, "UnknownOperationException", f"Unknown operation {operation}.")
            return
        try:
            handler.send_json(200, answer(body))
        except _Error as exc:
            _error(handler, 400, exc.code, exc.message)

    # --- operations ------------------------------------------------------------------------------------------
    def _start(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("TranscriptionJobName")
        media = (body.get("Media") or {}).get("MediaFileUri", "")
        if not name or not media or not (body.get("LanguageCode") or body.get("IdentifyLanguage")):
            raise _Error("BadRequestException", "TranscriptionJobName, Media and LanguageCode are required.")
        settings = body.get("Settings") or {}
        if "MaxSpeakerLabels" in settings and not settings.get("ShowSpeakerLabels"):
            raise _Error(
                "BadRequestException", "ShowSpeakerLabels must be true when MaxSpeakerLabels is set."
            )
        with self._jobs_lock:
            if name in self.jobs:
                raise _Error(
                    "ConflictException", "The requested job name already exists. Use a different job name."
                )
            job = {
                "TranscriptionJobName": name, "TranscriptionJobStatus": "IN_PROGRESS",
                "LanguageCode": body.get("LanguageCode"), "MediaFormat": body.get("MediaFormat"),
                "Media": {"MediaFileUri": media}, "Settings": settings, "CreationTime": time.time(),
                "StartTime": time.time(),
            }  # fmt: skip
            self.jobs[name] = job
            self.jobs[name]["_request"] = body
            self.jobs[name]["_polls"] = 0
        bucket, _, key = media.removeprefix("s3://").partition("/")
        try:
            self._s3().head_object(Bucket=bucket, Key=key)
        except Exception:
            job.update(
                TranscriptionJobStatus="FAILED", FailureReason="The media file could not be read from S3."
            )
        return {"TranscriptionJob": _public(job)}

    def _get(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self._job(body)
        with self._jobs_lock:
            job["_polls"] += 1
            finish = job["TranscriptionJobStatus"] == "IN_PROGRESS" and job["_polls"] >= self.polls_until_done
        if finish:
            self._finish(job)
        return {"TranscriptionJob": _public(job)}

    def _delete(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self._job(body)
        with self._jobs_lock:
            self.jobs.pop(job["TranscriptionJobName"], None)
        return {}

    def _job(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self.jobs.get(body.get("TranscriptionJobName", ""))
        if job is None:
            raise _Error(
                "BadRequestException",
                "The requested job couldn't be found. Check the job name and try again.",
            )
        return job

    def _finish(self, job: dict[str, Any]) -> None:
        if self._failures_next:
            job.update(TranscriptionJobStatus="FAILED", FailureReason=self._failures_next.popleft())
            return
        request = job["_request"]
        document = self._transcripts.popleft() if self._transcripts else word_items(DEFAULT_WORDS)
        document = {**document, "jobName": job["TranscriptionJobName"]}
        bucket = request.get("OutputBucketName")
        key = request.get("OutputKey") or f"{job['TranscriptionJobName']}.json"
        if bucket:
            self._s3().put_object(
                Bucket=bucket, Key=key, Body=json.dumps(document, ensure_ascii=False).encode()
            )
            uri = f"https://s3.ap-northeast-1.amazonaws.com/{bucket}/{key}"
        else:
            uri = f"https://fake-transcribe-output.example/{key}"
        job.update(
            TranscriptionJobStatus="COMPLETED",
            CompletionTime=time.time(),
            Transcript={"TranscriptFileUri": uri},
        )


class _Error(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _error(handler: FakeRequestHandler, status: int, code: str, message: str) -> None:
    handler.send_json(status, {"__type": code, "Message": message})


if __name__ == "__main__":
    from tests.fakes.scripted_server import run_cli

    run_cli(FakeTranscribe)
