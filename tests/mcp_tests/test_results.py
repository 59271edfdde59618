"""MCP results as reverie tool outputs: every content kind, errors and the size limit."""

from __future__ import annotations

import base64

from mcp import types

from reverie.content import ErrorOutput, MediaOutput, TextOutput
from reverie.mcp._results import to_tool_output

PNG = b"\x89PNG\r\n\x1a\n"


def result(*blocks: object, structured: object = None, error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=list(blocks), structured_content=structured, is_error=error)  # type: ignore[arg-type]


def out(value: types.CallToolResult, limit: int = 1_000_000) -> object:
    return to_tool_output(value, max_size=limit, where="tool 't'")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_text_blocks_are_joined() -> None:
    assert out(result(types.TextContent(text="a"), types.TextContent(text="b"))) == TextOutput(
        "a\nb"
    )


def test_structured_content_is_the_text_when_there_is_no_text() -> None:
    assert out(result(structured={"t": 21})) == TextOutput('{"t":21}')
    assert out(result(types.TextContent(text="21 C"), structured={"t": 21})) == TextOutput("21 C")


def test_media_keeps_the_first_item_and_names_the_rest() -> None:
    value = out(
        result(
            types.TextContent(text="two pictures"),
            types.ImageContent(data=b64(PNG), mime_type="image/png"),
            types.AudioContent(data=b64(b"RIFF"), mime_type="audio/wav"),
        )
    )
    assert isinstance(value, MediaOutput) and value.data == PNG
    assert value.text == "two pictures\n[1 more media item(s) not shown: audio/wav]"


def test_resources_are_headed_by_their_uri_and_binary_ones_described() -> None:
    text = types.TextResourceContents(uri="file:///a.txt", text="hello")
    zipped = types.BlobResourceContents(
        uri="file:///a.zip", mime_type="application/zip", blob=b64(b"PK")
    )
    value = out(
        result(types.EmbeddedResource(resource=text), types.EmbeddedResource(resource=zipped))
    )
    assert value == TextOutput(
        "[resource file:///a.txt]\nhello\n[resource file:///a.zip: application/zip, 2 bytes, not shown]"
    )


def test_a_picture_resource_is_media() -> None:
    blob = types.BlobResourceContents(uri="file:///a.png", mime_type="image/png", blob=b64(PNG))
    value = out(result(types.EmbeddedResource(resource=blob)))
    assert isinstance(value, MediaOutput) and value.media_type == "image/png"


def test_is_error_is_an_error_output() -> None:
    assert out(result(types.TextContent(text="no such city"), error=True)) == ErrorOutput(
        "no such city"
    )
    assert out(result(error=True)) == ErrorOutput("tool 't' failed without saying why")


def test_invalid_base64_is_described_not_raised() -> None:
    value = out(result(types.ImageContent(data="%%%", mime_type="image/png")))
    assert value == TextOutput("[image/png content that is not valid base64]")


def test_a_result_over_the_limit_is_an_error_output() -> None:
    value = out(result(types.TextContent(text="x" * 101)), limit=100)
    assert value == ErrorOutput(
        "tool 't' returned 101 characters/bytes, more than the 100 allowed (max_result_size); "
        "ask for a smaller result"
    )
