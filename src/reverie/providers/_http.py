"""The only provider code that does I/O: POST JSON, read JSON or a byte stream, map errors.

Wire modules stay pure; providers call :func:`post_json` and :func:`post_stream` here. Every
failure leaves this module as a :mod:`reverie.errors` type, translated once: HTTP statuses by
:func:`error_from_status` (in :mod:`reverie.providers._errors`), transport failures and
timeouts by :func:`_translate`. Credentials the request carried are removed from every
error's text.

Timeouts (:class:`reverie.timeouts.Timeouts`, per model; defaults there): each limit is
enforced around a single await (never across a ``yield``, so a slow consumer is not taken
for a slow provider), on top of the client's own ``httpx2.Timeout`` (whose ``connect``
reverie's replaces when set).

Clients: a provider given an ``httpx2.AsyncClient`` uses it (that is how cassettes, proxies
and custom pools plug in). Otherwise it uses :func:`default_client`, one per event loop,
because a connection pool cannot outlive the loop that opened it.

Closing: a stream's response is closed when its iteration ends, fails, is cancelled or is
abandoned (``aclose``, or the generator's finalizer), so no connection outlives its use.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar, cast

import httpx2
import orjson

from reverie import errors
from reverie.providers._errors import (
    error_from_event,
    error_from_status,
    redact,
    retry_after_seconds,
    secrets_of,
)
from reverie.providers._transport import fast_client
from reverie.timeouts import DEFAULT_TIMEOUTS, Timeouts

__all__ = [
    "DEFAULT_TIMEOUTS",
    "Timeouts",
    "default_client",
    "error_from_event",
    "error_from_status",
    "post_json",
    "post_stream",
    "retry_after_seconds",
]

T = TypeVar("T")


class _Done(dict[str, Any]):
    """The type of :data:`SSE_DONE`: an empty object that only an identity check tells apart."""

    __slots__ = ()


SSE_DONE: dict[str, Any] = _Done()
"""What :func:`post_sse_objects` yields for a ``data: [DONE]`` line: an empty object, so a
decoder that does not care needs no change, and one that does tests ``chunk is SSE_DONE``
(Chat Completions: a stream that ended with ``[DONE]`` ended on purpose)."""


# The default client's own limits are a backstop only; reverie's Timeouts are tighter.
DEFAULT_TIMEOUT = httpx2.Timeout(1800.0, connect=DEFAULT_TIMEOUTS.connect)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def default_client() -> httpx2.AsyncClient:
    """The shared client of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = fast_client(DEFAULT_TIMEOUT)  # FastTransport unless a proxy is configured
        _clients[loop] = client
    return client


class _Deadline:
    """Remaining time of one request: each await gets min(phase limit, what is left)."""

    __slots__ = ("_end", "_loop", "_provider", "_total")

    def __init__(self, total: float | None, provider: str) -> None:
        self._loop = asyncio.get_running_loop()
        self._total = total
        self._end = None if total is None else self._loop.time() + total
        self._provider = provider

    async def run(self, aw: Awaitable[T], limit: float | None, what: str, option: str) -> T:
        """Await ``aw`` within ``limit`` and the request's total; a miss is APITimeoutError."""
        delay = limit
        phase, name = what, option
        if self._end is not None:
            left = self._end - self._loop.time()
            if delay is None or left < delay:
                delay, phase, name = max(left, 0.0), "the whole request", "total"
        if delay is None:
            return await aw
        try:
            async with asyncio.timeout(delay):
                return await aw
        except TimeoutError:
            seconds = self._total if name == "total" else limit
            raise errors.APITimeoutError(
                f"{self._provider}: {phase} took longer than {seconds:g}s ({name} timeout). "
                f"Retrying may succeed; to wait longer pass timeouts=Timeouts({name}=...)"
            ) from None


def _build(
    http: httpx2.AsyncClient, url: str, body: bytes, headers: Mapping[str, str], t: Timeouts
) -> httpx2.Request:
    timeout = http.timeout
    if t.connect is not None:
        timeout = httpx2.Timeout(
            connect=t.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
        )
    return http.build_request("POST", url, content=body, headers=dict(headers), timeout=timeout)


async def post_json(
    client: httpx2.AsyncClient | None,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
    timeouts: Timeouts | None = None,
) -> Any:
    """POST ``body`` and return the decoded JSON answer, or raise a ReverieError.

    Only ``connect`` and ``total`` apply: a non-streamed answer's first byte is its last.
    """
    t = timeouts or DEFAULT_TIMEOUTS
    http = client or default_client()
    deadline = _Deadline(t.total, provider)
    secrets = secrets_of(headers, url)
    try:
        request = _build(http, url, body, headers, t)
        response = await deadline.run(http.send(request), None, "the response", "total")
    except errors.ReverieError:
        raise
    except _TRANSPORT_ERRORS as exc:
        raise _translate(exc, provider, secrets) from exc
    if response.status_code >= 400:
        raise error_from_status(
            response.status_code, response.text, response.headers, provider, secrets
        )
    if not response.content.strip():
        raise errors.IncompleteStreamError(
            f"{provider} answered {response.status_code} with an empty body (a proxy or the "
            "host dropped the answer; retrying may succeed)"
        )
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        snippet = redact(response.text[:300], secrets)
        raise errors.ProtocolError(
            f"{provider} answered {response.status_code} with a body that is not JSON: {snippet!r}",
            line=snippet,
        ) from exc


