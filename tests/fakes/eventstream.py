"""Encoder for the `application/vnd.amazon.eventstream` binary framing (server side).

Hand-written because botocore ships only the decoder (`botocore.eventstream`), and the fake
Bedrock server must produce the bytes a real `converse_stream` response carries. Each message:

    total length (u32 BE) | headers length (u32 BE) | prelude CRC32 (u32 BE)
    headers | payload | message CRC32 (u32 BE, over everything before it)

Each header: name length (u8), name (UTF-8), value type (u8; 7 = string), value length
(u16 BE), value (UTF-8). Bedrock only sends string headers.
"""

from __future__ import annotations

import json
import struct
import zlib

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_STRING_HEADER_TYPE = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _string_header(name: str, value: str) -> bytes:
    raw_name = name.encode("utf-8")
    raw_value = value.encode("utf-8")
    return (
        struct.pack(">B", len(raw_name))
        + raw_name
        + struct.pack(">BH", _STRING_HEADER_TYPE, len(raw_value))
        + raw_value
    )


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One framed message with string headers and the given payload."""
    header_bytes = b"".join(_string_header(name, value) for name, value in headers.items())
    total_length = _PRELUDE.size + _CRC.size + len(header_bytes) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total_length, len(header_bytes))
    framed = prelude + _CRC.pack(zlib.crc32(prelude)) + header_bytes + payload
    return framed + _CRC.pack(zlib.crc32(framed))


def encode_event(event_type: str, body: dict) -> bytes:
    """A JSON event as Bedrock sends it, e.g. `encode_event("messageStart", {"role": "assistant"})`."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, json.dumps(body, ensure_ascii=False).encode("utf-8"))
