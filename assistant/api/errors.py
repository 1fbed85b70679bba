"""Every error the API returns, in one place: exception type → status code, English code and the
JSON body `{"error": code, "message": Japanese text}`.

Messages of 4xx errors come from the exception (written for the user); 5xx internal errors get a
fixed message, so nothing about the server's insides reaches a client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.schemas import ErrorBody
from core.errors import (
    AccessDenied,
    BackendUnavailable,
    Cancelled,
    ColumnMappingError,
    CorruptFile,
    FileTooLarge,
    IndexMismatch,
    IndexNotFound,
    IndexUnreachable,
    InvalidModelOutput,
    InvalidRecord,
    PolicyRefused,
    RecordConflict,
    RecordNotFound,
    TaskTimeout,
    UnknownBackendError,
    UnknownEmbedderError,
    UnsupportedFile,
    YakubaError,
)
from ingest.labels import LabelError

log = logging.getLogger(__name__)


class AuthenticationRequired(YakubaError):
    """No credentials, or credentials that do not identify an active user."""


class RateLimited(YakubaError):
    """Too many requests from one user; `retry_after` seconds until the next is accepted."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ChatTimeout(YakubaError):
    """The model did not answer within the chat timeout."""


class IngestFailed(YakubaError):
    """An upload of which no file could be ingested."""


class InvalidInput(YakubaError):
    """A request field the API checks itself (e.g. against a setting), answered like a validation error:
    422 `validation_error`, the Japanese `message` saying what to do, and `details` for developers."""

    def __init__(self, message: str, details: list[dict[str, Any]]):
        super().__init__(message)
        self.details = details


# Looked up along the exception's MRO, so the most specific entry wins.
ERROR_CODES: dict[type[YakubaError], tuple[int, str]] = {
    AuthenticationRequired: (401, "unauthorized"),
    AccessDenied: (403, "forbidden"),
    PolicyRefused: (403, "policy_refused"),
    RecordNotFound: (404, "not_found"),
    UnknownBackendError: (400, "unknown_backend"),
    UnknownEmbedderError: (500, "internal_error"),
    RecordConflict: (409, "conflict"),
    FileTooLarge: (413, "payload_too_large"),
    UnsupportedFile: (415, "unsupported_media_type"),
    CorruptFile: (422, "corrupt_file"),
    ColumnMappingError: (422, "column_mapping"),
    InvalidRecord: (422, "invalid_record"),
    IngestFailed: (422, "ingest_failed"),
    InvalidInput: (422, "validation_error"),
    RateLimited: (429, "rate_limited"),
    IndexUnreachable: (503, "index_unreachable"),
    IndexNotFound: (503, "index_not_found"),
    IndexMismatch: (503, "index_mismatch"),
    BackendUnavailable: (503, "backend_unavailable"),
    ChatTimeout: (504, "timeout"),
    TaskTimeout: (504, "timeout"),
    Cancelled: (503, "cancelled"),
    InvalidModelOutput: (502, "invalid_model_output"),
    LabelError: (422, "unprocessable"),
    YakubaError: (500, "internal_error"),  # every other error type: logged, generic message to the user
}

