"""Streaming: print the answer token by token as the model writes it.

    uv run python examples/stream.py                  # OpenAI: needs OPENAI_API_KEY
    uv run python examples/stream.py local:smollm2    # the built-in local model, no key

``agent.stream(...)`` yields typed events (``reverie.events``); match on the ones you
care about and ignore the rest. When the loop ends, ``stream.result`` holds the same
``RunResult`` that ``agent.generate`` would have returned.

Offline: ``tests/examples/cassettes/stream.yaml``, recorded with
``uv run python tests/examples/record.py stream`` from SmolLM2-135M on llama.cpp
(``local:smollm2``). A streamed cassette replays event by event, so the deltas printed on
replay are the ones the model really sent.
"""

from __future__ import annotations

import asyncio
import sys

from reverie import Agent, LanguageModel, RunResult
from reverie.errors import ConfigurationError
from reverie.events import Finish, TextDelta

MODEL = "openai:gpt-4o-mini"


async def main(model: LanguageModel | str = MODEL) -> RunResult:
    agent = Agent(model, system="You are a helpful assistant.", max_output_tokens=80)

    stream = agent.stream("Write one sentence about the sea.")
    async for event in stream:
        match event:
            case TextDelta(delta=delta):
                print(delta, end="", flush=True)  # flush: show each token as it arrives
            case Finish(finish_reason=reason):
                print(f"\n[finished: {reason.value}]")
            case _:
                pass  # text-start/-end, step boundaries, usage... not needed here

    # The stream has run to its end, so the result is there.
    assert stream.result is not None
    return stream.result


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:2]))
    except ConfigurationError as exc:  # no key set, or the local model not installed
        sys.exit(f"stream.py: {exc}")
