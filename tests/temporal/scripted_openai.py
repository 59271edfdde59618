"""An OpenAI-compatible server on 127.0.0.1 with a two-step script, for runs whose worker dies.

Step 0 (no tool result in the conversation yet) is answered with two tool calls, ``fast`` and
``slow``; step 1 with the text ``both done``. JSON or server-sent events, as asked. Every
request is kept, with the step it asked for, so a test can count the requests per step.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = "both done"
CALLS = [("call_fast", "fast", {"x": 1}), ("call_slow", "slow", {"x": 2})]


class ScriptedOpenAI:
    def __init__(self) -> None:
        self.steps: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                step = 1 if any(m.get("role") == "tool" for m in body["messages"]) else 0
                owner.steps.append(step)
                chunks = _chunks(step)
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for chunk in [*chunks, "[DONE]"]:
                        data = f"data: {chunk if chunk == '[DONE]' else json.dumps(chunk)}\n\n"
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data.encode()))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                payload = json.dumps(_completion(step)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


_USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def _completion(step: int) -> dict[str, Any]:
    if step == 0:
        calls = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, n, a in CALLS
        ]
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": calls}
        finish = "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": ANSWER}, "stop"
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return {"id": "c", "object": "chat.completion", "choices": [choice], "usage": _USAGE}


def _chunks(step: int) -> list[dict[str, Any]]:
    base = {"id": "c", "object": "chat.completion.chunk"}
    deltas: list[dict[str, Any]] = []
    if step == 0:
        for index, (call_id, name, args) in enumerate(CALLS):
            function = {"name": name, "arguments": json.dumps(args)}
            deltas.append(
                {
                    "tool_calls": [
                        {"index": index, "id": call_id, "type": "function", "function": function}
                    ]
                }
            )
        finish = "tool_calls"
    else:
        deltas = [{"content": word} for word in ("both", " done")]
        finish = "stop"
    out = [{**base, "choices": [{"index": 0, "delta": d}]} for d in deltas]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    out.append({**base, "choices": [], "usage": _USAGE})
    return out
