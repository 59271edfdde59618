"""A scripted Anthropic-compatible Messages server on 127.0.0.1, for recording web_search.

No key can reach Anthropic from here, so the ``web_search`` example's cassette is recorded
from this server instead. It answers ``POST /v1/messages`` the way the real API answers a
call that offers the ``web_search_20250305`` server tool (the block shapes follow real
recordings: ``server_tool_use``, then ``web_search_tool_result`` with
``web_search_result`` items carrying ``encrypted_content`` and ``page_age``, then ``text``
blocks whose ``citations`` are ``web_search_result_location`` entries, ``stop_reason``
``end_turn`` and ``usage.server_tool_use.web_search_requests``). The search results and the
answer are scripted, not searched: the point is the wire, which reverie must decode.

It checks what a real server would reject (no ``x-api-key``, no ``anthropic-version``, a
body that is not a Messages request) and answers those with Anthropic's error shape.

    with serve() as base_url:      # "http://127.0.0.1:<port>/v1"
        ...
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RESULTS = [
    {
        "title": "2024 Tour de France - Wikipedia",
        "url": "https://en.wikipedia.org/wiki/2024_Tour_de_France",
        "page_age": "3 weeks ago",
        "cited": "Tadej Pogačar of UAE Team Emirates won the general classification.",
    },
    {
        "title": "Tour de France 2024: Pogačar wins his third Tour",
        "url": "https://www.letour.fr/en/news/2024/pogacar-wins-his-third-tour",
        "page_age": None,
        "cited": "Tadej Pogačar claimed his third yellow jersey in Nice.",
    },
]


def _opaque(text: str) -> str:
    """Stands in for Anthropic's encrypted_content / encrypted_index (opaque base64)."""
    return base64.b64encode(("scripted:" + text).encode()).decode()


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The Messages response to a valid request that offers web_search."""
    question = ""
    for message in request["messages"]:
        if message["role"] == "user":
            content = message["content"]
            question = content if isinstance(content, str) else content[-1].get("text", "")
    tool_id = "srvtoolu_01Scripted000000000000001"
    first, second = RESULTS
    content: list[dict[str, Any]] = [
        {
            "type": "server_tool_use",
            "id": tool_id,
            "name": "web_search",
            "input": {"query": re.split(r"[?.!]", question)[0].strip()[:60]},
            "caller": {"type": "direct"},
        },
        {
            "type": "web_search_tool_result",
            "tool_use_id": tool_id,
            "content": [
                {
                    "type": "web_search_result",
                    "title": r["title"],
                    "url": r["url"],
                    "encrypted_content": _opaque(str(r["url"])),
                    "page_age": r["page_age"],
                }
                for r in RESULTS
            ],
            "caller": {"type": "direct"},
        },
        {"type": "text", "text": "According to the search results, "},
        {
            "type": "text",
            "text": "Tadej Pogačar won the 2024 Tour de France",
            "citations": [_citation(first)],
        },
        {"type": "text", "text": ", "},
        {
            "type": "text",
            "text": "his third Tour victory",
            "citations": [_citation(second)],
        },
        {"type": "text", "text": "."},
    ]
    return {
        "model": request["model"],
        "id": "msg_01Scripted0000000000000001",
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 2107,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 61,
            "service_tier": "standard",
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
        },
    }


def _citation(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "web_search_result_location",
        "cited_text": result["cited"],
        "url": result["url"],
        "title": result["title"],
        "encrypted_index": _opaque(result["cited"]),
    }


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.path != "/v1/messages":
            return self._send(404, _error("not_found_error", f"no route {self.path}"))
        if not self.headers.get("x-api-key"):
            return self._send(401, _error("authentication_error", "x-api-key header is required"))
        if not self.headers.get("anthropic-version"):
            return self._send(400, _error("invalid_request_error", "anthropic-version required"))
        request: dict[str, Any] = {}
        offered: set[str] = set()
        try:
            request = json.loads(raw)
            offered = {str(t.get("type")) for t in request.get("tools", [])}
            valid = bool(request["messages"]) and request["max_tokens"] > 0
        except (ValueError, KeyError, TypeError, AttributeError):
            valid = False
        if not valid or "web_search_20250305" not in offered or request.get("stream"):
            return self._send(
                400, _error("invalid_request_error", "this script answers web_search only")
            )
        return self._send(200, answer(request))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the recorder's output readable


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
