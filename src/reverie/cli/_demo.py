"""``reverie demo``: the seed conversation, replayed offline through the real agent.

The seed is the recording reverie began from: Cerebras's ``qwen-3-coder-480b`` asked to add
and multiply 2 and 3 calls both tools in one streamed chunk, gets ``5`` and ``6`` back, and
answers. Every request the agent sends must equal the recorded one, so this is the real
wire path with the network replaced by a cassette. ``--json`` prints the same events, in
the same form, as ``reverie run --json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from importlib import resources

from reverie.agent import Agent
from reverie.cli._render import JsonEventWriter, usage_text
from reverie.events import (
    AgentEvent,
    ReasoningDelta,
    RunFinish,
    StepStart,
    TextDelta,
    TextEnd,
    ToolCall,
    ToolResult,
)
from reverie.providers import get_model
from reverie.testing._cassette import parse_cassette
from reverie.testing._conformance import SCENARIOS
from reverie.testing._transport import CassetteTransport


async def _demo(json_lines: bool) -> int:
    text = resources.files("reverie._data").joinpath("seed_multi_tool_streaming.yaml").read_text()
    transport = CassetteTransport(parse_cassette(text, source="seed cassette"))
    scenario = SCENARIOS["multi_tool_streaming"]
    out = sys.stdout
    started = time.perf_counter()
    writer = JsonEventWriter(out, started) if json_lines else None
    async with transport.client() as http:
        model = get_model("cerebras:qwen-3-coder-480b", api_key="replayed-key", http_client=http)
        agent = Agent(
            model,
            system=scenario.system,
            tools=scenario.tools,
            max_output_tokens=scenario.max_output_tokens,
        )
        if not json_lines:
            out.write(
                f"model  {model.provider}:{model.model_id} (replayed from the seed cassette)\n"
            )
            out.write(f"system {scenario.system}\nuser   {scenario.prompt}\n")
        async for event in agent.stream(scenario.prompt):
            if writer is not None:
                writer.event(event)
            else:
                _print_event(event, out)
                out.flush()
    if not json_lines:
        out.write(f"time   {(time.perf_counter() - started) * 1000:.1f} ms\n")
    return 0


def _print_event(event: AgentEvent, out: object) -> None:
    write = out.write  # type: ignore[attr-defined]
    if isinstance(event, StepStart):
        write(f"\n-- step {event.step_number + 1}\n")
    elif isinstance(event, TextDelta | ReasoningDelta):
        write(event.delta)
    elif isinstance(event, TextEnd):
        write("\n")
    elif isinstance(event, ToolCall):
        write(f"call   {event.call.tool_name}({event.call.input})  [{event.call.tool_call_id}]\n")
    elif isinstance(event, ToolResult):
        output = event.result.output
        shown = getattr(output, "text", None) or getattr(output, "message", "")
        write(f"result {event.result.tool_name} -> {shown}\n")
    elif isinstance(event, RunFinish):
        steps = len(event.result.steps)
        write(f"\nusage  {usage_text(event.result.usage)} over {steps} steps\n")


def run_demo(*, json_lines: bool = False) -> int:
    return asyncio.run(_demo(json_lines))


def main(args: argparse.Namespace) -> int:
    return run_demo(json_lines=args.json)
