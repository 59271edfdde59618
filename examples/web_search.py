"""Web search: a hosted tool the provider runs itself, with cited sources.

    uv run python examples/web_search.py        # needs ANTHROPIC_API_KEY

Anthropic's ``web_search_20250305`` is a *server* tool: you offer it as a
``ProviderTool``, Claude decides to search, Anthropic runs the search, and one response
holds the search call, its results and the answer with citations. Nothing runs on your
side, so the agent makes a single call. reverie returns the results as ``SourcePart``s
(``step.sources``) and keeps the raw result blocks (encrypted content included) in the
conversation, so a follow-up turn sends them back as the API requires.

Offline: ``tests/examples/cassettes/web_search.yaml``. With no Anthropic key here, it was
recorded with ``uv run python tests/examples/record.py web_search`` from a scripted
Anthropic-compatible server (``tests/examples/scripted_anthropic.py``) that answers with the
block shapes of real web-search responses; its search results are scripted, not searched.
"""

from __future__ import annotations

import asyncio
import sys

from reverie import Agent, LanguageModel, ProviderTool, RunResult
from reverie.errors import ConfigurationError

MODEL = "anthropic:claude-sonnet-4-20250514"


async def main(model: LanguageModel | str = MODEL) -> RunResult:
    agent = Agent(
        model,
        system="You are a helpful assistant",
        # (provider tool id, the name the model sees); options go in a third argument,
        # e.g. {"max_uses": 3, "allowed_domains": ["wikipedia.org"]}.
        provider_tools=[ProviderTool("anthropic.web_search_20250305", "web_search")],
        max_output_tokens=1000,
    )

    result = await agent.generate("Who won the 2024 Tour de France? Cite your source.")

    step = result.steps[0]
    # A model without hosted web search leaves the tool out and says so here; its answer
    # then comes from memory, not from a search.
    for warning in step.warnings:
        print(f"warning: {warning.message}", file=sys.stderr)
    print(result.text)
    for call in step.tool_calls:  # the search the provider ran (provider_executed=True)
        print(f"\nsearched: {call.input}")
    for source in step.sources:
        print(f"  - {source.title}: {source.url}")
    return result


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:2]))
    except ConfigurationError as exc:  # no key set, or the local model not installed
        sys.exit(f"web_search.py: {exc}")
