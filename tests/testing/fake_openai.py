"""A real HTTP server on 127.0.0.1 that speaks enough OpenAI Chat Completions for tests.

It answers ``POST /v1/chat/completions`` like a provider would: with a ``weather`` tool
call when tools are offered and no tool result came back yet, else with text; as JSON, or
as a chunked ``text/event-stream`` when ``"stream": true``. Any other path echoes the
request (method, query, body) as JSON. Every request it receives is kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                owner.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": raw}
                )
                if urlsplit(self.path).path != "/v1/chat/completions":
                    self._json({"path": self.path, "echo": raw.decode()})
                    return
                body = json.loads(raw)
                if body.get("stream"):
                    self._stream(body)
                else:
                    self._json(_completion(body))

            def _json(self, data: Any) -> None:
                payload = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-Request-Id", "req-123")
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in _chunks(body):
                    data = f"data: {json.dumps(event)}\n\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                    time.sleep(0.005)
                done = b"data: [DONE]\n\n"
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _wants_tool(body: dict[str, Any]) -> bool:
    messages = body.get("messages", [])
    return bool(body.get("tools")) and not any(m.get("role") == "tool" for m in messages)


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    if _wants_tool(body):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"location":"Florence"}'},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": _answer(body)}
        finish = "stop"
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _answer(body: dict[str, Any]) -> str:
    if any(m.get("role") == "tool" for m in body.get("messages", [])):
        return "The weather in Florence is 40 C. Olá!"
    return "Olá! Tudo bem?"


def _chunks(body: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1}
    base["model"] = body.get("model")
    out: list[dict[str, Any]] = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
    ]
    if _wants_tool(body):
        call = {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": "weather", "arguments": ""},
        }
        out.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
        for piece in ('{"location":', '"Florence"}'):
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            out.append({**base, "choices": [{"index": 0, "delta": delta}]})
        finish = "tool_calls"
    else:
        for word in _answer(body).split(" "):
            out.append({**base, "choices": [{"index": 0, "delta": {"content": word + " "}}]})
        finish = "stop"
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    out.append({**base, "choices": [], "usage": usage})
    return out
