"""One adapter per client, each doing the same three jobs against the bench server.

- ``text(n)``: stream ``text-n`` and return the assembled text;
- ``tool(n)``: stream ``tool-n`` and return the assembled tool-call arguments;
- ``seed()``: run the seed conversation (both tool calls, the results ``5`` and ``6``, then
  the answer) and return the final text.

Results are checked by the runner, so a fast but wrong adapter fails. Imports happen inside
``make()`` so that loading this module costs nothing for clients that are not measured.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

SYSTEM = "You are a helpful assistant. Always use both add and multiply at the same time."
PROMPT = "Add and multiply the number 2 and 3"
TOOL_SCHEMA = {
    "type": "object",
    "properties": {
        "a": {"type": "integer", "description": "first number"},
        "b": {"type": "integer", "description": "second number"},
    },
    "required": ["a", "b"],
}
TOOLS_WIRE = [
    {
        "type": "function",
        "function": {"name": name, "description": desc, "parameters": TOOL_SCHEMA},
    }
    for name, desc in (("add", "Add two numbers"), ("multiply", "Multiply two numbers"))
]
MAX_CONNECTIONS = 2000


def _run_tool(name: str, arguments: str) -> str:
    args = json.loads(arguments)
    return str(args["a"] + args["b"] if name == "add" else args["a"] * args["b"])


@dataclass
class Adapter:
    name: str
    text: Callable[[int], Awaitable[str]]
    tool: Callable[[int], Awaitable[str]]
    seed: Callable[[], Awaitable[str]]
    close: Callable[[], Awaitable[None]]


# ---------------------------------------------------------------------------------------
# The floor: raw httpx2, read lines, json.loads


def make_floor(base_url: str) -> Adapter:
    import httpx2

    client = httpx2.AsyncClient(timeout=60, limits=httpx2.Limits(max_connections=MAX_CONNECTIONS))
    url = base_url + "/chat/completions"

    async def chunks(body: dict[str, Any]) -> Any:
        async with client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    yield json.loads(data)

    async def text(n: int) -> str:
        parts: list[str] = []
        body = {
            "model": f"text-{n}",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
        }
        async for chunk in chunks(body):
            for choice in chunk["choices"]:
                content = choice["delta"].get("content")
                if content:
                    parts.append(content)
        return "".join(parts)

    async def tool(n: int) -> str:
        args: list[str] = []
        body = {
            "model": f"tool-{n}",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
        }
        async for chunk in chunks(body):
            for choice in chunk["choices"]:
                for tc in choice["delta"].get("tool_calls") or ():
                    args.append(tc["function"].get("arguments") or "")
        return "".join(args)

    async def seed() -> str:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": PROMPT},
        ]
        while True:
            body = {
                "model": "seed",
                "messages": messages,
                "tools": TOOLS_WIRE,
                "tool_choice": "auto",
                "stream": True,
            }
            calls: dict[int, dict[str, str]] = {}
            text: list[str] = []
            async for chunk in chunks(body):
                for choice in chunk["choices"]:
                    delta = choice["delta"]
                    if delta.get("content"):
                        text.append(delta["content"])
                    for tc in delta.get("tool_calls") or ():
                        call = calls.setdefault(
                            tc["index"], {"id": "", "name": "", "arguments": ""}
                        )
                        call["id"] = tc.get("id") or call["id"]
                        call["name"] = tc["function"].get("name") or call["name"]
                        call["arguments"] += tc["function"].get("arguments") or ""
            if not calls:
                return "".join(text)
            ordered = [calls[i] for i in sorted(calls)]
            messages.append(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]},
                        }
                        for c in ordered
                    ],
                }
            )
            for c in ordered:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": c["id"],
                        "content": _run_tool(c["name"], c["arguments"]),
                    }
                )

    return Adapter("httpx2 floor", text, tool, seed, client.aclose)


# ---------------------------------------------------------------------------------------
# reverie


def make_reverie(base_url: str, *, own_client: bool = False) -> Adapter:
    """reverie as users get it: its default client (``own_client``: a plain httpx2 client)."""
    import httpx2

    from reverie import Agent, Call, get_model, user
    from reverie.events import TextDelta, ToolCall

    client = (
        httpx2.AsyncClient(timeout=60, limits=httpx2.Limits(max_connections=MAX_CONNECTIONS))
        if own_client
        else None
    )

    def model(name: str) -> Any:
        return get_model(f"openai-compatible:{name}", base_url=base_url, http_client=client)

    async def close() -> None:
        if client is not None:
            await client.aclose()
        else:
            from reverie.providers._http import default_client

            await default_client().aclose()

    async def text(n: int) -> str:
        parts: list[str] = []
        async for event in model(f"text-{n}").stream(Call([user("hi")])):
            if isinstance(event, TextDelta):
                parts.append(event.delta)
        return "".join(parts)

    async def tool(n: int) -> str:
        args = ""
        async for event in model(f"tool-{n}").stream(Call([user("hi")])):
            if isinstance(event, ToolCall):
                args = event.call.input
        return args

    def add(a: int, b: int) -> str:
        """Add two numbers"""
        return str(a + b)

    def multiply(a: int, b: int) -> str:
        """Multiply two numbers"""
        return str(a * b)

    agent = Agent(model("seed"), system=SYSTEM, tools=[add, multiply])

    async def seed() -> str:
        return (await agent.stream(PROMPT).collect()).text

    return Adapter("reverie-httpx2" if own_client else "reverie", text, tool, seed, close)


# ---------------------------------------------------------------------------------------
# The official openai SDK


def make_openai(base_url: str) -> Adapter:
    import httpx
    import openai

    client = openai.AsyncOpenAI(
        base_url=base_url,
        api_key="bench",
        max_retries=0,
        http_client=httpx.AsyncClient(limits=httpx.Limits(max_connections=MAX_CONNECTIONS)),
    )

    async def text(n: int) -> str:
        parts: list[str] = []
        stream = await client.chat.completions.create(
            model=f"text-{n}", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
        return "".join(parts)

    async def tool(n: int) -> str:
        args: list[str] = []
        stream = await client.chat.completions.create(
            model=f"tool-{n}", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in stream:
            for choice in chunk.choices:
                for tc in choice.delta.tool_calls or ():
                    if tc.function and tc.function.arguments:
                        args.append(tc.function.arguments)
        return "".join(args)

    async def seed() -> str:
        messages: list[Any] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": PROMPT},
        ]
        while True:
            stream = await client.chat.completions.create(
                model="seed",
                messages=messages,
                tools=TOOLS_WIRE,
                stream=True,  # type: ignore[arg-type]
            )
            calls: dict[int, dict[str, str]] = {}
            text: list[str] = []
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.delta.content:
                        text.append(choice.delta.content)
                    for tc in choice.delta.tool_calls or ():
                        call = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                        call["id"] = tc.id or call["id"]
                        if tc.function:
                            call["name"] = tc.function.name or call["name"]
                            call["arguments"] += tc.function.arguments or ""
            if not calls:
                return "".join(text)
            ordered = [calls[i] for i in sorted(calls)]
            messages.append(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]},
                        }
                        for c in ordered
                    ],
                }
            )
            for c in ordered:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": c["id"],
                        "content": _run_tool(c["name"], c["arguments"]),
                    }
                )

    return Adapter("openai SDK", text, tool, seed, client.close)


# ---------------------------------------------------------------------------------------
# pydantic-ai


def make_pydantic_ai(base_url: str) -> Adapter:
    import httpx
    from pydantic_ai import Agent as PAgent
    from pydantic_ai.direct import model_request_stream
    from pydantic_ai.messages import (
        ModelRequest,
        PartDeltaEvent,
        PartStartEvent,
        TextPart,
        ToolCallPart,
        ToolCallPartDelta,
    )
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=MAX_CONNECTIONS))
    provider = OpenAIProvider(base_url=base_url, api_key="bench", http_client=http)

    def model(name: str) -> Any:
        return OpenAIChatModel(name, provider=provider)

    async def text(n: int) -> str:
        async with model_request_stream(model(f"text-{n}"), [ModelRequest.user_text_prompt("hi")]) as stream:
            async for _event in stream:  # consume the typed events as a user would
                pass
            response = stream.get()
        return "".join(p.content for p in response.parts if isinstance(p, TextPart))

    async def tool(n: int) -> str:
        args: list[str] = []
        async with model_request_stream(
            model(f"tool-{n}"), [ModelRequest.user_text_prompt("hi")]
        ) as stream:
            async for event in stream:
                if isinstance(event, PartStartEvent) and isinstance(event.part, ToolCallPart):
                    if isinstance(event.part.args, str):
                        args.append(event.part.args)
                elif isinstance(event, PartDeltaEvent) and isinstance(
                    event.delta, ToolCallPartDelta
                ):
                    if isinstance(event.delta.args_delta, str):
                        args.append(event.delta.args_delta)
        return "".join(args)

    agent = PAgent(model("seed"), system_prompt=SYSTEM)

    @agent.tool_plain
    def add(a: int, b: int) -> str:
        """Add two numbers"""
        return str(a + b)

    @agent.tool_plain
    def multiply(a: int, b: int) -> str:
        """Multiply two numbers"""
        return str(a * b)

    async def seed() -> str:
        # The bench server streams every answer, so the agent runs in streaming mode.
        async with agent.run_stream(PROMPT) as result:
            return str(await result.get_output())

    return Adapter("pydantic-ai", text, tool, seed, http.aclose)


# ---------------------------------------------------------------------------------------
# litellm


def make_litellm(base_url: str) -> Adapter:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    async def stream(model: str, messages: list[Any], **kw: Any) -> Any:
        return await litellm.acompletion(
            model=f"openai/{model}",
            api_base=base_url,
            api_key="bench",
            messages=messages,
            stream=True,
            **kw,
        )

    async def text(n: int) -> str:
        parts: list[str] = []
        async for chunk in await stream(f"text-{n}", [{"role": "user", "content": "hi"}]):
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
        return "".join(parts)

    async def tool(n: int) -> str:
        args: list[str] = []
        async for chunk in await stream(f"tool-{n}", [{"role": "user", "content": "hi"}]):
            for choice in chunk.choices:
                for tc in choice.delta.tool_calls or ():
                    if tc.function and tc.function.arguments:
                        args.append(tc.function.arguments)
        return "".join(args)

    async def seed() -> str:
        messages: list[Any] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": PROMPT},
        ]
        while True:
            calls: dict[int, dict[str, str]] = {}
            text: list[str] = []
            async for chunk in await stream("seed", messages, tools=TOOLS_WIRE):
                for choice in chunk.choices:
                    if choice.delta.content:
                        text.append(choice.delta.content)
                    for tc in choice.delta.tool_calls or ():
                        call = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                        call["id"] = tc.id or call["id"]
                        if tc.function:
                            call["name"] = tc.function.name or call["name"]
                            call["arguments"] += tc.function.arguments or ""
            if not calls:
                return "".join(text)
            ordered = [calls[i] for i in sorted(calls)]
            messages.append(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]},
                        }
                        for c in ordered
                    ],
                }
            )
            for c in ordered:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": c["id"],
                        "content": _run_tool(c["name"], c["arguments"]),
                    }
                )

    async def close() -> None:
        return None

    return Adapter("litellm", text, tool, seed, close)


FACTORIES: dict[str, Callable[[str], Adapter]] = {
    "floor": make_floor,
    "reverie": make_reverie,
    "reverie-httpx2": lambda url: make_reverie(url, own_client=True),
    "openai": make_openai,
    "pydantic-ai": make_pydantic_ai,
    "litellm": make_litellm,
}
IMPORTS = {
    "floor": "httpx2",
    "reverie": "reverie",
    "reverie-httpx2": "reverie",
    "openai": "openai",
    "pydantic-ai": "pydantic_ai",
    "litellm": "litellm",
}
