"""Keep-alive under faults, through the real agent over every wire and both transports: a
clean answer leaves its connection for the next request, a faulted one never does, and a
request lost on a reused connection is retried where the agent shows it (a ``Retry``
event), never re-sent behind its back (an LLM call billed twice, unseen)."""

from __future__ import annotations

import pytest

from reverie.errors import APIConnectionError
from reverie.events import Retry, TextDelta

from .conftest import Harness
from .server import Reply
from .wires import WIRES, Wire

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.timeout(30, method="thread"),
    pytest.mark.parametrize("wire", WIRES, ids=str),
]


def json_reply(status: int, body: bytes) -> Reply:
    return Reply(status, {}, [body], chunked=False, content_type="application/json")


def texts(events: list[object]) -> list[str]:
    return [e.delta for e in events if isinstance(e, TextDelta)]


async def test_the_retry_after_a_503_reuses_the_kept_alive_connection(fault: Harness, wire: Wire):
    fault.server.add(
        json_reply(503, b'{"error": {"message": "busy"}}'), Reply(frames=wire.stream("ok"))
    )
    events = await fault.events(fault.agent(wire))
    assert texts(events) == ["ok"]
    assert [r.connection for r in fault.server.requests] == [1, 1]


async def test_successive_runs_share_one_connection(fault: Harness, wire: Wire):
    fault.server.add(
        json_reply(200, wire.json_answer("one")),
        json_reply(200, wire.json_answer("two")),
        Reply(frames=wire.stream("three")),
        json_reply(200, wire.json_answer("four")),
    )
    agent = fault.agent(wire)
    assert (await agent.generate("hi")).text == "one"
    assert (await agent.generate("hi")).text == "two"
    assert texts(await fault.events(agent)) == ["three"]
    assert (await agent.generate("hi")).text == "four"
    assert {r.connection for r in fault.server.requests} == {1}


@pytest.mark.parametrize("end", ["truncate", "reset"])
async def test_a_faulted_answer_never_leaves_its_connection_for_reuse(
    fault: Harness, wire: Wire, end: str
):
    fault.server.add(
        Reply(frames=[*wire.text(["a"]), 0.02], end=end),  # type: ignore[arg-type]
        Reply(frames=wire.stream("b")),
        json_reply(200, wire.json_answer("c")),
    )
    agent = fault.agent(wire)
    events = await fault.events(agent)
    assert any(isinstance(e, Retry) for e in events) and texts(events)[-1] == "b"
    assert (await agent.generate("hi")).text == "c"
    assert [r.connection for r in fault.server.requests] == [1, 2, 2]


async def test_a_request_lost_on_a_reused_connection_is_retried_visibly_not_resent(
    fault: Harness, wire: Wire
):
    fault.server.add(
        json_reply(200, wire.json_answer("first")),
        Reply(end="drop"),  # reads the request on the kept-alive connection, then hangs up
        Reply(frames=wire.stream("second")),
    )
    agent = fault.agent(wire)
    assert (await agent.generate("hi")).text == "first"
    events = await fault.events(agent)
    retries = [e for e in events if isinstance(e, Retry)]
    assert len(retries) == 1 and isinstance(retries[0].error, APIConnectionError)
    assert texts(events) == ["second"]
    # Three requests reached the server: none was sent again without a Retry event.
    assert [r.connection for r in fault.server.requests] == [1, 1, 2]
