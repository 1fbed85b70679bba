"""Fake Amazon Bedrock batch inference (the control plane's model invocation jobs), served by `FakeBedrock`.

Operations (REST-JSON paths as botocore's "bedrock" client builds them):
  POST /model-invocation-job                      CreateModelInvocationJob -> {"jobArn"}
  GET  /model-invocation-job/{jobIdentifier}      GetModelInvocationJob (ARN, URL-encoded, or job id)
  GET  /model-invocation-jobs                     ListModelInvocationJobs (statusEquals, nameContains,
                                                  sortOrder, maxResults/nextToken)
  POST /model-invocation-job/{jobIdentifier}/stop StopModelInvocationJob

A job reads its input JSONL from S3 (the fake talks to an S3 endpoint such as moto's server through boto3),
goes Submitted -> Validating -> InProgress -> Completed after `delay_seconds`, and writes, as Bedrock
documents it, `<output s3Uri>/<job id>/<input file name>.out` (one line per record: recordId, modelInput and
modelOutput, or an `error` object {errorCode, errorMessage}) plus `manifest.json.out` with the counts.
A job with fewer than `min_records` records fails in validation, as the service quota "Minimum number of
records per batch inference job" (100 by default) makes the real service do.

Model outputs follow the InvokeModel response body of the model family of the record: the Anthropic Messages
API (`anthropic_version` in the record; `tools` + `tool_choice` answered with one `tool_use` block) or Amazon
Nova (`messages` with `{"text"}` blocks; `toolConfig` answered with one `toolUse` block). Tool inputs come
from the server's `script_structured` queue, else are synthesised from the tool's JSON schema; texts from
`script`, else a reply quoting the first source of the prompt.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.scripted_server import Reply, StructuredReply
from tests.fakes.synthetic import cited_reply, estimate_tokens, first_source_sentence, object_for_schema

if TYPE_CHECKING:
    from tests.fakes.scripted_server import FakeRequestHandler, ScriptedServer

ACCOUNT = "123456789012"
ANTHROPIC_VERSION = "bedrock-2023-05-31"
TERMINAL = ("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired")


class ControlPlaneError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ControlPlaneError(400, "ValidationException", f"Invalid S3 URI: {uri}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


class BatchJobs:
    """The batch inference jobs of one fake server, with the knobs tests turn."""

    def __init__(
        self,
        server: ScriptedServer,
        errors: dict[str, tuple[int, str, str]],
        s3_endpoint_url: str | None = None,
        region: str = "ap-northeast-1",
    ):
        self.server = server
        self.errors = errors  # failure kind (`fail_next`) -> (status, code, message)
        self.s3_endpoint_url = s3_endpoint_url
        self.region = region
        self.delay_seconds = 0.2  # Submitted -> Completed
        self.min_records = 100
        self.jobs: dict[str, dict[str, Any]] = {}  # job id -> GetModelInvocationJob body
        self._record_errors: dict[str, tuple[int, str]] = {}
        self._job_failures: list[str] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # --- knobs -----------------------------------------------------------------------------------
    def fail_record(self, record_id: str, code: int = 400, message: str = "Malformed input request.") -> None:
        """The record `record_id` (in any later job) ends with an `error` object instead of modelOutput."""
        with self._lock:
            self._record_errors[record_id] = (code, message)

    def fail_next_job(self, message: str = "Internal error while processing the job.") -> None:
        """The next job created ends Failed with `message` and writes no output."""
        with self._lock:
            self._job_failures.append(message)

    def wait_idle(self, timeout: float = 10.0) -> None:
        for thread in list(self._threads):
            thread.join(timeout)

    # --- HTTP ------------------------------------------------------------------------------------
    def handles(self, path: str) -> bool:
        return path.startswith("/model-invocation-job")

    def handle(self, handler: FakeRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        parts = url.path.split("/")
        raw = handler.read_body()
        body = json.loads(raw) if raw else {}
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if method == "POST" and url.path == "/model-invocation-job":
            operation, run = "CreateModelInvocationJob", lambda: self._create(body)
        elif method == "GET" and url.path == "/model-invocation-jobs":
            operation, run = "ListModelInvocationJobs", lambda: self._list(parse_qs(url.query))
        elif method == "GET" and len(parts) == 3:
            operation, run = "GetModelInvocationJob", lambda: self._job(unquote(parts[2]))
        elif method == "POST" and len(parts) == 4 and parts[3] == "stop":
            operation, run = "StopModelInvocationJob", lambda: self._stop(unquote(parts[2]))
        else:
            operation, run = "Unknown", None
        failure = self.server.admit(handler, operation, body)
        try:
            if run is None:
                raise ControlPlaneError(404, "UnknownOperationException", "Unknown operation.")
            if failure is not None:
                raise ControlPlaneError(*self.errors[failure])
            result = run()
        except ControlPlaneError as error:
            headers["x-amzn-ErrorType"] = error.code
            handler.send_json(error.status, {"message": error.message}, headers)
            return
        handler.send_json(200, result, headers)

    # --- operations ------------------------------------------------------------------------------
    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        for field in ("jobName", "roleArn", "modelId", "inputDataConfig", "outputDataConfig"):
            if not body.get(field):
                raise ControlPlaneError(400, "ValidationException", f"{field} is required.")
        token = body.get("clientRequestToken")
        with self._lock:
            for job in self.jobs.values():
                if token and job.get("clientRequestToken") == token:
                    return {"jobArn": job["jobArn"]}  # idempotent retry
                if job["jobName"] == body["jobName"]:
                    raise ControlPlaneError(
                        409, "ConflictException", f"A job named {body['jobName']} already exists."
                    )
            job_id = uuid.uuid4().hex[:12]
            now = _now()
            job = {
                "jobArn": f"arn:aws:bedrock:{self.region}:{ACCOUNT}:model-invocation-job/{job_id}",
                "jobName": body["jobName"],
                "modelId": body["modelId"],
                "roleArn": body["roleArn"],
                "status": "Submitted",
                "submitTime": now,
                "lastModifiedTime": now,
                "inputDataConfig": body["inputDataConfig"],
                "outputDataConfig": body["outputDataConfig"],
                "modelInvocationType": body.get("modelInvocationType", "InvokeModel"),
                **({"clientRequestToken": token} if token else {}),
                **(
                    {"timeoutDurationInHours": body["timeoutDurationInHours"]}
                    if "timeoutDurationInHours" in body
                    else {}
                ),
            }
            self.jobs[job_id] = job
            failure = self._job_failures.pop(0) if self._job_failures else None
        thread = threading.Thread(target=self._run, args=(job_id, failure), daemon=True)
        self._threads.append(thread)
        thread.start()
        return {"jobArn": job["jobArn"]}

    def _find(self, identifier: str) -> dict[str, Any]:
        job_id = identifier.rsplit("/", 1)[-1]
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise ControlPlaneError(404, "ResourceNotFoundException", f"Job {identifier} not found.")
        return job

    def _job(self, identifier: str) -> dict[str, Any]:
        job = self._find(identifier)
        with self._lock:
            return dict(job)

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        status = (query.get("statusEquals") or [None])[0]
        name = (query.get("nameContains") or [None])[0]
        with self._lock:
            jobs = [dict(j) for j in self.jobs.values()]
        jobs = [
            j for j in jobs if (not status or j["status"] == status) and (not name or name in j["jobName"])
        ]
        jobs.sort(
            key=lambda j: j["submitTime"],
            reverse=(query.get("sortOrder") or ["Descending"])[0] != "Ascending",
        )
        start = int((query.get("nextToken") or ["0"])[0])
        size = int((query.get("maxResults") or ["1000"])[0])
        page = jobs[start : start + size]
        result: dict[str, Any] = {"invocationJobSummaries": page}
        if start + size < len(jobs):
            result["nextToken"] = str(start + size)
        return result

    def _stop(self, identifier: str) -> dict[str, Any]:
        job = self._find(identifier)
        with self._lock:
            if job["status"] in TERMINAL:
                raise ControlPlaneError(
                    400, "ValidationException", f"Job in status {job['status']} cannot be stopped."
                )
            self._set(job, "Stopping")
        return {}

    # --- the job ---------------------------------------------------------------------------------
    def _set(self, job: dict[str, Any], status: str, **fields: Any) -> None:
        job.update(status=status, lastModifiedTime=_now(), **fields)
        if status in TERMINAL:
            job["endTime"] = job["lastModifiedTime"]

    def _stopping(self, job: dict[str, Any]) -> bool:
        with self._lock:
            if job["status"] == "Stopping":
                self._set(job, "Stopped")
                return True
            return False

    def _run(self, job_id: str, failure: str | None) -> None:
        job = self.jobs[job_id]
        step = self.delay_seconds / 3
        with self._lock:
            self._set(job, "Validating")
        time.sleep(step)
        if self._stopping(job):
            return
        try:
            files = self._read_input(job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"])
        except ControlPlaneError as error:
            with self._lock:
                self._set(job, "Failed", message=error.message)
            return
        total = sum(len(records) for _, records in files)
        if total < self.min_records:
            with self._lock:
                self._set(
                    job,
                    "Failed",
                    message=f"The number of records in the input files ({total}) is less than the minimum "
                    f"number of records per batch inference job ({self.min_records}).",
                )
            return
        with self._lock:
            self._set(job, "InProgress", totalRecordCount=total, processedRecordCount=0)
        time.sleep(step)
        if failure is not None:
            with self._lock:
                self._set(job, "Failed", message=failure)
            return
        if self._stopping(job):
            return
        out_bucket, out_prefix = _split_s3(job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])
        folder = f"{out_prefix.rstrip('/')}/{job_id}/".lstrip("/")
        counts = {"success": 0, "error": 0, "input": 0, "output": 0}
        for name, records in files:
            lines = [self._answer(job["modelId"], record, counts) for record in records]
            body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
            self._s3().put_object(Bucket=out_bucket, Key=f"{folder}{name}.out", Body=body.encode("utf-8"))
        manifest = {
            "totalRecordCount": total,
            "processedRecordCount": total,
            "successRecordCount": counts["success"],
            "errorRecordCount": counts["error"],
            "inputTokenCount": counts["input"],
            "outputTokenCount": counts["output"],
        }
        self._s3().put_object(Bucket=out_bucket, Key=f"{folder}manifest.json.out", Body=json.dumps(manifest))
        time.sleep(step)
        with self._lock:
            if job["status"] == "Stopping":
                self._set(job, "Stopped")
            else:
                self._set(
                    job,
                    "Completed",
                    processedRecordCount=total,
                    successRecordCount=counts["success"],
                    errorRecordCount=counts["error"],
                )

    def _s3(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.s3_endpoint_url, region_name=self.region)

    def _read_input(self, uri: str) -> list[tuple[str, list[dict[str, Any]]]]:
        """(file name, records) per input JSONL file: the object itself, or every .jsonl under a prefix."""
        bucket, key = _split_s3(uri)
        s3 = self._s3()
        try:
            if key.endswith(".jsonl"):
                keys = [key]
            else:
                listed = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents") or []
                keys = sorted(o["Key"] for o in listed if o["Key"].endswith(".jsonl"))
            files = []
            for name in keys:
                text = s3.get_object(Bucket=bucket, Key=name)["Body"].read().decode("utf-8")
                records = [json.loads(line) for line in text.splitlines() if line.strip()]
                files.append((name.rsplit("/", 1)[-1], records))
        except ValueError as exc:
            raise ControlPlaneError(400, "ValidationException", f"Invalid JSONL input: {exc}") from exc
        except Exception as exc:  # botocore errors: no access, no such bucket
            raise ControlPlaneError(400, "ValidationException", f"Cannot read the input: {exc}") from exc
        if not files:
            raise ControlPlaneError(400, "ValidationException", "No .jsonl input file was found.")
        return files

    def _answer(self, model_id: str, record: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
        record_id = record.get("recordId") or uuid.uuid4().hex[:11].upper()
        model_input = record.get("modelInput") or {}
        line: dict[str, Any] = {"recordId": record_id, "modelInput": model_input}
        with self._lock:
            scripted_error = self._record_errors.get(record_id)
        try:
            if scripted_error is not None:
                raise ControlPlaneError(scripted_error[0], "", scripted_error[1])
            if "anthropic." in model_id:
                line["modelOutput"] = self._anthropic(model_input, counts)
            elif "amazon.nova" in model_id:
                line["modelOutput"] = self._nova(model_input, counts)
            else:
                raise ControlPlaneError(400, "", "The fake supports Anthropic Claude and Amazon Nova models.")
        except ControlPlaneError as error:
            counts["error"] += 1
            line["error"] = {"errorCode": error.status, "errorMessage": error.message}
            return line
        counts["success"] += 1
        return line

    # --- model families --------------------------------------------------------------------------
    def _anthropic(self, body: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
        if body.get("anthropic_version") != ANTHROPIC_VERSION or not body.get("messages"):
            raise ControlPlaneError(
                400, "", "Malformed input request: anthropic_version and messages are required."
            )
        if not isinstance(body.get("max_tokens"), int):
            raise ControlPlaneError(
                400, "", "Malformed input request: #: required key [max_tokens] not found"
            )
        prompt = _anthropic_text(body)
        content: list[dict[str, Any]]
        if body.get("tools"):
            name, schema = _anthropic_tool(body)
            structured = self.server.next_structured() or StructuredReply(
                object_for_schema(schema, cited_reply(first_source_sentence(prompt)))
            )
            valid, document = structured.document
            if valid:
                tool_id = f"toolu_bdrk_{uuid.uuid4().hex[:24]}"
                content, stop, out_text = (
                    [{"type": "tool_use", "id": tool_id, "name": name, "input": document}],
                    "tool_use",
                    structured.arguments_text,
                )
            else:
                content, stop, out_text = (
                    [{"type": "text", "text": structured.arguments_text}],
                    "end_turn",
                    structured.arguments_text,
                )
            usage = _tokens(structured, prompt, out_text)
        else:
            reply = self.server.next_reply() or Reply(cited_reply(first_source_sentence(prompt)))
            content, stop, usage = (
                [{"type": "text", "text": reply.text}],
                "end_turn",
                _tokens(reply, prompt, reply.text),
            )
        counts["input"] += usage[0]
        counts["output"] += usage[1]
        return {
            "id": f"msg_bdrk_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
        }

    def _nova(self, body: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
        if not body.get("messages"):
            raise ControlPlaneError(400, "", "Malformed input request: messages is required.")
        prompt = "\n".join(b.get("text", "") for b in body.get("system") or [])
        for message in body["messages"]:
            prompt += "\n".join(b.get("text", "") for b in message.get("content") or [])
        config = body.get("toolConfig") or {}
        specs = [t["toolSpec"] for t in config.get("tools") or [] if "toolSpec" in t]
        if specs:
            forced = ((config.get("toolChoice") or {}).get("tool") or {}).get("name")
            spec = next((s for s in specs if s.get("name") == forced), specs[0])
            schema = (spec.get("inputSchema") or {}).get("json") or {}
            structured = self.server.next_structured() or StructuredReply(
                object_for_schema(schema, cited_reply(first_source_sentence(prompt)))
            )
            valid, document = structured.document
            tool_use = {
                "toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}",
                "name": spec.get("name"),
                "input": document,
            }
            content = [{"toolUse": tool_use}] if valid else [{"text": structured.arguments_text}]
            stop, usage = (
                ("tool_use" if valid else "end_turn"),
                _tokens(structured, prompt, structured.arguments_text),
            )
        else:
            reply = self.server.next_reply() or Reply(cited_reply(first_source_sentence(prompt)))
            content, stop, usage = [{"text": reply.text}], "end_turn", _tokens(reply, prompt, reply.text)
        counts["input"] += usage[0]
        counts["output"] += usage[1]
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": {"inputTokens": usage[0], "outputTokens": usage[1], "totalTokens": sum(usage)},
        }


def _anthropic_text(body: dict[str, Any]) -> str:
    system = body.get("system") or ""
    texts = [system if isinstance(system, str) else "\n".join(b.get("text", "") for b in system)]
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        else:
            texts += [b.get("text", "") for b in content or [] if b.get("type") == "text"]
    return "\n".join(texts)


def _anthropic_tool(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    tools = body["tools"]
    for tool in tools:
        if not tool.get("name") or not isinstance(tool.get("input_schema"), dict) or "type" in tool:
            raise ControlPlaneError(
                400, "", "Malformed input request: #/tools/0: invalid custom tool definition"
            )
    forced = (body.get("tool_choice") or {}).get("name")
    tool = next((t for t in tools if t["name"] == forced), tools[0])
    return tool["name"], tool["input_schema"]


def _tokens(reply: Reply | StructuredReply, prompt: str, output: str) -> tuple[int, int]:
    return (
        reply.input_tokens if reply.input_tokens is not None else estimate_tokens(prompt),
        reply.output_tokens if reply.output_tokens is not None else estimate_tokens(output),
    )