# Errors raised by Starlette itself (unknown URL, wrong method, body over the limit …).
HTTP_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "リクエストの形式に誤りがあります。"),
    404: ("not_found", "指定されたURLは見つかりません。"),
    405: ("method_not_allowed", "このURLでは、指定された操作を利用できません。"),
    413: (
        "payload_too_large",
        "送信されたデータが上限を超えています。内容を減らすか、ファイルを分けて送信してください。",
    ),
}
# Said instead of an error's own message when that message is not Japanese (some ingest and library errors are
# written in English for the CLI and the logs): the client still gets the code and a sentence it can show.
JAPANESE_FALLBACK = {
    "unknown_backend": "指定されたモデルは登録されていません。利用できるモデルはモデル一覧で確認してください。",
    "unauthorized": "認証に失敗しました。APIキーを確認してください。",
    "forbidden": "この操作を行う権限がありません。",
    "policy_refused": "機密性の区分により、指定されたモデルには送信できません。別のモデルを選択してください。",
    "not_found": "指定された対象は見つかりません。",
    "conflict": "対象がほかの操作で変更されています。最新の内容を読み込んでから、もう一度お試しください。",
    "payload_too_large": "送信されたデータが上限を超えています。内容を減らすか、ファイルを分けて送信してください。",
    "unsupported_media_type": "この形式のファイルは取り扱えません。PDF、Word、Excel等の形式で保存して送信してください。",
    "corrupt_file": "ファイルを読み取れませんでした。ファイルが破損していないか確認してください。",
    "column_mapping": "表の列を読み取れませんでした。見出し行の項目名を確認してください。",
    "invalid_record": "記録の内容に不足または誤りがあります。内容を確認してください。",
    "ingest_failed": "ファイルを登録できませんでした。ファイルの形式と内容を確認してください。",
    "validation_error": "入力内容に誤りがあります。項目の指定を確認してください。",
    "unprocessable": "アクセス区分の指定に誤りがあります。指定内容を確認してください。",
    "rate_limited": "短時間に多数のリクエストがありました。しばらく待ってから再度お試しください。",
    "invalid_model_output": "モデルの出力が指定の形式に適合しませんでした。別のモデルを選択してください。",
    "index_not_found": "検索対象の文書がまだ登録されていません。管理者に文書の登録を依頼してください。",
    "index_unreachable": "検索用の索引のデータベースに接続できません。しばらく待ってから再度お試しいただき、解消しない場合は管理者にお問い合わせください。",
    "index_mismatch": "検索用の索引が現在の設定と一致しません。管理者にお問い合わせください。",
    "backend_unavailable": "モデルから回答を得られませんでした。しばらく待ってから再度お試しください。",
    "cancelled": "処理は取り消されました。",
    "timeout": "処理が制限時間内に終わりませんでした。しばらく待ってから再度お試しください。",
}
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
PUBLIC_5XX = (502, 503, 504)  # unavailable or slow: the exception's message tells the user what to do
INTERNAL_MESSAGE = (
    "内部エラーが発生しました。時間をおいて再度お試しいただき、解決しない場合は管理者にお問い合わせください。"
)
VALIDATION_MESSAGE = "入力内容に誤りがあります。項目の指定を確認してください。"
# Japanese names of request fields, for the validation message (unlisted fields are named as sent).
FIELD_NAMES = {
    "message": "質問",
    "conversation_id": "会話",
    "backend": "モデル",
    "comment": "ご意見",
    "rating": "評価",
    "message_id": "回答",
    "query": "検索語",
    "k": "件数",
    "suite": "評価セット",
    "text": "照会文",
    "content": "照会内容",
    "state": "状態",
    "action": "操作",
    "format": "形式",
    "offset": "開始位置",
    "limit": "件数",
    "outcome": "結果",
    "user": "職員",
    "since": "開始日時",
    "until": "終了日時",
}
# What to do, by pydantic error type; {field} is the Japanese name, {max_length}/{min_length} from the context.
FIELD_PROBLEMS = {
    "missing": "「{field}」を指定してください",
    "extra_forbidden": "「{field}」は指定できない項目です",
    "string_too_long": "「{field}」は{max_length:,}文字以内で入力してください",
    "string_too_short": "「{field}」を入力してください",
    "too_long": "「{field}」は{max_length:,}件以内で指定してください",
    "json_invalid": "送信されたデータがJSONの形式になっていません",
    "int_parsing": "「{field}」は整数で指定してください",
    "int_from_float": "「{field}」は整数で指定してください",
    "greater_than_equal": "「{field}」は{ge:,}以上の値で指定してください",
    "greater_than": "「{field}」は{gt:,}より大きい値で指定してください",
    "less_than_equal": "「{field}」は{le:,}以下の値で指定してください",
    "less_than": "「{field}」は{lt:,}より小さい値で指定してください",
    "literal_error": "「{field}」は{expected}のいずれかで指定してください",
    "enum": "「{field}」は{expected}のいずれかで指定してください",
    "bool_parsing": "「{field}」はtrueまたはfalseで指定してください",
    "datetime_parsing": "「{field}」は日時（例: 2025-04-01T09:00:00+09:00）で指定してください",
    "datetime_from_date_parsing": "「{field}」は日時（例: 2025-04-01T09:00:00+09:00）で指定してください",
    "date_from_datetime_parsing": "「{field}」は日付（例: 2025-04-01）で指定してください",
    "string_type": "「{field}」は文字列で指定してください",
    "missing_argument": "「{field}」を指定してください",
}
FIELD_PROBLEM_DEFAULT = "「{field}」の値が正しくありません"
QUESTION_TOO_LONG = (
    "質問が長すぎます（{length:,}文字）。質問は{limit:,}文字以内で入力してください。"
    "長い資料について尋ねる場合は、要点を抜き出すか、質問を分けてください。"
)
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}

