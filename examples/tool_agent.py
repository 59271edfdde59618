"""Tools: typed Python functions the model can call; the agent runs them and loops.

    uv run python examples/tool_agent.py                  # OpenAI: needs OPENAI_API_KEY
    uv run python examples/tool_agent.py local:smollm2    # the built-in local model, no key

The loop: the model asks for ``weather("Florence")``, the agent validates the arguments
against the schema built from the type hints, runs the function, sends the result back,
and the model answers. ``agent.stream`` shows each of those moments as an event.

Offline: ``tests/examples/cassettes/tool_agent.yaml``, recorded with
``uv run python tests/examples/record.py tool_agent`` from SmolLM2-135M on llama.cpp
(``local:smollm2``). That model has no tool-call format of its own, so reverie forces the
call through schema-constrained JSON (docs/local-model.md); the recorded requests show it.
"""

from __future__ import annotations

import asyncio
import sys

from reverie import (
    Agent,
    ErrorOutput,
    LanguageModel,
    RunResult,
    TextOutput,
    ToolResultPart,
    tool,
)
from reverie.errors import ConfigurationError
from reverie.events import TextDelta, ToolCall, ToolResult


@tool
def weather(location: str) -> str:
    """Get the current weather for a city.

    Args:
        location: the city, e.g. "Florence, Italy"
    """
    # A real tool would call a weather API; the docstring above is what the model reads.
    return f"40 C and sunny in {location}"


MODEL = "openai:gpt-4o-mini"


async def main(model: LanguageModel | str = MODEL) -> RunResult:
    agent = Agent(
        model,
        system="You are a helpful assistant. Use the tools to answer.",
        tools=[weather],
        max_output_tokens=120,
    )

    stream = agent.stream("What's the weather in Florence, Italy?")
    async for event in stream:
        match event:
            case ToolCall(call=call):
                print(f"-> {call.tool_name}({call.input})")
            case ToolResult(result=ToolResultPart(output=TextOutput(text=text))):
                print(f"<- {text}")
            case ToolResult(result=ToolResultPart(output=ErrorOutput(message=error))):
                print(f"<- error: {error}")  # bad arguments or an exception in the tool
            case TextDelta(delta=delta):
                print(delta, end="", flush=True)
            case _:
                pass
    print()

    assert stream.result is not None
    # Every step keeps its calls and results: handy for logs and for tests.
    for step in stream.result.steps:
        print(f"step {step.number}: {step.finish_reason.value}, {len(step.tool_calls)} call(s)")
    return stream.result


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:2]))
    except ConfigurationError as exc:  # no key set, or the local model not installed
        sys.exit(f"tool_agent.py: {exc}")
