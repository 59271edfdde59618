"""Turning live httpx2 traffic into cassette interactions, the way go-vcr records them.

Used by :class:`~reverie.testing._transport.CassetteTransport` in its recording modes. The
request is captured before it is sent; the response body is teed while the caller reads it,
so a streamed answer reaches the caller chunk by chunk as it arrives and is recorded whole.
Nothing is redacted here: the writer redacts (:mod:`reverie.testing._redact`), so every path
that saves a cassette is covered.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2

from reverie.testing._cassette import Interaction, RecordedRequest, RecordedResponse
from reverie.testing._go import canonical_header, format_go_duration, status_text


def header_lists(headers: httpx2.Headers) -> dict[str, list[str]]:
    """Headers as go-vcr stores them: canonical names, every value in order."""
    out: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        out.setdefault(canonical_header(name), []).append(value)
    return out


def _text_or_bytes(data: bytes) -> str | bytes:
    """Text when the bytes are UTF-8 (as go-yaml writes a valid Go string), else bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def record_request(request: httpx2.Request, body: bytes) -> RecordedRequest:
    """What go-vcr records for an outgoing request (``form`` holds the query parameters and
    a URL-encoded form body, like Go's ``Request.Form``)."""
    form: dict[str, list[str]] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            form.setdefault(key, []).append(value)
    query = urlsplit(str(request.url)).query
    for key, value in parse_qsl(query, keep_blank_values=True):
        form.setdefault(key, []).append(value)
    return RecordedRequest(
        method=request.method,
        url=str(request.url),
        body=_text_or_bytes(body),
        headers=header_lists(request.headers),
        form=form,
        proto="HTTP/1.1",
        content_length=len(body),
        host="",
    )


class RecordingStream(httpx2.AsyncByteStream):
    """Passes the live body through unchanged and records it; ``on_done`` gets the finished
    interaction once, when the body ends or the caller closes the response early (then the
    part that was read is what gets recorded — a replay stops at the same place). A body
    cut off by a network error is not recorded."""

    def __init__(
        self,
        response: httpx2.Response,
        request: RecordedRequest,
        started: float,
        on_done: Callable[[Interaction], None],
    ) -> None:
        self._response = response
        self._request = request
        self._started = started
        self._on_done = on_done
        self._chunks: list[bytes] = []
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        stream: AsyncIterable[bytes] = self._response.stream  # pyright: ignore[reportAssignmentType]
        try:
            async for chunk in stream:
                self._chunks.append(chunk)
                yield chunk
        except httpx2.TransportError:
            self._done = True  # the provider's answer broke off: nothing worth replaying
            raise
        self._finish()

    async def aclose(self) -> None:
        self._finish()
        stream: Any = self._response.stream
        await stream.aclose()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._on_done(
            Interaction(
                self._request,
                record_response(self._response, b"".join(self._chunks), self._started),
            )
        )


def record_response(response: httpx2.Response, raw_body: bytes, started: float) -> RecordedResponse:
    """What go-vcr records for a response whose (still encoded) body was ``raw_body``.

    The duration runs to the end of the body, so a replay can pace a stream over it.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    body, uncompressed = _decode(raw_body, encoding)
    chunked = "chunked" in response.headers.get("transfer-encoding", "").lower()
    length_header = response.headers.get("content-length")
    if uncompressed or chunked or length_header is None or not length_header.isdigit():
        content_length = -1
    else:
        content_length = int(length_header)
    headers = header_lists(response.headers)
    headers.pop("Transfer-Encoding", None)  # Go moves it to transfer_encoding
    if uncompressed:
        headers.pop("Content-Encoding", None)
        headers.pop("Content-Length", None)
    version = response.http_version
    reason = response.reason_phrase
    return RecordedResponse(
        status_code=response.status_code,
        body=_text_or_bytes(body),
        headers=headers,
        status=f"{response.status_code} {reason}" if reason else status_text(response.status_code),
        duration=format_go_duration(time.perf_counter() - started),
        proto="HTTP/2.0" if version == "HTTP/2" else version or "HTTP/1.1",
        content_length=content_length,
        transfer_encoding=["chunked"] if chunked else [],
        uncompressed=uncompressed,
    )


def _decode(data: bytes, encoding: str) -> tuple[bytes, bool]:
    """The body as the caller saw it (gzip and deflate undone), and whether it was encoded.

    The recorder asks for ``identity``, so this is only for servers that compress anyway.
    """
    if not data or encoding in ("", "identity"):
        return data, False
    try:
        if encoding == "gzip":
            return zlib.decompress(data, 16 + zlib.MAX_WBITS), True
        if encoding == "deflate":
            try:
                return zlib.decompress(data), True
            except zlib.error:
                return zlib.decompress(data, -zlib.MAX_WBITS), True
    except zlib.error:
        return data, False
    return data, False
