"""The wire protocols the fault-injection suite runs against, one table entry each.

A :class:`Wire` knows how to make a model pointed at the scripted server and how its
provider frames a streamed answer: text deltas, the events that end a stream correctly,
an in-band error, and a non-streamed JSON answer. The generic cases in
``test_faults.py`` run over every entry; adding Anthropic Messages, Gemini or Responses
is one more entry here.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from reverie.model import LanguageModel
from reverie.providers import get_model
from reverie.timeouts import Timeouts

FAKE_KEY = "sk-reverie-FAKE-0123456789abcdefSECRET"


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE event; ``data`` is JSON-encoded unless it is already bytes or str."""
    if isinstance(data, bytes):
        payload = data
    elif isinstance(data, str):
        payload = data.encode()
    else:
        payload = orjson.dumps(data)
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + payload + b"\n\n"


@dataclass(frozen=True)
class Wire:
    name: str
    make_model: Callable[[str, Timeouts | None], LanguageModel]
    text: Callable[[Sequence[str]], list[bytes]]
    """Frames that stream these text deltas (no terminal frames)."""
    end: Callable[[], list[bytes]]
    """Frames that end a text answer correctly (finish reason, usage, terminator)."""
    error_event: Callable[[str, str], bytes]
    """An in-band error frame of the given provider error type and message."""
    json_answer: Callable[[str], bytes]
    """A whole non-streamed answer with this text."""
    stream_type: str = "text/event-stream"
    """The content type of a streamed answer."""

    def stream(self, *deltas: str) -> list[bytes]:
        return [*self.text(deltas), *self.end()]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------
# OpenAI Chat Completions (and every OpenAI-compatible host)


def _chat_chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any):
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [choice],
        **extra,
    }


def _chat_model(base_url: str, timeouts: Timeouts | None) -> LanguageModel:
    return get_model("openai-compatible:m", base_url=base_url, api_key=FAKE_KEY, timeouts=timeouts)


def _chat_text(deltas: Sequence[str]) -> list[bytes]:
    frames = [sse(_chat_chunk({"role": "assistant", "content": ""}))]
    frames += [sse(_chat_chunk({"content": d})) for d in deltas]
    return frames


def _chat_end() -> list[bytes]:
    usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
    return [
        sse(_chat_chunk(finish="stop")),
        sse({"id": "chatcmpl-1", "choices": [], "usage": usage}),
        sse("[DONE]"),
    ]


def _chat_error(kind: str, message: str) -> bytes:
    return sse({"error": {"message": message, "type": kind, "code": None}})


def _chat_json(text: str) -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        }
    )


OPENAI_CHAT = Wire(
    name="openai-chat",
    make_model=_chat_model,
    text=_chat_text,
    end=_chat_end,
    error_event=_chat_error,
    json_answer=_chat_json,
)

# ---------------------------------------------------------------------------------------
# Gemini streamGenerateContent (alt=sse): no terminator, the finish reason ends a stream


def _gemini_model(base_url: str, timeouts: Timeouts | None) -> LanguageModel:
    return get_model("google:gemini-test", base_url=base_url, api_key=FAKE_KEY, timeouts=timeouts)


def _gemini_text(deltas: Sequence[str]) -> list[bytes]:
    return [
        sse({"candidates": [{"content": {"role": "model", "parts": [{"text": d}]}, "index": 0}]})
        for d in deltas
    ]


_GEMINI_USAGE = {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}


def _gemini_end() -> list[bytes]:
    return [
        sse({"candidates": [{"finishReason": "STOP", "index": 0}], "usageMetadata": _GEMINI_USAGE})
    ]


# Gemini reports gRPC status names, not OpenAI-style types.
_GEMINI_STATUS = {
    "server_error": (500, "INTERNAL"),
    "overloaded_error": (503, "UNAVAILABLE"),
    "invalid_request_error": (400, "INVALID_ARGUMENT"),
}


def _gemini_error(kind: str, message: str) -> bytes:
    code, status = _GEMINI_STATUS[kind]
    return sse({"error": {"code": code, "message": message, "status": status}})


def _gemini_json(text: str) -> bytes:
    return orjson.dumps(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _GEMINI_USAGE,
        }
    )


GEMINI = Wire(
    name="gemini",
    make_model=_gemini_model,
    text=_gemini_text,
    end=_gemini_end,
    error_event=_gemini_error,
    json_answer=_gemini_json,
)

# ---------------------------------------------------------------------------------------
# Anthropic Messages: named events, message_stop ends a stream


def _anthropic_model(base_url: str, timeouts: Timeouts | None) -> LanguageModel:
    return get_model(
        "anthropic:claude-test", base_url=base_url, api_key=FAKE_KEY, timeouts=timeouts
    )


def _anthropic_text(deltas: Sequence[str]) -> list[bytes]:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 5, "output_tokens": 1},
        },
    }
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    frames = [sse(start, "message_start"), sse(block, "content_block_start")]
    frames += [
        sse(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}},
            "content_block_delta",
        )
        for d in deltas
    ]
    return frames


def _anthropic_end() -> list[bytes]:
    return [
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 3},
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]


_ANTHROPIC_TYPE = {"server_error": "api_error"}


def _anthropic_error(kind: str, message: str) -> bytes:
    error = {"type": _ANTHROPIC_TYPE.get(kind, kind), "message": message}
    return sse({"type": "error", "error": error}, "error")


