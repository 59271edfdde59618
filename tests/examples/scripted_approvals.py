"""A scripted Anthropic-compatible Messages server on 127.0.0.1, for recording approvals.

It plays a support agent with extended thinking and the ``lookup_order`` / ``refund`` tools
of ``examples/approvals.py``:

- first request (no tool results yet): a signed ``thinking`` block, a ``text`` block and
  three ``tool_use`` blocks (look order 1042 up, refund $120 of it, refund $900 of 1043),
  ``stop_reason`` ``tool_use``;
- second request: an answer built from the ``tool_result`` blocks it was sent, so what the
  tools (and the approvals) produced shows up in the recording.

As the real API does, it refuses (400) a request that sends the thinking block back without
its signature, or with another one, and tool results that do not answer every tool use. The
thinking text and the answer are scripted, not generated: the point is the wire and the
round trip of the run state.

    with serve() as base_url:      # "http://127.0.0.1:<port>/v1"
        ...
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

THINKING = "Two damaged orders. Look up 1042, then refund both in full."
SIGNATURE = base64.b64encode(b"scripted-signature:" + THINKING.encode()).decode()

CALLS = [
    ("toolu_01Lookup00000000000000001", "lookup_order", {"order_id": 1042}),
    ("toolu_01Refund00000000000000002", "refund", {"order_id": 1042, "amount": 120}),
    ("toolu_01Refund00000000000000003", "refund", {"order_id": 1043, "amount": 900}),
]


def first_answer(request: dict[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = [
        {"type": "thinking", "thinking": THINKING, "signature": SIGNATURE},
        {"type": "text", "text": "Let me check the orders and issue the refunds."},
        *({"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in CALLS),
    ]
    return _message(request, content, "tool_use", 48)


def second_answer(request: dict[str, Any], results: dict[str, str]) -> dict[str, Any]:
    lines = [f"- {name}({json.dumps(args)}): {results[i]}" for i, name, args in CALLS]
    text = "Here is what happened:\n" + "\n".join(lines)
    return _message(request, [{"type": "text", "text": text}], "end_turn", 60)


def _message(
    request: dict[str, Any], content: list[dict[str, Any]], stop: str, out: int
) -> dict[str, Any]:
    return {
        "model": request["model"],
        "id": f"msg_01Scripted{stop}",
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 412, "output_tokens": out},
    }


def respond(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and body for a valid-looking Messages request."""
    messages: list[dict[str, Any]] = request["messages"]
    if len(messages) == 1:
        return 200, first_answer(request)
    assistant = messages[1]["content"]
    thinking = [b for b in assistant if b.get("type") == "thinking"]
    if len(thinking) != 1 or thinking[0].get("signature") != SIGNATURE:
        return 400, _error("messages.1.content.0: Invalid `signature` in `thinking` block")
    results = {
        str(b["tool_use_id"]): _text(b.get("content"))
        for b in messages[2]["content"]
        if b.get("type") == "tool_result"
    }
    if set(results) != {i for i, _, _ in CALLS}:
        return 400, _error("each tool_use block needs a tool_result block in the next message")
    return 200, second_answer(request, results)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict))


def _error(message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path != "/v1/messages" or not self.headers.get("x-api-key"):
            self._send(401, _error("x-api-key header is required"))
            return
        try:
            request = json.loads(raw)
            tools = {t["name"] for t in request["tools"]}
            valid = tools == {"lookup_order", "refund"} and not request.get("stream")
            valid = valid and request["thinking"]["type"] == "enabled"
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            self._send(400, _error("this script answers the approvals example only"))
            return
        self._send(*respond(request))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve() -> Generator[str]:
    """Run the server on a free port in a thread; yields its base URL (ending in ``/v1``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
