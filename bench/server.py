"""A fast OpenAI-compatible SSE server on 127.0.0.1 for the benchmark.

Every response is rendered once, up front, so serving costs the server almost nothing and
the client under test dominates. The scenario is chosen by the request's ``model``:

- ``text-N``: a text stream of N chunks (one short token each), then usage and ``[DONE]``;
- ``tool-N``: one tool call whose arguments arrive in N fragments;
- ``seed``: the seed conversation (two tool calls at once; after the tool results, a text
  answer), chosen by whether the request carries tool results.

Responses use chunked transfer encoding, one HTTP chunk per SSE event, as providers send
them; each response is written at once, so the client reads it as fast as it can (the
same bytes for every client, whatever segments the kernel delivers). Run it in its own
process (``serve_forever``) so its CPU is not counted against the client.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from functools import cache

# Tokens cycle through a few words: some clients (litellm) abort a stream that repeats one
# chunk many times, as a stuck model would.
WORDS = ("alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ")
ARG_FRAGMENT = "ab"
CHUNK_ID = "chatcmpl-bench"


def _event(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _chunk(delta: dict[str, object], finish: str | None = None, usage: object = None) -> bytes:
    body: dict[str, object] = {
        "id": CHUNK_ID,
        "object": "chat.completion.chunk",
        "created": 1761231236,
        "model": "bench",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return _event(body)


USAGE = {"prompt_tokens": 408, "completion_tokens": 59, "total_tokens": 467}


def text_events(n: int) -> list[bytes]:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": WORDS[i % len(WORDS)]}) for i in range(n)]
    events.append(_chunk({}, "stop", USAGE))
    events.append(b"data: [DONE]\n\n")
    return events


def tool_events(n: int) -> list[bytes]:
    events = [
        _chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "echo", "arguments": ""},
                    }
                ],
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"text": "'}}]}),
    ]
    events += [
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": ARG_FRAGMENT}}]})
        for _ in range(n)
    ]
    events.append(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"}'}}]}))
    events.append(_chunk({}, "tool_calls", USAGE))
    events.append(b"data: [DONE]\n\n")
    return events


def seed_events(after_tools: bool) -> list[bytes]:
    if not after_tools:
        return [
            _chunk({"role": "assistant"}),
            _chunk(
                {
                    "tool_calls": [
                        {
                            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
                            "type": "function",
                            "id": "ab8048658",
                            "index": 0,
                        },
                        {
                            "function": {"name": "multiply", "arguments": '{"a": 2, "b": 3}'},
                            "type": "function",
                            "id": "b249e0b3f",
                            "index": 1,
                        },
                    ]
                }
            ),
            _chunk({}, "tool_calls", USAGE),
            b"data: [DONE]\n\n",
        ]
    words = "The sum of 2 and 3 is 5, and the product of 2 and 3 is 6.".split(" ")
    events = [_chunk({"role": "assistant"})]
    events += [_chunk({"content": (" " if i else "") + w}) for i, w in enumerate(words)]
    events.append(_chunk({}, "stop", USAGE))
    events.append(b"data: [DONE]\n\n")
    return events


def expected_text(n: int) -> str:
    return "".join(WORDS[i % len(WORDS)] for i in range(n))


def expected_arguments(n: int) -> str:
    return '{"text": "' + ARG_FRAGMENT * n + '"}'


SEED_ANSWER = "The sum of 2 and 3 is 5, and the product of 2 and 3 is 6."


@cache
def _rendered(model: str, after_tools: bool) -> bytes:
    if model.startswith("text-"):
        events = text_events(int(model.split("-")[1]))
    elif model.startswith("tool-"):
        events = tool_events(int(model.split("-")[1]))
    else:
        events = seed_events(after_tools)
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
    )
    body = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events)
    return head + body + b"0\r\n\r\n"


_MODEL = re.compile(rb'"model"\s*:\s*"([^"]+)"')


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            match = _MODEL.search(body)
            model = match.group(1).decode() if match else "text-10"
            writer.write(_rendered(model, b'"tool_call_id"' in body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(sock: socket.socket) -> None:
    server = await asyncio.start_server(_handle, sock=sock, backlog=4096)
    async with server:
        await server.serve_forever()


def serve_forever(sock: socket.socket) -> None:
    """Serve on an already bound, listening socket (the parent picks the port)."""
    asyncio.run(_serve(sock))