def _anthropic_json(text: str) -> bytes:
    return orjson.dumps(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": 3},
        }
    )


ANTHROPIC = Wire(
    name="anthropic",
    make_model=_anthropic_model,
    text=_anthropic_text,
    end=_anthropic_end,
    error_event=_anthropic_error,
    json_answer=_anthropic_json,
)


# ---------------------------------------------------------------------------------------
# OpenAI Responses: typed events, response.completed ends a stream


def _responses_model(base_url: str, timeouts: Timeouts | None) -> LanguageModel:
    return get_model(
        "openai:gpt-test",
        api="responses",
        base_url=base_url,
        api_key=FAKE_KEY,
        timeouts=timeouts,
    )


def _responses_text(deltas: Sequence[str]) -> list[bytes]:
    created = {
        "type": "response.created",
        "response": {
            "id": "resp_1",
            "object": "response",
            "status": "in_progress",
            "model": "m",
            "output": [],
        },
    }
    added = {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {
            "id": "msg_1",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        },
    }
    frames = [sse(created, "response.created"), sse(added, "response.output_item.added")]
    frames += [
        sse(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": d,
            },
            "response.output_text.delta",
        )
        for d in deltas
    ]
    return frames


def _responses_end() -> list[bytes]:
    done = {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {
            "id": "msg_1",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [],
        },
    }
    completed = {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "model": "m",
            "output": [],
            "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        },
    }
    return [sse(done, "response.output_item.done"), sse(completed, "response.completed")]


def _responses_error(kind: str, message: str) -> bytes:
    return sse({"type": "error", "code": kind, "message": message, "param": None}, "error")


def _responses_json(text: str) -> bytes:
    return orjson.dumps(
        {
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "model": "m",
            "output": [
                {
                    "id": "msg_1",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            ],
            "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        }
    )


RESPONSES = Wire(
    name="responses",
    make_model=_responses_model,
    text=_responses_text,
    end=_responses_end,
    error_event=_responses_error,
    json_answer=_responses_json,
)

WIRES: tuple[Wire, ...] = (OPENAI_CHAT, GEMINI, ANTHROPIC, RESPONSES)


# ---------------------------------------------------------------------------------------
# Anthropic Messages on Bedrock: the same events in AWS event-stream binary frames


def event_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream frame with string headers (both CRCs computed)."""
    raw_headers = b""
    for name, value in headers.items():
        encoded = value.encode()
        raw_headers += bytes([len(name)]) + name.encode() + b"\x07"
        raw_headers += struct.pack(">H", len(encoded)) + encoded
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def bedrock_chunk(event: Any) -> bytes:
    """A Bedrock ``chunk`` frame carrying one Anthropic event."""
    payload = orjson.dumps({"bytes": base64.b64encode(orjson.dumps(event)).decode()})
    headers = {":event-type": "chunk", ":content-type": "application/json"}
    return event_frame({**headers, ":message-type": "event"}, payload)


def _sse_to_frames(frames: list[bytes]) -> list[bytes]:
    """The Anthropic SSE frames of this module re-framed for Bedrock."""
    out: list[bytes] = []
    for frame in frames:
        data = frame.split(b"data: ", 1)[1].rstrip(b"\n")
        out.append(bedrock_chunk(orjson.loads(data)))
    return out


_BEDROCK_EXCEPTION = {
    "server_error": "internalServerException",
    "overloaded_error": "serviceUnavailableException",
    "invalid_request_error": "validationException",
}


def _bedrock_model(base_url: str, timeouts: Timeouts | None) -> LanguageModel:
    return get_model(
        "bedrock:anthropic.claude-test",
        base_url=base_url,
        api_key=FAKE_KEY,
        region="us-east-1",
        timeouts=timeouts,
    )


def _bedrock_error(kind: str, message: str) -> bytes:
    name = _BEDROCK_EXCEPTION.get(kind, kind)
    headers = {":exception-type": name, ":message-type": "exception"}
    return event_frame(headers, orjson.dumps({"message": message}))


BEDROCK = Wire(
    name="bedrock",
    make_model=_bedrock_model,
    text=lambda deltas: _sse_to_frames(_anthropic_text(deltas)),
    end=lambda: _sse_to_frames(_anthropic_end()),
    error_event=_bedrock_error,
    json_answer=_anthropic_json,
    stream_type="application/vnd.amazon.eventstream",
)

# ---------------------------------------------------------------------------------------
# The gateways: Chat Completions framing, their own model classes and options


def _gateway(provider: str) -> Wire:
    def make(base_url: str, timeouts: Timeouts | None) -> LanguageModel:
        return get_model(
            f"{provider}:vendor/m", base_url=base_url, api_key=FAKE_KEY, timeouts=timeouts
        )

    return Wire(
        name=provider,
        make_model=make,
        text=_chat_text,
        end=_chat_end,
        error_event=_chat_error,
        json_answer=_chat_json,
    )


OPENROUTER = _gateway("openrouter")
VERCEL = _gateway("vercel")

EVERY_WIRE: tuple[Wire, ...] = (*WIRES, BEDROCK, OPENROUTER, VERCEL)
"""Every wire and host framing reverie speaks; the redaction suite runs over all of them."""