async def post_stream(
    client: httpx2.AsyncClient | None,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
    timeouts: Timeouts | None = None,
) -> AsyncGenerator[bytes, None]:
    """POST ``body`` and yield the response body as it arrives.

    An error status raises before anything is yielded. The response is closed when the
    iteration ends, fails, is cancelled, or is abandoned (``aclose``).
    """
    t = timeouts or DEFAULT_TIMEOUTS
    http = client or default_client()
    deadline = _Deadline(t.total, provider)
    secrets = secrets_of(headers, url)
    response: httpx2.Response | None = None
    chunks: AsyncIterator[bytes] | None = None
    try:
        try:
            request = _build(http, url, body, headers, t)
            response = await deadline.run(
                http.send(request, stream=True), t.first_byte, "the response headers", "first_byte"
            )
            if response.status_code >= 400:
                raw = await deadline.run(response.aread(), t.idle, "the error body", "idle")
                text = raw.decode(errors="replace")
                raise error_from_status(
                    response.status_code, text, response.headers, provider, secrets
                )
            if "json" in response.headers.get("content-type", ""):
                # A host that answers a stream request with a JSON error and status 200.
                raw = await deadline.run(response.aread(), t.idle, "the body", "idle")
                _raise_json_error(raw, provider, secrets)
            chunks = response.aiter_bytes()
            chunk = await deadline.run(
                anext(chunks, None), t.first_byte, "the first stream data", "first_byte"
            )
        except errors.ReverieError:
            raise  # already ours (a ConfigurationError is also a ValueError)
        except _TRANSPORT_ERRORS as exc:
            raise _translate(exc, provider, secrets) from exc
        while chunk is not None:
            yield chunk
            try:
                chunk = await deadline.run(
                    anext(chunks, None), t.idle, "the next stream data", "idle"
                )
            except errors.ReverieError:
                raise
            except _TRANSPORT_ERRORS as exc:
                raise _translate(exc, provider, secrets) from exc
    finally:
        # Close the body iterator before the response, so no half-run generator is left
        # for the garbage collector to finish on another task.
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
        if response is not None:
            await response.aclose()


async def post_sse_objects(
    client: httpx2.AsyncClient | None,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
    timeouts: Timeouts | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """:func:`post_stream` read as Server-Sent Events: each event's data as a JSON object
    (``[DONE]``, which some hosts send, as :data:`SSE_DONE`; anything else that is not a
    JSON object is a :class:`~reverie.errors.ProtocolError`). Closing this closes the
    response."""
    from reverie.providers._sse import SSEDecoder, json_object

    sse = SSEDecoder()
    chunks = post_stream(client, url, body, headers, provider=provider, timeouts=timeouts)
    try:
        async for raw in chunks:
            for _event, data in sse.feed(raw):
                yield SSE_DONE if data == "[DONE]" else json_object(data, provider)
        for _event, data in sse.close():
            yield SSE_DONE if data == "[DONE]" else json_object(data, provider)
    finally:
        await chunks.aclose()


def _raise_json_error(raw: bytes, provider: str, secrets: tuple[str, ...]) -> None:
    """Raise the typed error a 200 JSON body reports as ``{"error": ...}``; any other body is
    left to the stream decoder (``aiter_bytes`` still yields it after ``aread``)."""
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return
    if isinstance(data, dict) and "error" in data:
        error: Any = cast(dict[str, Any], data)["error"]
        err = error_from_event(error, provider)
        err.body = redact(err.body, secrets)
        err.message = redact(err.message, secrets)
        err.args = (err.message,)
        raise err


# What a request can fail with below reverie: httpx2's errors, a URL it cannot use, and what
# the socket layer lets through (anyio wraps happy-eyeballs failures in an ExceptionGroup).
_TRANSPORT_ERRORS = (
    httpx2.HTTPError,
    httpx2.InvalidURL,
    OSError,
    ValueError,
    OverflowError,
    ExceptionGroup,
)


def _first_leaf(exc: Exception) -> Exception:
    """The first real error inside (nested) exception groups."""
    leaf: Exception = exc
    while isinstance(leaf, ExceptionGroup):
        group = cast(ExceptionGroup[Exception], leaf)
        if not group.exceptions:
            break
        leaf = group.exceptions[0]
    return cast(Exception, leaf)


def _translate(exc: Exception, provider: str, secrets: tuple[str, ...]) -> errors.ReverieError:
    """One transport failure as a reverie error (raised ``from`` it; httpx2's texts carry no
    headers, and what they quote of the URL is redacted here)."""
    exc = _first_leaf(exc)
    detail = redact(str(exc) or type(exc).__name__, secrets)
    kind = type(exc).__name__
    if isinstance(exc, httpx2.UnsupportedProtocol | httpx2.InvalidURL | ValueError | OverflowError):
        return errors.ConfigurationError(
            f"{provider}: the request URL cannot be used ({detail}); check base_url"
        )
    if isinstance(exc, httpx2.TimeoutException):
        phase = "connecting" if isinstance(exc, httpx2.ConnectTimeout) else "waiting for data"
        return errors.APITimeoutError(
            f"{provider}: timed out {phase} ({kind}); retrying may succeed"
        )
    if isinstance(exc, httpx2.RemoteProtocolError) and "incomplete" in detail.lower():
        return errors.IncompleteStreamError(
            f"{provider}: the connection closed before the response was complete ({detail}); "
            "retrying may succeed"
        )
    if isinstance(exc, httpx2.ConnectError | OSError):
        return errors.APIConnectionError(
            f"{provider}: cannot connect ({detail}); check the base URL and that the server "
            "is running"
        )
    return errors.APIConnectionError(f"{provider}: connection failed: {kind}: {detail}")
