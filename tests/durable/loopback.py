"""An OpenAI-compatible server on 127.0.0.1 for durable and batch tests, scripted by the
conversation it is sent (no state of its own, so any number of processes may share it):

- offered tools and no tool result yet: step 1, one call per offered tool, in order
  (``call_<tool>``), with arguments ``{"x": 1}``;
- tool results present: step 2, the answer ``done: <results joined>``;
- no tools offered: the answer ``answer: <the last user message>``; a message containing
  ``FAIL`` gets a 400 (a row that fails for good).

It counts requests per step (``requests``), answers after ``delay`` seconds, and runs in a
thread of the test process or on its own (``python -m tests.durable.loopback PORT DELAY``).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    messages: list[dict[str, Any]] = body.get("messages", [])
    results = [str(m.get("content")) for m in messages if m.get("role") == "tool"]
    tools = [t["function"]["name"] for t in body.get("tools") or []]
    last_user = next(
        (str(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    if "FAIL" in last_user:
        return 400, {"error": {"message": "this row is refused", "type": "invalid_request_error"}}
    if tools and not results:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{name}",
                    "type": "function",
                    "function": {"name": name, "arguments": '{"x": 1}'},
                }
                for name in tools
            ],
        }
        finish = "tool_calls"
    else:
        text = f"done: {' + '.join(results)}" if results else f"answer: {last_user}"
        message, finish = {"role": "assistant", "content": text}, "stop"
    usage = {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}
    return 200, {
        "id": "chatcmpl-loop",
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }


class Loopback:
    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delay = delay
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                owner.requests.append(body)
                if owner.delay:
                    time.sleep(owner.delay)
                status, data = reply(body)
                payload = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed while it waited

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def steps(self) -> list[int]:
        """For each request, the step it asked for (1: no tool result yet, 2: after them)."""
        return [
            2 if any(m.get("role") == "tool" for m in r.get("messages", [])) else 1
            for r in self.requests
        ]

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


if __name__ == "__main__":
    with Loopback(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0) as s:
        print(s.base_url, flush=True)
        threading.Event().wait()
