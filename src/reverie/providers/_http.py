"""The only provider code that does I/O: POST JSON, read JSON or a byte stream, map errors.

Wire modules stay pure; providers call :func:`post_json` and :func:`post_stream` here. Every
failure leaves this module as a :mod:`reverie.errors` type, translated once: HTTP statuses by
:func:`error_from_status` (in :mod:`reverie.providers._errors`; a 3xx is an error too,
redirects are never followed), transport failures and timeouts by :func:`_translate`. The
request's credentials are registered before it is sent (:func:`secrets_of`), so no error
carries them, and every error leaving here has its cause chain sealed
(:func:`reverie._redact.seal`).

Sizes are bounded whatever the server says: an error body is read up to
:data:`MAX_ERROR_BODY` (the rest is not awaited), a non-streamed answer up to
:data:`MAX_BODY` (a larger ``Content-Length`` is refused unread).

Timeouts (:class:`reverie.timeouts.Timeouts`, per model; defaults there): each limit is
enforced around a single await (never across a ``yield``, so a slow consumer is not taken
for a slow provider), on top of the client's own ``httpx2.Timeout`` (whose ``connect``
reverie's replaces when set).

Clients: a provider given an ``httpx2.AsyncClient`` uses it (that is how cassettes, proxies
and custom pools plug in). Otherwise it uses :func:`default_client`, one per event loop
(:mod:`reverie.providers._client`, over the aiohttp transport).

Headers are checked before anything is sent (:mod:`reverie.providers._headers`): an invalid
name or value is a :class:`~reverie.errors.ConfigurationError` naming the header, never
quoting its value.

Closing: a stream's response is closed when its iteration ends, fails, is cancelled or is
abandoned (``aclose``, or the generator's finalizer), so no connection outlives its use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar, cast

import httpx2
import orjson

from reverie import errors
from reverie._redact import excerpt, seal
from reverie.providers import _untrusted as untrusted
from reverie.providers._client import default_client
from reverie.providers._errors import (
    error_from_event,
    error_from_status,
    redact,
    retry_after_seconds,
    secrets_of,
)
from reverie.providers._headers import first_invalid, first_invalid_raw
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
    http: httpx2.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    t: Timeouts,
    provider: str,
) -> httpx2.Request:
    _refuse_header(first_invalid(headers.items()), provider)  # before httpx2 encodes them
    timeout = http.timeout
    if t.connect is not None:
        timeout = httpx2.Timeout(
            connect=t.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
        )
    request = http.build_request("POST", url, content=body, headers=dict(headers), timeout=timeout)
    _refuse_header(first_invalid_raw(request.headers.raw), provider)  # the client's own too
    return request


def _refuse_header(invalid: tuple[str, str] | None, provider: str) -> None:
    if invalid is not None:
        name, problem = invalid
        raise errors.ConfigurationError(
            f"{provider}: the request header {name!r} {problem}; check the API key, the "
            "headers= option and the http_client's headers"
        )


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
    response: httpx2.Response | None = None
    try:
        try:
            request = _build(http, url, body, headers, t, provider)
            response = await deadline.run(
                http.send(request, stream=True), None, "the response", "total"
            )
            if response.status_code >= 300:
                text = await _error_body(response, deadline)
                raise error_from_status(
                    response.status_code, text, response.headers, provider, secrets
                )
            content = await deadline.run(
                _read_capped(response, provider), None, "the response", "total"
            )
        except errors.ReverieError:
            raise
        except _TRANSPORT_ERRORS as exc:
            raise _translate(exc, provider, secrets) from exc
        if not content.strip():
            raise errors.IncompleteStreamError(
                f"{provider} answered {response.status_code} with an empty body (a proxy or "
                "the host dropped the answer; retrying may succeed)"
            )
        try:
            data: Any = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            problem = str(exc)  # raised below, unchained: orjson keeps the body as ``.doc``
        else:
            if _reports_error(data):  # a failure reported as ``{"error": ...}`` with status 200
                _raise_json_error(content, provider, secrets)
            return data
        snippet = excerpt(content.decode(errors="replace"), 300, secrets)
        raise errors.ProtocolError(
            f"{provider} answered {response.status_code} with a body that is not JSON "
            f"({problem}): {snippet!r}",
            line=snippet,
        )
    except Exception as exc:
        seal(exc, secrets)
        raise
    finally:
        if response is not None:
            await response.aclose()


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
            request = _build(http, url, body, headers, t, provider)
            response = await deadline.run(
                http.send(request, stream=True), t.first_byte, "the response headers", "first_byte"
            )
            if response.status_code >= 300:
                text = await _error_body(response, deadline, t.idle)
                raise error_from_status(
                    response.status_code, text, response.headers, provider, secrets
                )
            if "json" in response.headers.get("content-type", ""):
                # A host that answers a stream request with a JSON error and status 200.
                raw = await deadline.run(
                    _read_capped(response, provider), t.idle, "the body", "idle"
                )
                _raise_json_error(raw, provider, secrets)
                chunks = _replay(raw)  # not an error: the stream decoder judges it
            else:
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
    except Exception as exc:
        seal(exc, secrets)
        raise
    finally:
        # Close the body iterator before the response, so no half-run generator is left
        # for the garbage collector to finish on another task.
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
        if response is not None:
            await response.aclose()


# The most of an error body kept (and read): an HTML error page or an echoed request is
# reduced to what a message needs, and a server that streams an endless error body cannot
# make reverie allocate it.
MAX_ERROR_BODY = 64 * 1024
# The largest non-streamed answer read: far above any real one (images included), well
# below what would exhaust memory. A larger Content-Length is refused before reading.
MAX_BODY = 256 * 1024 * 1024


async def _error_body(
    response: httpx2.Response, deadline: _Deadline, idle: float | None = None
) -> str:
    """Up to :data:`MAX_ERROR_BODY` bytes of an error answer, as text (the rest unread)."""
    kept = bytearray()

    async def read() -> None:
        async for chunk in response.aiter_bytes():
            kept.extend(chunk[: MAX_ERROR_BODY - len(kept)])
            if len(kept) >= MAX_ERROR_BODY:
                break

    await deadline.run(read(), idle, "the error body", "idle" if idle is not None else "total")
    return bytes(kept).decode(errors="replace")


async def _read_capped(response: httpx2.Response, provider: str) -> bytes:
    """The whole body, refused (:class:`~reverie.errors.ProtocolError`) beyond
    :data:`MAX_BODY`, whether announced by ``Content-Length`` or found while reading."""
    declared = untrusted.content_length(response.headers.get("content-length"))
    if declared is not None and declared > MAX_BODY:
        raise errors.ProtocolError(
            f"{provider} announced a {declared}-byte answer, over reverie's limit of "
            f"{MAX_BODY} bytes; not reading it"
        )
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY:
            raise errors.ProtocolError(
                f"{provider} sent an answer over reverie's limit of {MAX_BODY} bytes"
            )
        parts.append(chunk)
    return b"".join(parts)


def _reports_error(data: Any) -> bool:
    return isinstance(data, dict) and bool(cast(dict[str, Any], data).get("error"))


async def _replay(raw: bytes) -> AsyncGenerator[bytes, None]:
    yield raw


def _raise_json_error(raw: bytes, provider: str, secrets: tuple[str, ...]) -> None:
    """Raise the typed error a 200 JSON body reports as ``{"error": ...}``; any other body is
    left to the stream decoder."""
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
    if isinstance(exc, httpx2.RemoteProtocolError) and (
        "incomplete" in detail.lower() or "complete message body" in detail  # h11's wording
    ):
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
