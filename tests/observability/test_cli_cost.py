"""``reverie run`` shows what a run cost: on the usage line, and as ``cost_usd`` in
``--json`` (null when the price is unknown). The provider is an OpenAI-compatible server on
127.0.0.1 that answers every request with the same short streamed text."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import genai_prices
import pytest

from reverie.cli import main
from reverie.cli._render import usage_line
from reverie.cost import Cost, format_usd
from reverie.model import Usage

PROMPT, COMPLETION = 1200, 30


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _answer(model: str) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse(
            {
                "id": "chatcmpl-cli",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    usage = {"prompt_tokens": PROMPT, "completion_tokens": COMPLETION, "total_tokens": 1230}
    tail = {"id": "chatcmpl-cli", "object": "chat.completion.chunk", "model": model}
    return b"".join(
        [
            chunk({"role": "assistant", "content": "Olá!"}),
            chunk({}, "stop"),
            _sse({**tail, "choices": [], "usage": usage}),
            b"data: [DONE]\n\n",
        ]
    )


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = _answer(str(request["model"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    yield
    server.shutdown()
    server.server_close()
    thread.join()


def expected_cost(model: str) -> Decimal:
    prices = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=1), model, provider_id="openai"
    ).model_price
    return (PROMPT * prices.input_mtok + COMPLETION * prices.output_mtok) / 1_000_000


def test_run_json_reports_the_cost_of_each_step_and_of_the_run(
    provider: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "Say hi", "--json", "-m", "openai:gpt-4o-mini"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    cost = float(expected_cost("gpt-4o-mini"))
    (step,) = [e for e in events if e["type"] == "step-finish"]
    assert step["cost_usd"] == pytest.approx(cost)
    assert events[-1]["type"] == "run-finish"
    assert events[-1]["cost_usd"] == pytest.approx(cost)


def test_run_json_says_null_when_the_price_is_unknown(
    provider: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "Say hi", "--json", "-m", "openai:a-model-nobody-prices"]) == 0
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["type"] == "run-finish" and last["cost_usd"] is None


def test_the_usage_line_shows_the_cost(provider: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "Say hi", "-m", "openai:gpt-4o-mini"]) == 0
    captured = capsys.readouterr()
    usage = next(line for line in captured.err.splitlines() if line.startswith("usage:"))
    assert f" · {format_usd(expected_cost('gpt-4o-mini'))} · 1 step · " in usage


def test_the_usage_line_leaves_out_an_unknown_cost_and_a_free_run() -> None:
    usage = Usage(10, 5, 15)
    plain = "usage: 10 in, 5 out, 15 total · 2 steps · 1.2 s"
    assert usage_line(usage, 2, 1.25) == plain
    assert usage_line(usage, 2, 1.25, Cost(Decimal(0), Decimal(0), Decimal(0))) == plain
    assert usage_line(usage, 1, 0.5, Cost(Decimal("0.0123"))) == (
        "usage: 10 in, 5 out, 15 total · $0.0123 · 1 step · 0.5 s"
    )
