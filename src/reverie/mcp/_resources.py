"""MCP resource contents and prompts as reverie message parts.

A text resource becomes a :class:`TextPart`, a binary one a :class:`FilePart` with its MIME
type; a prompt's messages become reverie :class:`Message` values (user or assistant) that
can be passed straight to ``agent.generate``. A resource link in a prompt is described in
text, since following it is the caller's choice.
"""

from __future__ import annotations

import base64

import mcp.types as types

from reverie.content import FilePart, Message, Part, TextPart


def content_part(content: types.TextResourceContents | types.BlobResourceContents) -> Part:
    """One resource content item as a part."""
    if isinstance(content, types.TextResourceContents):
        return TextPart(content.text)
    mime = content.mime_type or "application/octet-stream"
    name = str(content.uri).rsplit("/", 1)[-1] or None
    return FilePart(base64.b64decode(content.blob), mime, name)


def prompt_messages(result: types.GetPromptResult) -> list[Message]:
    """A filled-in prompt as messages, in order."""
    return [Message(m.role, (_block_part(m.content),)) for m in result.messages]


def _block_part(block: types.ContentBlock) -> Part:
    if isinstance(block, types.TextContent):
        return TextPart(block.text)
    if isinstance(block, types.ImageContent | types.AudioContent):
        return FilePart(base64.b64decode(block.data), block.mime_type)
    if isinstance(block, types.EmbeddedResource):
        return content_part(block.resource)
    detail = f" ({block.description})" if block.description else ""
    return TextPart(f"[resource link: {block.uri} {block.name}{detail}]")
