"""Tool time limits: a tool over its timeout (its own, or the agent's default) becomes an
error result the model sees and the run goes on; a cancelled run, and ``asyncio.run``
after it, return without waiting for a sync tool's blocked thread."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Iterator

import pytest

from reverie import Agent, tool
from reverie.content import ErrorOutput, TextOutput
from reverie.errors import ConfigurationError
from reverie.testing._fake import FakeModel


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event a blocked sync tool waits on; set when the test ends, so no thread outlives
    the test by more than a moment."""
    event = threading.Event()
    yield event
    event.set()


def two_steps(*names: str) -> FakeModel:
    return FakeModel([FakeModel.tool_calls(*((n, {}) for n in names)), FakeModel.text("done")])


def outputs(result: object) -> list[object]:
    return [r.output for r in result.steps[0].tool_results]  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_an_async_tool_over_its_timeout_is_cancelled_and_the_run_goes_on() -> None:
    cancelled = asyncio.Event()

    @tool(timeout=0.05)
    async def stuck() -> str:
        """Never returns."""
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    @tool
    async def quick() -> str:
        """Returns at once."""
        return "fine"

    model = two_steps("stuck", "quick")
    result = await Agent(model, tools=[stuck, quick]).generate("go")
    stuck_output, quick_output = outputs(result)
    assert isinstance(stuck_output, ErrorOutput)
    assert "did not finish within 0.05s" in stuck_output.message
    assert quick_output == TextOutput("fine")
    assert cancelled.is_set()
    assert result.text == "done"  # the model saw the error and answered
    assert model.calls[1].messages[-1].role == "tool"


@pytest.mark.anyio
async def test_a_sync_tool_over_the_agent_default_is_abandoned(release: threading.Event) -> None:
    @tool
    def blocked() -> str:
        """Blocks its thread."""
        release.wait(30)
        return "late"

    result = await Agent(two_steps("blocked"), tools=[blocked], tool_timeout=0.05).generate("go")
    (output,) = outputs(result)
    assert isinstance(output, ErrorOutput) and "did not finish" in output.message
    assert not release.is_set()  # the thread is still blocked: the run did not wait for it


@pytest.mark.anyio
async def test_a_tool_timeout_wins_over_the_default_and_inf_exempts() -> None:
    @tool(timeout=math.inf)
    async def slow() -> str:
        """Takes a moment."""
        await asyncio.sleep(0.1)
        return "slow but fine"

    result = await Agent(two_steps("slow"), tools=[slow], tool_timeout=0.01).generate("go")
    assert outputs(result) == [TextOutput("slow but fine")]


@pytest.mark.anyio
async def test_a_cancelled_run_does_not_wait_for_a_blocked_sync_tool(
    release: threading.Event,
) -> None:
    entered = threading.Event()

    @tool
    def blocked() -> str:
        """Blocks its thread."""
        entered.set()
        release.wait(30)
        return "late"

    run = asyncio.create_task(Agent(two_steps("blocked"), tools=[blocked]).generate("go"))
    while not entered.is_set():  # noqa: ASYNC110  (a thread's event, not an asyncio one)
        await asyncio.sleep(0.01)
    run.cancel()
    done, _ = await asyncio.wait({run}, timeout=10)
    assert run in done and run.cancelled()
    assert not release.is_set()  # returned while the tool's thread still blocks


def test_asyncio_run_returns_without_joining_the_tool_thread(release: threading.Event) -> None:
    """``asyncio.to_thread`` would make ``asyncio.run`` join the blocked thread on exit."""
    entered = threading.Event()

    @tool
    def blocked() -> str:
        """Blocks its thread."""
        entered.set()
        release.wait(30)
        return "late"

    async def main() -> None:
        run = asyncio.create_task(Agent(two_steps("blocked"), tools=[blocked]).generate("go"))
        while not entered.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)

    asyncio.run(main())
    assert not release.is_set()  # asyncio.run returned; the thread is still blocked
    assert any(t.name.startswith("reverie-thread-blocked") for t in threading.enumerate())


def test_limits_must_be_positive_numbers() -> None:
    async def f() -> str:
        return ""

    for bad in (0, -1, math.nan, "5", True):
        with pytest.raises(ConfigurationError, match="timeout"):
            tool(timeout=bad)(f)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="tool_timeout"):
            Agent(FakeModel([]), tool_timeout=bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="run_timeout"):
            Agent(FakeModel([]), run_timeout=bad)  # type: ignore[arg-type]
