"""The conformance scenarios against a live endpoint: ``reverie check --live -m MODEL``.

The same scenarios, inputs and checks as the replayed corpus (simple, tool and multi-tool
agent runs, generated and streamed; the Person and Book objects), sent to a real model
(a local vLLM, Ollama or llama.cpp server, or a hosted provider with its key) to report
what works there. Nothing is recorded or compared with a recording: a scenario passes when
the run shows what the corpus README asks of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
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


async def run_live(
    model_name: str,
    scenarios: Sequence[str] = LIVE_SCENARIOS,
    *,
    model_options: Mapping[str, Any] | None = None,
    concurrency: int = 2,
) -> list[CheckResult]:
    """Run each scenario on ``model_name`` (``provider:model``); results in scenario order.

    A result's ``cassette`` field names the run as ``live:<model>/<scenario>``.
    """
    unknown = [s for s in scenarios if s not in LIVE_SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {list(LIVE_SCENARIOS)}")
    model = get_model(model_name, **dict(model_options or {}))
    limit = asyncio.Semaphore(concurrency)

    async def one(name: str) -> CheckResult:
        label = f"live:{model_name}/{name}"
        streaming = name.endswith("_streaming")
        key = name.removesuffix("_streaming")
        async with limit:
            try:
                if key in OBJECT_SCENARIOS:
                    await run_object_scenario(model, key, streaming)
                else:
                    scenario = SCENARIOS[name if name == "multi_tool_streaming" else key]
                    result = await run_agent_scenario(model, scenario, streaming)
                    check(scenario, result)
            except Failure as exc:
                return CheckResult(label, "failed", str(exc))
            except ReverieError as exc:
                return CheckResult(label, "failed", f"{type(exc).__name__}: {exc}")
        return CheckResult(label, "passed")

    return list(await asyncio.gather(*(one(s) for s in scenarios)))
