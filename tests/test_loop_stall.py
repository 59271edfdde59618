"""Nothing a model sends can stall the event loop, asserted by structure, not by timing:
JSON repair is not attempted past its limit and runs off the loop below it (a ticker keeps
ticking meanwhile); the partial-object parser's work stays linear and stops past its
limit; over-long tool arguments and SSE lines are refused, not processed.
(The stall itself is measured by ``bench/loop_stall.py``.)"""

from __future__ import annotations

import asyncio
import random
import string
from typing import Any

import pytest

from reverie import Agent, _json, tool
from reverie import _tool_calls as tool_calls
from reverie.content import ErrorOutput, ToolCallPart
from reverie.errors import NoObjectGeneratedError, ProtocolError
from reverie.output import _parse as parse
from reverie.output._parse import PartialParser
from reverie.output._schema import object_schema
from reverie.providers import _sse
from reverie.testing._fake import FakeModel


def broken_json(size: int) -> str:
    """Text far from JSON, the shape json-repair is slowest on."""
    rng = random.Random(size)
    return "{" + "".join(rng.choice(string.ascii_letters + " ,:{}[]") for _ in range(size))


@tool
def echo(text: str) -> str:
    """Returns its text."""
    return text


@pytest.fixture
def repairs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the texts JSON repair was run on."""
    seen: list[int] = []
    real = _json.repair_json

    def recording(text: str) -> Any:
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(_json, "repair_json", recording)
    return seen


@pytest.mark.anyio
async def test_repair_is_not_attempted_past_the_limit(repairs: list[int]) -> None:
    arguments = broken_json(_json.REPAIR_LIMIT + 1)
    model = FakeModel([FakeModel.tool_calls(("echo", arguments)), FakeModel.text("ok")])
    result = await Agent(model, tools=[echo]).generate("go")
    (output,) = [r.output for r in result.steps[0].tool_results]
    assert isinstance(output, ErrorOutput)
    assert "invalid JSON input" in output.message
    assert "too long to be repaired" in output.message
    assert repairs == []
    assert result.text == "ok"  # the model saw the error; the run went on


@pytest.mark.anyio
async def test_repair_runs_off_the_loop_while_a_ticker_keeps_ticking(repairs: list[int]) -> None:
    ticks = 0
    running = True

    async def ticker() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    call = ToolCallPart("c1", "echo", broken_json(_json.REPAIR_LIMIT // 2))
    before = ticks
    checked = await tool_calls.check_call(call, {"echo": echo}, None, (), None)
    during = ticks - before
    running = False
    await task
    assert repairs == [len(call.input)]  # the repair did run, and took its time ...
    assert checked.error is not None
    assert during >= 3  # ... while the loop went on (on the loop, it could not tick at all)


@pytest.mark.anyio
async def test_structured_output_past_the_repair_limit_fails_unrepaired(
    repairs: list[int],
) -> None:
    schema = object_schema({"type": "object"})
    with pytest.raises(NoObjectGeneratedError, match="too long to be repaired"):
        await parse.parse_object(broken_json(_json.REPAIR_LIMIT + 1), schema)
    assert repairs == []


@pytest.mark.anyio
async def test_over_long_arguments_are_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tool_calls, "ARGUMENTS_LIMIT", 1000)
    call = ToolCallPart("c1", "echo", '{"text": "%s"}' % ("x" * 2000))
    checked = await tool_calls.check_call(call, {"echo": echo}, None, (), None)
    assert checked.arguments is None
    assert checked.error is not None and "over the limit of 1000" in checked.error


def test_the_partial_parser_does_linear_work_and_stops_past_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parses = 0
    real = PartialParser._update  # pyright: ignore[reportPrivateUsage]

    def counting(self: PartialParser) -> Any:
        nonlocal parses
        parses += 1
        return real(self)

    monkeypatch.setattr(PartialParser, "_update", counting)
    parser = PartialParser()
    parser.feed('{"text": "')
    delta = "x" * 100
    for _ in range(parse.PARTIAL_LIMIT // len(delta)):  # 4 MiB in 100-character deltas
        parser.feed(delta)
    # Every delta is parsed while short, then once per growth by an eighth: a few hundred
    # parses for ~42,000 deltas, not one each (which re-read 4 MiB about 20,000 times).
    assert parses < parse.PARTIAL_EVERY // len(delta) + 60
    value = parser.feed("x")  # past the limit: no more parsing at all
    assert value is None
    after = parses
    for _ in range(100):
        parser.feed(delta)
    assert parses == after
    assert len(parser.text) > parse.PARTIAL_LIMIT


def test_an_endless_sse_line_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sse, "MAX_LINE", 1000)
    decoder = _sse.SSEDecoder()
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(ProtocolError, match="longer than 1000 bytes"):
        decoder.feed(b"x" * 200)
