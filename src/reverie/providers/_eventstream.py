"""A sans-I/O decoder for the AWS event-stream binary framing (Bedrock streaming).

Shared by every wire Bedrock streams: :class:`BedrockFraming` reads the Anthropic events of
``invoke-with-response-stream``, :class:`ConverseFraming` the events of ``converse-stream``.

A frame is::

    total length (u32) | headers length (u32) | prelude CRC32 (u32)
    headers: name length (u8), name, value type (u8), value ...
    payload | message CRC32 (u32)

all big-endian; the prelude CRC covers the first 8 bytes, the message CRC everything before
it. :class:`EventStreamDecoder` takes bytes as they arrive (a frame may span reads, a read
may hold many frames) and yields whole :class:`Frame` objects; a bad length or CRC raises
:class:`~reverie.errors.ProtocolError`.

:func:`bedrock_event` turns one Bedrock invoke frame into the Anthropic event it carries
(the payload is ``{"bytes": "<base64 of the event JSON>"}``); :func:`converse_event` one
ConverseStream frame into ``{event type: payload}``. Both raise the typed error an
``exception`` or ``error`` frame reports (``throttlingException`` → rate limit, ...).
:class:`BedrockFraming` and :class:`ConverseFraming` are the two as a host's
:class:`~reverie.providers._host.Framing`.
"""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from reverie._redact import excerpt
from reverie.errors import ProtocolError, ProviderError
from reverie.providers._errors import error_from_event

_PRELUDE = 12
_MAX_FRAME = 24 * 1024 * 1024  # AWS's own limit is 16 MiB; anything larger is corruption.


@dataclass(frozen=True, slots=True)
class Frame:
    """One event-stream message: its headers (``:message-type``, ...) and payload."""

    headers: dict[str, Any]
    payload: bytes


