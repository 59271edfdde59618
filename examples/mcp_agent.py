"""Tools from an MCP server: an agent uses whatever a Model Context Protocol server offers.

    uv run python examples/mcp_agent.py                  # OpenAI: needs OPENAI_API_KEY
    uv run python examples/mcp_agent.py local:smollm2    # the built-in local model, no key

The server here is reverie's own (``reverie mcp serve``) offering ``add`` and ``multiply``
from ``examples/tools.py`` over stdio, so the example needs nothing but reverie. Any MCP
server works the same way: ``MCPServerStdio("npx", ["-y",
"@modelcontextprotocol/server-filesystem", "."])`` for a local one,
``MCPServerHTTP("https://.../mcp")`` for a remote one. See docs/mcp.md.

Needs the ``mcp`` extra: ``pip install 'reverie[mcp]'`` (``uv sync`` installs it).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from reverie import Agent, LanguageModel, RunResult
from reverie.events import TextDelta, ToolCall, ToolResult
from reverie.mcp import MCPServerStdio

TOOLS = Path(__file__).with_name("tools.py")
MODEL = "openai:gpt-4o-mini"


async def main(model: LanguageModel | str = MODEL) -> RunResult:
    calculator = MCPServerStdio(
        sys.executable,
        [
            "-m",
            "reverie.cli",
            "mcp",
            "serve",
            "--tool",
            f"{TOOLS}:add",
            "--tool",
            f"{TOOLS}:multiply",
        ],
    )
    agent = Agent(
        model,
        system="You are a calculator. Use the tools for arithmetic.",
        tools=[calculator],  # an MCP server goes where tools go
        max_output_tokens=120,
    )
    # The run starts the server, lists its tools for the model, calls them, and stops the
    # server at the end (`async with agent:` keeps it running across several runs).
    stream = agent.stream("What is (2 + 3) * 4?")
    async for event in stream:
        match event:
            case ToolCall(call=call):
                print(f"-> {call.tool_name}({call.input})")
            case ToolResult(result=result):
                print(f"<- {result.output}")
            case TextDelta(delta=delta):
                print(delta, end="", flush=True)
            case _:
                pass
    print()
    assert stream.result is not None
    return stream.result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
