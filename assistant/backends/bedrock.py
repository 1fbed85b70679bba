"""Amazon Bedrock chat backends (`bedrock/<alias>`) through langchain-aws `ChatBedrockConverse`.

Aliases map to model IDs or inference profiles in configuration (`bedrock_models`,
`bedrock_extra_models`). The data location follows the inference-profile prefix: `jp.` keeps
requests in Tokyo/Osaka, `apac.`/`au.` may leave Japan, `global.` (and US/EU profiles) may go
anywhere; a bare model ID runs in the configured region. boto3 is imported only when a backend is
built or probed.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field

from assistant.backends.base import Backend, BackendSpec
from core.errors import UnknownBackendError
from core.policy import check_location

if TYPE_CHECKING:
    from assistant.config import Settings

_PREFIX_LOCATIONS = {"jp": "japan", "apac": "apac", "au": "apac", "global": "global"}
_OTHER_GEO_PREFIXES = {"us", "us-gov", "eu", "ca", "sa", "amer"}  # outside Japan and Asia-Pacific
_JAPAN_REGIONS = {"ap-northeast-1", "ap-northeast-3"}

_TRANSIENT_CODES = {
    "throttlingexception",
    "toomanyrequestsexception",
    "serviceunavailableexception",
    "serviceunavailable",
    "internalserverexception",
    "modelnotreadyexception",
    "modeltimeoutexception",
    "modelstreamerrorexception",
}


_NO_OUTPUT = "No 'output' key found in the response from the Bedrock Converse API"


class BedrockModelEntry(BaseModel):
    """One entry of `bedrock_extra_models`."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(description="Model ID, inference profile ID or ARN.")
    data_location: str | None = Field(None, description="organisation | japan | apac | global.")
    provider: str | None = Field(None, description="Model vendor (anthropic, amazon …); needed for ARNs.")
    input_per_mtok: float | None = Field(None, description="USD per 1M input tokens.")
    output_per_mtok: float | None = Field(None, description="USD per 1M output tokens.")


def location_for(model_id: str, region: str) -> str:
    """Where Bedrock processes requests for `model_id` called from `region` (conservative)."""
    if model_id.startswith("arn:"):
        parts = model_id.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        if resource.startswith("application-inference-profile/"):
            return "global"  # its regions are not visible in the ARN: configure data_location
        return location_for(resource.partition("/")[2], parts[3] if len(parts) > 3 else region)
    prefix = model_id.split(".", 1)[0].lower()
    if prefix in _PREFIX_LOCATIONS:
        return _PREFIX_LOCATIONS[prefix]
    if prefix in _OTHER_GEO_PREFIXES:
        return "global"
    if region in _JAPAN_REGIONS:
        return "japan"
    return "apac" if region.startswith("ap-") else "global"


def _entries(settings: Settings) -> dict[str, BedrockModelEntry]:
    entries = {alias: BedrockModelEntry(model_id=mid) for alias, mid in settings.bedrock_models.items()}
    for alias, raw in settings.bedrock_extra_models.items():
        entries[alias] = BedrockModelEntry.model_validate(raw)
    return entries


def _spec(settings: Settings, alias: str, entry: BedrockModelEntry) -> BackendSpec:
    address = f"bedrock/{alias}"
    location = entry.data_location or location_for(entry.model_id, settings.aws_region)
    return BackendSpec(
        address=address,
        provider="bedrock",
        model_id=entry.model_id,
        mode="llm",
        data_location=check_location(location, f"bedrock_extra_models[{alias}]"),
        input_per_mtok=entry.input_per_mtok,
        output_per_mtok=entry.output_per_mtok,
    )


def runtime_client(settings: Settings) -> Any:
    """A bedrock-runtime client with our timeouts; botocore's own retries are off (the router retries)."""
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=settings.aws_region,
        connect_timeout=settings.backend_connect_timeout_seconds,
        read_timeout=settings.backend_timeout_seconds,
        retries={"total_max_attempts": 1, "mode": "standard"},
        # one client serves every concurrent call of the shared router: as many connections as chat workers
        max_pool_connections=max(10, settings.chat_workers),
    )
    return boto3.client(
        "bedrock-runtime",
        region_name=settings.aws_region,
        endpoint_url=settings.bedrock_endpoint_url,
        config=config,
    )


def is_transient(exc: BaseException) -> bool:
    """Throttling, 5xx, timeouts, broken connections and event-stream frames damaged in transit are worth
    retrying; the rest are not."""
    from botocore.eventstream import ParserError
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from urllib3.exceptions import ProtocolError

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "")).lower()
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in _TRANSIENT_CODES or status == 429 or status >= 500
    # A ConverseStream body cut off mid-stream surfaces as urllib3's ProtocolError (botocore does not wrap it
    # while iterating an event stream); a frame with a bad checksum or length as botocore's ParserError. A Converse
    # body cut short or not JSON is parsed by botocore as a response without `output`, which langchain-aws
    # reports only as this ValueError (no exception type of its own).
    if isinstance(exc, ValueError) and str(exc).startswith(_NO_OUTPUT):
        return True
    return isinstance(
        exc,
        BotoConnectionError | HTTPClientError | ProtocolError | ParserError | ConnectionError | TimeoutError,
    )


class BedrockProvider:
    name = "bedrock"

    def specs(self, settings: Settings) -> list[BackendSpec]:
        return [_spec(settings, alias, entry) for alias, entry in _entries(settings).items()]

    def spec(self, settings: Settings, name: str) -> BackendSpec:
        entries = _entries(settings)
        if name not in entries:
            raise UnknownBackendError(
                f"Bedrock のモデル「{name}」は設定されていません。利用できるのは "
                f"{', '.join('bedrock/' + a for a in entries)} です。別のモデル ID を使う場合は、"
                "管理者が YAKUBA_BEDROCK_EXTRA_MODELS に登録してください。"
            )
        return _spec(settings, name, entries[name])

    def create(self, settings: Settings, spec: BackendSpec) -> Backend:
        from langchain_aws import ChatBedrockConverse

        from assistant.backends.chat import ChatModelBackend

        alias = spec.address.partition("/")[2]
        entry = _entries(settings)[alias]
        options: dict[str, Any] = {"provider": entry.provider} if entry.provider else {}
        model = ChatBedrockConverse(
            model=spec.model_id,
            client=runtime_client(settings),
            region_name=settings.aws_region,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            **options,
        )
        return ChatModelBackend(spec, model, is_transient)

    def probe(
        self, settings: Settings, specs: list[BackendSpec], timeout: float
    ) -> dict[str, tuple[bool | None, str | None]]:
        status = _probe(settings, timeout)
        return {spec.address: status for spec in specs}


def _probe(settings: Settings, timeout: float) -> tuple[bool, str | None]:
    """Credentials present (without calling AWS) and the runtime endpoint accepts a TCP connection."""
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("metadata_service_timeout", timeout)
    session.set_config_variable("metadata_service_num_attempts", 1)
    if session.get_credentials() is None:
        return False, (
            "AWS の認証情報が見つかりません。IAM ロールまたはプロファイルを設定してください"
            "（管理者にお問い合わせください）。"
        )
    url = settings.bedrock_endpoint_url or f"https://bedrock-runtime.{settings.aws_region}.amazonaws.com"
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError:
        return (
            False,
            f"Bedrock の接続先（{host}:{port}）に接続できません。ネットワークの設定を確認してください。",
        )
    return True, None


PROVIDER = BedrockProvider()
