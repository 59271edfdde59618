"""The simplest agent: one prompt in, one answer out.

    uv run python examples/simple.py                  # OpenAI: needs OPENAI_API_KEY
    uv run python examples/simple.py local:smollm2    # the built-in local model, no key
    uv run python examples/simple.py anthropic:claude-sonnet-4-20250514

``main`` takes the model (a name or a model object), so the same code runs against a
cassette: ``tests/examples/test_examples.py`` passes a model whose HTTP client replays
``tests/examples/cassettes/simple.yaml``. That cassette was recorded with
``uv run python tests/examples/record.py simple``: real traffic to SmolLM2-135M on the
llama.cpp server reverie starts in-process (``local:smollm2``).
"""

from __future__ import annotations

import asyncio
import sys

from reverie import Agent, LanguageModel, RunResult
from reverie.errors import ConfigurationError

MODEL = "openai:gpt-4o-mini"  # any "provider:model" name; `reverie models` lists them


async def main(model: LanguageModel | str = MODEL) -> RunResult:
    # An Agent holds the model and the settings every call shares. With no tools it makes
    # exactly one model call.
    agent = Agent(model, system="You are a helpful assistant.", max_output_tokens=60)

    result = await agent.generate("What is the capital of France?")

    print(result.text)
    # Usage is summed over every step of the run (here: one).
    print(f"[{result.usage.input_tokens} tokens in, {result.usage.output_tokens} out]")
    return result


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:2]))
    except ConfigurationError as exc:  # no key set, or the local model not installed
        sys.exit(f"simple.py: {exc}")