class EventStreamDecoder:
    """Incremental decoder. Call :meth:`feed` per read and :meth:`close` at the end."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Frame]:
        """The frames completed by ``chunk``, in order."""
        self._buffer += chunk
        frames: list[Frame] = []
        while len(self._buffer) >= _PRELUDE:
            total, headers_len, prelude_crc = struct.unpack_from(">III", self._buffer)
            if zlib.crc32(self._buffer[:8]) != prelude_crc:
                raise ProtocolError("event stream: prelude checksum mismatch (corrupt frame)")
            if total > _MAX_FRAME or total < _PRELUDE + headers_len + 4:
                raise ProtocolError(f"event stream: impossible frame length {total}")
            if len(self._buffer) < total:
                break
            raw = bytes(self._buffer[:total])
            del self._buffer[:total]
            (message_crc,) = struct.unpack_from(">I", raw, total - 4)
            if zlib.crc32(raw[:-4]) != message_crc:
                raise ProtocolError("event stream: message checksum mismatch (corrupt frame)")
            headers = _headers(raw[_PRELUDE : _PRELUDE + headers_len])
            frames.append(Frame(headers, raw[_PRELUDE + headers_len : -4]))
        return frames

    def close(self) -> None:
        """End of stream: leftover bytes mean the last frame was cut off."""
        if self._buffer:
            raise ProtocolError(
                f"event stream: ended inside a frame ({len(self._buffer)} bytes left over)"
            )


def _headers(data: bytes) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    pos = 0
    try:
        while pos < len(data):
            name_len = data[pos]
            name = data[pos + 1 : pos + 1 + name_len].decode()
            pos += 1 + name_len
            kind = data[pos]
            pos += 1
            value: Any
            if kind in (0, 1):  # bool true / false, no value bytes
                value = kind == 0
            elif kind == 2:
                (value,) = struct.unpack_from(">b", data, pos)
                pos += 1
            elif kind == 3:
                (value,) = struct.unpack_from(">h", data, pos)
                pos += 2
            elif kind == 4:
                (value,) = struct.unpack_from(">i", data, pos)
                pos += 4
            elif kind in (5, 8):  # int64, timestamp (ms since epoch)
                (value,) = struct.unpack_from(">q", data, pos)
                pos += 8
            elif kind in (6, 7):  # bytes, string: u16 length
                (length,) = struct.unpack_from(">H", data, pos)
                raw = data[pos + 2 : pos + 2 + length]
                value = raw.decode() if kind == 7 else bytes(raw)
                pos += 2 + length
            elif kind == 9:
                value = uuid.UUID(bytes=bytes(data[pos : pos + 16]))
                pos += 16
            else:
                raise ProtocolError(f"event stream: unknown header value type {kind}")
            headers[name] = value
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise ProtocolError("event stream: malformed frame headers") from exc
    return headers


# Bedrock exception names, as the Anthropic error types our error mapping classifies.
_EXCEPTION_TYPES = {
    "throttlingException": "rate_limit_error",
    "serviceUnavailableException": "overloaded_error",
    "modelNotReadyException": "overloaded_error",
    "internalServerException": "api_error",
    "modelStreamErrorException": "api_error",
    "modelTimeoutException": "api_error",
    "validationException": "invalid_request_error",
}


def bedrock_event(frame: Frame, provider: str) -> dict[str, Any] | None:
    """The Anthropic event a Bedrock frame carries; None for frames without one.

    Raises the typed provider error of an ``exception`` or ``error`` frame, and
    ProtocolError for a payload that is not the documented shape.
    """
    raise_if_error(frame, provider)
    if frame.headers.get(":event-type", "chunk") != "chunk":
        return None
    try:
        envelope = orjson.loads(frame.payload)
        event = orjson.loads(base64.b64decode(envelope["bytes"], validate=True))
    except (orjson.JSONDecodeError, KeyError, TypeError, binascii.Error) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if isinstance(event, dict):
            return event  # pyright: ignore[reportUnknownVariableType]
        problem = "not a JSON object"
    # Raised outside the except: the decoding error would chain the payload (``.doc``).
    shown = excerpt(repr(frame.payload[:1024]), 200)
    raise ProtocolError(
        f"{provider}: event-stream payload is not {{'bytes': <base64 JSON object>}} "
        f"({excerpt(problem, 200)}): {shown}",
        line=shown,
    )


def converse_event(frame: Frame, provider: str) -> dict[str, Any] | None:
    """A ConverseStream frame as the event it carries, ``{event type: payload}``
    (``{"contentBlockDelta": {...}}``, the shape AWS's own SDKs give the event union); None
    for a frame without an event type. Raises as :func:`bedrock_event` does."""
    raise_if_error(frame, provider)
    name = frame.headers.get(":event-type")
    if not isinstance(name, str) or not name:
        return None
    try:
        payload: Any = orjson.loads(frame.payload) if frame.payload else {}
    except orjson.JSONDecodeError as exc:
        problem = f"is not JSON ({exc})"
    else:
        if isinstance(payload, dict):
            return {name: payload}
        problem = "is not a JSON object"
    # Raised outside the except: the decoding error would chain the payload (``.doc``).
    shown = excerpt(repr(frame.payload[:1024]), 200)
    raise ProtocolError(f"{provider}: the {name} event's payload {problem}: {shown}", line=shown)


def raise_if_error(frame: Frame, provider: str) -> None:
    """Raise the typed provider error an ``exception`` or ``error`` frame reports."""
    message_type = frame.headers.get(":message-type", "event")
    if message_type == "exception":
        name = str(frame.headers.get(":exception-type", "exception"))
        raise _frame_error(name, frame.payload, provider)
    if message_type == "error":
        code = str(frame.headers.get(":error-code", "error"))
        message = str(frame.headers.get(":error-message", ""))
        raise error_from_event(
            {"type": _EXCEPTION_TYPES.get(code, code), "message": message or code}, provider
        )


def _frame_error(name: str, payload: bytes, provider: str) -> ProviderError:
    message = ""
    try:
        data = orjson.loads(payload)
        if isinstance(data, dict):
            message = str(data.get("message") or data.get("Message") or "")  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    except orjson.JSONDecodeError:
        message = excerpt(payload.decode(errors="replace"), 300)
    return error_from_event(
        {"type": _EXCEPTION_TYPES.get(name, name), "message": f"{name}: {message}".rstrip(": ")},
        provider,
    )


class BedrockFraming:
    """A Bedrock ``invoke-with-response-stream`` body read as the Anthropic events its
    frames carry: the :class:`~reverie.providers._host.Framing` of the Bedrock host."""

    __slots__ = ("_frames", "_provider")

    event = staticmethod(bedrock_event)
    """How one frame becomes the event it carries (None: a frame without one)."""

    def __init__(self, provider: str) -> None:
        self._frames = EventStreamDecoder()
        self._provider = provider

    def feed(self, chunk: bytes) -> list[Mapping[str, Any]]:
        events = (self.event(frame, self._provider) for frame in self._frames.feed(chunk))
        return [event for event in events if event is not None]

    def close(self) -> list[Mapping[str, Any]]:
        self._frames.close()
        return []


class ConverseFraming(BedrockFraming):
    """A Bedrock ``converse-stream`` body read as ``{event type: payload}`` objects
    (:func:`converse_event`): the framing of the Bedrock Converse host."""

    __slots__ = ()

    event = staticmethod(converse_event)
