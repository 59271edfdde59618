"""An agent on the built-in local model: no key, no network (after `uv sync`).

    uv run python examples/local_agent.py

The first call starts llama.cpp's server in this process (a second or two); the model is
SmolLM2-135M, so expect short, sometimes odd answers. Swap the model name for a hosted one
("openai:gpt-4o-mini", ...) and nothing else changes.
"""

from __future__ import annotations

import asyncio
import sys

from reverie import Agent, tool
from reverie.errors import ConfigurationError
from reverie.events import TextDelta, ToolCall, ToolResult


@tool
def weather(location: str) -> str:
    """Get weather information for a location.

    Args:
        location: the city
    """
    return "40 C"


async def main() -> None:
    agent = Agent(
        "local:smollm2",
        system="You are a helpful assistant",
        tools=[weather],
        max_output_tokens=200,
    )
    stream = agent.stream("What's the weather in Florence, Italy?")
    async for event in stream:
        match event:
            case ToolCall(call=call):
                print(f"→ {call.tool_name}({call.input})")
            case ToolResult(result=result):
                print(f"← {getattr(result.output, 'text', result.output)}")
            case TextDelta(delta=delta):
                print(delta, end="", flush=True)
            case _:
                pass
    assert stream.result is not None
    print(f"\n{stream.result.usage.total_tokens} tokens over {len(stream.result.steps)} steps")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except ConfigurationError as exc:  # no key set, or the local model not installed
        sys.exit(f"local_agent.py: {exc}")
