"""Structured output: a pydantic model in, a validated instance out.

    uv run python examples/structured_output.py                  # needs OPENAI_API_KEY
    uv run python examples/structured_output.py local:smollm2    # the built-in local model

reverie picks how to ask for JSON (``mode="auto"``): the provider's native JSON-schema
output where there is one (OpenAI, Gemini), else one forced tool whose parameters are the
schema (Anthropic, OpenAI-compatible hosts, the local model). The answer is parsed,
repaired if it is almost-JSON, and validated; ``NoObjectGeneratedError`` says why when
nothing valid came back.

Offline: ``tests/examples/cassettes/structured_output.yaml``, recorded with
``uv run python tests/examples/record.py structured_output`` from SmolLM2-135M on llama.cpp
(``local:smollm2``: the forced tool becomes schema-constrained JSON).
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel, Field

from reverie import LanguageModel, generate_object
from reverie.errors import ConfigurationError

MODEL = "openai:gpt-4o-mini"


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="the person's first name")
    age: int
    city: str


async def main(model: LanguageModel | str = MODEL) -> Person:
    result = await generate_object(
        model,
        "Extract the person: Alice is 30 years old and lives in Paris.",
        schema=Person,
        max_output_tokens=100,
    )
    person = result.object  # a Person: typed, validated
    print(repr(person))
    print(f"[{result.usage.total_tokens} tokens, finish: {result.finish_reason.value}]")
    return person


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:2]))
    except ConfigurationError as exc:  # no key set, or the local model not installed
        sys.exit(f"structured_output.py: {exc}")