_DESCRIPTIONS = {
    400: "Bad request (e.g. an unknown backend address).",
    401: "Missing or invalid credentials.",
    403: "Forbidden (insufficient rights, or refused by the classification policy).",
    404: "Not found (also for resources of other users).",
    409: "Conflict with the record's current state (e.g. a draft changed or decided meanwhile).",
    413: "Request body or upload too large.",
    415: "Unsupported upload type.",
    422: "Invalid request fields, or an upload that could not be ingested.",
    429: "Rate limit exceeded; see the Retry-After header.",
    502: "The model's structured output did not match the schema, even after one retry.",
    503: "Index, database or model backends unavailable.",
    504: "The model did not answer in time.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these error statuses, all with the ErrorBody schema."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


def classify(exc: YakubaError) -> tuple[int, str]:
    return next(ERROR_CODES[cls] for cls in type(exc).__mro__ if cls in ERROR_CODES)


def error_payload(exc: YakubaError) -> tuple[int, dict[str, Any]]:
    """(status, body) for an error; also used for the `error` event of a streamed answer."""
    status, code = classify(exc)
    message = exc.message
    if status >= 500 and status not in PUBLIC_5XX:
        log.error("internal error: %s: %s", type(exc).__name__, exc.message)
        message = INTERNAL_MESSAGE
    elif not _JAPANESE.search(message or ""):
        log.info("%s (%s) said in English: %s", type(exc).__name__, code, message)
        message = JAPANESE_FALLBACK.get(code, INTERNAL_MESSAGE)
    details = getattr(exc, "details", None) if status < 500 else None
    return status, ErrorBody(error=code, message=message, details=details).model_dump(exclude_none=True)


def _headers(exc: YakubaError, status: int) -> dict[str, str] | None:
    if status == 401:
        return UNAUTHORIZED_HEADERS
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    return None


async def _yakuba_error(request: Request, exc: YakubaError) -> JSONResponse:
    status, body = error_payload(exc)
    return JSONResponse(body, status_code=status, headers=_headers(exc, status))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, message = HTTP_STATUS_ERRORS.get(
        exc.status_code, ("http_error", "リクエストを処理できませんでした。")
    )
    if exc.status_code >= 500:
        code, message = "internal_error", INTERNAL_MESSAGE
    body = ErrorBody(error=code, message=message).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]  # the offending input is not echoed back
    body = ErrorBody(error="validation_error", message=validation_message(exc.errors()), details=details)
    return JSONResponse(body.model_dump(), status_code=422)


def validation_message(errors: Any) -> str:
    """The Japanese message of a 422: the general sentence and, for up to three fields, what to do."""
    problems: list[str] = []
    for error in errors:
        names = [p for p in error.get("loc", ()) if isinstance(p, str) and p not in ("body", "query", "path")]
        field = FIELD_NAMES.get(names[-1], names[-1]) if names else "入力"
        template = FIELD_PROBLEMS.get(error.get("type", ""), FIELD_PROBLEM_DEFAULT)
        ctx = dict(error.get("ctx") or {})
        if isinstance(ctx.get("expected"), str):  # pydantic's "'a', 'b' or 'c'": listed without the "or"
            ctx["expected"] = ctx["expected"].replace(" or ", ", ")
        try:
            problem = template.format(field=field, **ctx)
        except (KeyError, ValueError, IndexError):
            problem = FIELD_PROBLEM_DEFAULT.format(field=field)
        if problem not in problems:
            problems.append(problem)
    if not problems:
        return VALIDATION_MESSAGE
    return f"入力内容に誤りがあります：{'、'.join(problems[:3])}。内容を確認して、もう一度お試しください。"


def check_question_length(message: str, limit: int) -> None:
    """POST /chat's limit on the question (the `max_question_chars` setting), said in Japanese."""
    if len(message) > limit:
        raise InvalidInput(
            QUESTION_TOO_LONG.format(length=len(message), limit=limit),
            [{"loc": ["body", "message"], "msg": f"String should have at most {limit} characters",
              "type": "string_too_long"}],
        )  # fmt: skip


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = ErrorBody(error="internal_error", message=INTERNAL_MESSAGE).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(YakubaError, _yakuba_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(JsonTooLargeMiddleware)


class JsonTooLargeMiddleware:
    """Gives the 413 that Starlette's body limit writes itself (plain text, sent before our
    handlers run when the Content-Length is over the limit) the API's JSON error body.

    Hand-written because Starlette's limiter has no hook for its response; it sits outside the
    per-router limits (`include_router(max_body_size=...)`) and only rewrites that one response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_json_413(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/plain"):
                    replaced = True
                    code, text = HTTP_STATUS_ERRORS[413]
                    body = ErrorBody(error=code, message=text).model_dump_json(exclude_none=True).encode()
                    headers = [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ]
                    await send({"type": "http.response.start", "status": 413, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
            if replaced:
                return  # the plain-text body of the replaced response
            await send(message)

        await self.app(scope, receive, send_json_413)
