"""MCP tool results to reverie tool outputs, and back (for the server side).

Client side, :func:`to_tool_output` maps a ``CallToolResult``:

- text blocks, text resources (headed by their URI), resource links and, when the result
  has no text of its own, its ``structuredContent`` as JSON, are joined into one text;
- the first image, audio or binary resource becomes a :class:`MediaOutput` carrying that
  text (reverie's tool output holds one media item: later ones are named in the text, not
  sent);
- ``isError`` makes an :class:`ErrorOutput` of the text, so the model sees the failure and
  the run goes on;
- a result larger than ``max_size`` (characters of text plus bytes of media) becomes an
  :class:`ErrorOutput` saying so, rather than flooding the model's context.

Server side, :func:`to_call_result` maps what a served function returned: a reverie output
(text, media, error, JSON), MCP content blocks or a whole ``CallToolResult`` (passed as is).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, cast

import mcp_types as types
import orjson

from reverie.content import ErrorOutput, JsonOutput, MediaOutput, TextOutput, ToolOutput
from reverie.tool import ToolResponse

# Binary resource types a model can be shown (the rest are described, not sent).
_SHOWABLE = ("image/", "audio/", "application/pdf")


def to_tool_output(result: types.CallToolResult, *, max_size: int, where: str) -> ToolOutput:
    """``result`` as the output the model sees; ``where`` names the tool and server."""
    texts: list[str] = []
    media: list[tuple[bytes, str]] = []
    for block in result.content:
        _collect(block, texts, media)
    if result.structured_content is not None and not any(
        isinstance(b, types.TextContent) for b in result.content
    ):
        texts.append(orjson.dumps(result.structured_content).decode())
    size = sum(len(t) for t in texts) + sum(len(data) for data, _ in media)
    if size > max_size:
        return ErrorOutput(
            f"{where} returned {size:,} characters/bytes, more than the {max_size:,} allowed "
            "(max_result_size); ask for a smaller result"
        )
    if result.is_error:
        return ErrorOutput("\n".join(texts) or f"{where} failed without saying why")
    if not media:
        return TextOutput("\n".join(texts))
    data, media_type = media[0]
    if len(media) > 1:
        others = ", ".join(kind for _, kind in media[1:])
        texts.append(f"[{len(media) - 1} more media item(s) not shown: {others}]")
    return MediaOutput(data, media_type, "\n".join(texts))


def _collect(block: Any, texts: list[str], media: list[tuple[bytes, str]]) -> None:
    if isinstance(block, types.TextContent):
        texts.append(block.text)
    elif isinstance(block, types.ImageContent | types.AudioContent):
        data = _decode(block.data)
        if data is None:
            texts.append(f"[{block.mime_type} content that is not valid base64]")
        else:
            media.append((data, block.mime_type))
    elif isinstance(block, types.EmbeddedResource):
        _resource(block.resource, texts, media)
    elif isinstance(block, types.ResourceLink):
        detail = " — ".join(x for x in (block.name, block.description or "") if x)
        texts.append(f"[resource link: {block.uri}{' (' + detail + ')' if detail else ''}]")


def _resource(
    resource: types.TextResourceContents | types.BlobResourceContents,
    texts: list[str],
    media: list[tuple[bytes, str]],
) -> None:
    if isinstance(resource, types.TextResourceContents):
        texts.append(f"[resource {resource.uri}]\n{resource.text}")
        return
    mime = resource.mime_type or "application/octet-stream"
    data = _decode(resource.blob)
    if data is not None and mime.startswith(_SHOWABLE):
        media.append((data, mime))
    else:
        size = f"{len(data):,} bytes" if data is not None else "invalid base64"
        texts.append(f"[resource {resource.uri}: {mime}, {size}, not shown]")


def _decode(data: str) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def to_call_result(value: Any) -> types.CallToolResult:
    """What a served function returned, as an MCP ``CallToolResult``."""
    if isinstance(value, types.CallToolResult):
        return value
    if _is_blocks(value):
        return types.CallToolResult(content=list(value))
    if isinstance(value, types.TextContent | types.ImageContent | types.AudioContent):
        return types.CallToolResult(content=[value])
    if isinstance(value, types.EmbeddedResource | types.ResourceLink):
        return types.CallToolResult(content=[value])
    output = ToolResponse.of(value).output
    assert not isinstance(output, str)
    return from_tool_output(output)


def from_tool_output(output: ToolOutput) -> types.CallToolResult:
    """A reverie tool output as MCP content (an error as ``isError``)."""
    if isinstance(output, TextOutput):
        return types.CallToolResult(content=[types.TextContent(text=output.text)])
    if isinstance(output, ErrorOutput):
        return types.CallToolResult(content=[types.TextContent(text=output.message)], is_error=True)
    if isinstance(output, JsonOutput):
        text = orjson.dumps(output.value).decode()
        value: Any = output.value
        structured = cast("dict[str, Any]", value) if isinstance(value, dict) else None
        return types.CallToolResult(
            content=[types.TextContent(text=text)], structured_content=structured
        )
    return types.CallToolResult(content=_media_blocks(output))


def _media_blocks(output: MediaOutput) -> list[types.ContentBlock]:
    data = base64.b64encode(output.data).decode()
    blocks: list[types.ContentBlock] = []
    if output.text:
        blocks.append(types.TextContent(text=output.text))
    if output.media_type.startswith("image/"):
        blocks.append(types.ImageContent(data=data, mime_type=output.media_type))
    elif output.media_type.startswith("audio/"):
        blocks.append(types.AudioContent(data=data, mime_type=output.media_type))
    else:
        resource = types.BlobResourceContents(
            uri="reverie://tool-result", mime_type=output.media_type, blob=data
        )
        blocks.append(types.EmbeddedResource(resource=resource))
    return blocks


_BLOCKS = (
    types.TextContent,
    types.ImageContent,
    types.AudioContent,
    types.EmbeddedResource,
    types.ResourceLink,
)


def _is_blocks(value: Any) -> bool:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        return False
    items: Sequence[Any] = value  # pyright: ignore[reportUnknownVariableType]
    return all(isinstance(item, _BLOCKS) for item in items)
