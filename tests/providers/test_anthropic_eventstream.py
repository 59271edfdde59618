"""The AWS event-stream decoder (Bedrock streaming), from bytes built here."""

from __future__ import annotations

import base64
import random
import struct
import uuid
import zlib
from typing import Any

import orjson
import pytest

from reverie.errors import (
    InvalidRequestError,
    OverloadedError,
    ProtocolError,
    RateLimitError,
    ServerError,
)
from reverie.providers._anthropic.stream import MessagesStreamDecoder
from reverie.providers._eventstream import EventStreamDecoder, Frame, bedrock_event


def header(name: str, kind: int, value: bytes) -> bytes:
    encoded = name.encode()
    return bytes([len(encoded)]) + encoded + bytes([kind]) + value


def string_header(name: str, value: str) -> bytes:
    raw = value.encode()
    return header(name, 7, struct.pack(">H", len(raw)) + raw)


def frame(headers: bytes, payload: bytes) -> bytes:
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_frame(event: dict[str, Any]) -> bytes:
    headers = (
        string_header(":event-type", "chunk")
        + string_header(":content-type", "application/json")
        + string_header(":message-type", "event")
    )
    payload = orjson.dumps({"bytes": base64.b64encode(orjson.dumps(event)).decode()})
    return frame(headers, payload)


def exception_frame(name: str, message: str) -> bytes:
    headers = string_header(":exception-type", name) + string_header(":message-type", "exception")
    return frame(headers, orjson.dumps({"message": message}))


EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 16}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Olá! 👋"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 18}},
    {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 16}},
]
BODY = b"".join(chunk_frame(e) for e in EVENTS)


def decode(pieces: list[bytes]) -> list[Frame]:
    decoder = EventStreamDecoder()
    frames: list[Frame] = []
    for piece in pieces:
        frames.extend(decoder.feed(piece))
    decoder.close()
    return frames


def test_frames_carry_the_anthropic_events() -> None:
    frames = decode([BODY])
    assert len(frames) == len(EVENTS)
    assert frames[0].headers == {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert [bedrock_event(f, "bedrock") for f in frames] == EVENTS


@pytest.mark.parametrize("seed", range(6))
def test_any_chunking_gives_the_same_frames(seed: int) -> None:
    rng = random.Random(seed)
    pieces: list[bytes] = []
    pos = 0
    while pos < len(BODY):
        size = rng.randint(1, 64)
        pieces.append(BODY[pos : pos + size])
        pos += size
    assert decode(pieces) == decode([BODY])
    assert decode([BODY[i : i + 1] for i in range(len(BODY))]) == decode([BODY])


def test_the_events_drive_the_messages_decoder_to_a_finish() -> None:
    decoder = MessagesStreamDecoder("bedrock")
    for f in decode([BODY]):
        event = bedrock_event(f, "bedrock")
        assert event is not None
        decoder.feed(event)
    (finish,) = decoder.finish()
    assert finish.type == "finish"
    assert (finish.usage.input_tokens, finish.usage.output_tokens) == (16, 18)


def test_a_corrupt_checksum_is_a_protocol_error() -> None:
    broken = bytearray(BODY)
    broken[40] ^= 0xFF
    with pytest.raises(ProtocolError, match="checksum"):
        decode([bytes(broken)])
    prelude = bytearray(BODY)
    prelude[2] ^= 0x01
    with pytest.raises(ProtocolError, match="prelude"):
        decode([bytes(prelude)])


def test_a_stream_cut_inside_a_frame_is_a_protocol_error() -> None:
    decoder = EventStreamDecoder()
    frames = decoder.feed(BODY[:-5])
    assert len(frames) == len(EVENTS) - 1
    with pytest.raises(ProtocolError, match="left over"):
        decoder.close()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("throttlingException", RateLimitError),
        ("serviceUnavailableException", OverloadedError),
        ("internalServerException", ServerError),
        ("modelStreamErrorException", ServerError),
        ("validationException", InvalidRequestError),
    ],
)
def test_exception_frames_raise_typed_errors(name: str, error: type[Exception]) -> None:
    (f,) = decode([exception_frame(name, "went wrong")])
    with pytest.raises(error, match="went wrong"):
        bedrock_event(f, "bedrock")


def test_every_header_value_type_decodes() -> None:
    uid = uuid.uuid4()
    headers = (
        header("t", 0, b"")
        + header("f", 1, b"")
        + header("b", 2, struct.pack(">b", -3))
        + header("s", 3, struct.pack(">h", 300))
        + header("i", 4, struct.pack(">i", 70000))
        + header("l", 5, struct.pack(">q", 2**40))
        + header("raw", 6, struct.pack(">H", 2) + b"\x00\x01")
        + string_header("str", "x")
        + header("ts", 8, struct.pack(">q", 1700000000000))
        + header("id", 9, uid.bytes)
    )
    (f,) = decode([frame(headers, b"")])
    assert f.headers == {
        "t": True,
        "f": False,
        "b": -3,
        "s": 300,
        "i": 70000,
        "l": 2**40,
        "raw": b"\x00\x01",
        "str": "x",
        "ts": 1700000000000,
        "id": uid,
    }


def test_a_payload_that_is_not_the_bedrock_envelope_is_a_protocol_error() -> None:
    headers = string_header(":event-type", "chunk") + string_header(":message-type", "event")
    (f,) = decode([frame(headers, b'{"nope": 1}')])
    with pytest.raises(ProtocolError, match="bytes"):
        bedrock_event(f, "bedrock")


def test_frames_of_other_event_types_carry_nothing() -> None:
    headers = string_header(":event-type", "initial-response") + string_header(
        ":message-type", "event"
    )
    (f,) = decode([frame(headers, b"{}")])
    assert bedrock_event(f, "bedrock") is None
