"""The conformance scenarios against a live endpoint: ``reverie check --live -m MODEL``.

The same scenarios, inputs and checks as the replayed corpus (simple, tool and multi-tool
agent runs, generated and streamed; the Person and Book objects), sent to a real model
(a local vLLM, Ollama or llama.cpp server, or a hosted provider with its key) to report
what works there. Nothing is recorded or compared with a recording: a scenario passes when
the run shows what the corpus README asks of it.

Each scenario has a time limit, and may have its output tokens capped: the corpus asks for
up to 4000 tokens, which a small local model fills by repeating itself, for minutes.
:func:`limits_for` picks both to suit the model; ``on_result`` reports each scenario as it
ends, so a slow run shows progress.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reverie.errors import ReverieError
from reverie.providers import get_model
from reverie.testing._conformance.checks import check
from reverie.testing._conformance.runner import run_agent_scenario, run_object_scenario
from reverie.testing._conformance.scenarios import (
    OBJECT_SCENARIOS,
    SCENARIOS,
    CheckResult,
    Failure,
    clip,
)

LIVE_SCENARIOS: tuple[str, ...] = (
    "simple",
    "simple_streaming",
    "tool",
    "tool_streaming",
    "multi_tool",
    "multi_tool_streaming",
    "simple_object",
    "simple_object_streaming",
    "complex_object",
    "complex_object_streaming",
)


@dataclasses.dataclass(frozen=True, slots=True)
class LiveLimits:
    """How long each scenario may take, its output token cap (None: the scenario's own),
    and how many scenarios run at once."""

    timeout: float = 300.0
    max_output_tokens: int | None = None
    concurrency: int = 2


LOCAL_LIMITS = LiveLimits(timeout=120.0, max_output_tokens=256, concurrency=1)
"""For the in-process model: one request at a time (the server runs one), 256 tokens (its
default cap; the longest scenario answer, the Book object, needs about 100)."""


def limits_for(model_name: str) -> LiveLimits:
    """The limits that suit ``model_name`` (the local provider's differ)."""
    return LOCAL_LIMITS if model_name.startswith("local:") else LiveLimits()


async def run_live(
    model_name: str,
    scenarios: Sequence[str] = LIVE_SCENARIOS,
    *,
    model_options: Mapping[str, Any] | None = None,
    limits: LiveLimits | None = None,
    on_result: Callable[[CheckResult, float], None] | None = None,
) -> list[CheckResult]:
    """Run each scenario on ``model_name`` (``provider:model``); results in scenario order.

    A result's ``cassette`` field names the run as ``live:<model>/<scenario>``. A scenario
    that takes longer than ``limits.timeout`` fails saying so; ``on_result(result, seconds)``
    is called as each one ends.
    """
    unknown = [s for s in scenarios if s not in LIVE_SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {list(LIVE_SCENARIOS)}")
    limits = limits or limits_for(model_name)
    model = get_model(model_name, **dict(model_options or {}))
    gate = asyncio.Semaphore(limits.concurrency)

    async def attempt(name: str) -> None:
        streaming = name.endswith("_streaming")
        key = name.removesuffix("_streaming")
        cap = limits.max_output_tokens
        if key in OBJECT_SCENARIOS:
            await run_object_scenario(model, key, streaming, max_output_tokens=cap or 4000)
            return
        scenario = SCENARIOS[name if name == "multi_tool_streaming" else key]
        if cap is not None:
            scenario = dataclasses.replace(scenario, max_output_tokens=cap)
        check(scenario, await run_agent_scenario(model, scenario, streaming))

    async def one(name: str) -> CheckResult:
        label = f"live:{model_name}/{name}"
        async with gate:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(limits.timeout):
                    await attempt(name)
                result = CheckResult(label, "passed")
            except TimeoutError:
                result = CheckResult(
                    label, "failed", f"took longer than {limits.timeout:g} s, its time limit"
                )
            except Failure as exc:
                result = CheckResult(label, "failed", clip(str(exc)))
            except ReverieError as exc:
                result = CheckResult(label, "failed", clip(f"{type(exc).__name__}: {exc}"))
            if on_result is not None:
                on_result(result, time.perf_counter() - started)
            return result

    return list(await asyncio.gather(*(one(s) for s in scenarios)))
