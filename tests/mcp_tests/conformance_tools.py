"""The tools the conformance suite's server scenarios call, served by ``reverie mcp serve``.

Each scenario names a tool and the result it expects (``test_simple_text`` returns a fixed
text, ``test_tool_with_progress`` reports 0, 50 and 100 of 100, ...). They are written as a
reverie user would write served tools: plain typed functions returning reverie outputs, MCP
content where reverie has no equivalent (an embedded resource, mixed content), and
:func:`reverie.mcp.request_context` for progress, logging, sampling and elicitation.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from mcp import types

from reverie import FunctionTool, MediaOutput
from reverie.mcp import request_context

# A 1x1 red PNG and a 1-sample WAV: the smallest valid media of each kind.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
WAV = base64.b64decode("UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==")


def test_simple_text() -> str:
    """A fixed text."""
    return "This is a simple text response for testing."


def test_image_content() -> MediaOutput:
    """A tiny PNG image."""
    return MediaOutput(PNG, "image/png")


def test_audio_content() -> MediaOutput:
    """A tiny WAV sound."""
    return MediaOutput(WAV, "audio/wav")


def test_embedded_resource() -> list[types.ContentBlock]:
    """A text resource embedded in the result."""
    resource = types.TextResourceContents(
        uri="test://embedded-resource",
        mime_type="text/plain",
        text="This is an embedded resource content.",
    )
    return [types.EmbeddedResource(resource=resource)]


def test_multiple_content_types() -> list[types.ContentBlock]:
    """Text, an image and a JSON resource in one result."""
    resource = types.TextResourceContents(
        uri="test://mixed-content-resource",
        mime_type="application/json",
        text=json.dumps({"test": "data", "value": 123}),
    )
    return [
        types.TextContent(text="Multiple content types test:"),
        types.ImageContent(data=base64.b64encode(PNG).decode(), mime_type="image/png"),
        types.EmbeddedResource(resource=resource),
    ]


def test_error_handling() -> str:
    """Always fails."""
    raise RuntimeError("This tool intentionally returns an error for testing")


async def test_tool_with_logging() -> str:
    """Logs three messages while it runs."""
    ctx = request_context()
    await ctx.log("info", "Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.log("info", "Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.log("info", "Tool execution completed")
    return "Tool with logging executed successfully"


async def test_tool_with_progress() -> str:
    """Reports progress 0, 50 and 100 of 100."""
    ctx = request_context()
    for step in (0, 50, 100):
        await ctx.report_progress(step, 100)
        if step < 100:
            await asyncio.sleep(0.05)
    return "Tool with progress executed successfully"


async def test_sampling(prompt: str) -> str:
    """Asks the client's model.

    Args:
        prompt: The prompt to send to the LLM
    """
    answer = await request_context().sample(prompt, max_tokens=100)
    return f"LLM response: {answer}"


async def test_elicitation(message: str) -> str:
    """Asks the client's user for a name and an email address.

    Args:
        message: The message to show the user
    """
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    answer = await request_context().elicit(message, schema)
    return f"User response: <action: {answer.action}, content: {json.dumps(answer.content)}>"


async def test_elicitation_sep1034_defaults() -> str:
    """Asks for fields that all have defaults (SEP-1034)."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {
                "type": "string",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "default": True},
        },
    }
    return await _elicited("Please review your profile", schema)


async def test_elicitation_sep1330_enums() -> str:
    """Asks with every kind of enum field (SEP-1330)."""
    titled = [("value1", "First Option"), ("value2", "Second Option"), ("value3", "Third Option")]
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {
                "type": "string",
                "oneOf": [{"const": v, "title": t} for v, t in titled],
            },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
            },
            "titledMulti": {
                "type": "array",
                "items": {"anyOf": [{"const": v, "title": t} for v, t in titled]},
            },
        },
    }
    return await _elicited("Choose your options", schema)


async def _elicited(message: str, schema: dict[str, Any]) -> str:
    answer = await request_context().elicit(message, schema)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


async def test_reconnection() -> str:
    """Closes its SSE stream mid-call; the client resumes it and gets the result."""
    close = request_context().raw.close_sse_stream
    if close is not None:
        await close()
        await asyncio.sleep(0.2)  # the client reconnects with Last-Event-ID meanwhile
    return "Reconnection test completed successfully"


json_schema_2020_12_tool = FunctionTool.from_schema(
    "json_schema_2020_12_tool",
    "Tool with JSON Schema 2020-12 features",
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            }
        },
        "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
        "additionalProperties": False,
    },
    lambda arguments: f"Received: {json.dumps(arguments)}",
)

TOOLS = [
    name
    for name, value in list(globals().items())
    if name.startswith("test_") or isinstance(value, FunctionTool)
]
