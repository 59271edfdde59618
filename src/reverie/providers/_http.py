"""The only provider code that does I/O: POST JSON, read JSON or a byte stream, map errors.

Wire modules stay pure; providers call :func:`post_json` and :func:`post_stream` here. Every
failure leaves this module as a :mod:`reverie.errors` type, translated once: HTTP statuses by
:func:`error_from_status`, transport failures by :func:`_translate`.

Clients: a provider given an ``httpx2.AsyncClient`` uses it (that is how cassettes, proxies
and custom timeouts plug in). Otherwise it uses :func:`default_client`, one per event loop,
because a connection pool cannot outlive the loop that opened it.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import weakref
from collections.abc import AsyncGenerator, Mapping
from typing import Any, cast

import httpx2
import orjson

from reverie import errors
from reverie.providers._transport import fast_client

DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=10.0)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient] = (
    weakref.WeakKeyDictionary()
)

# Response headers worth keeping on an error; nothing else is copied, so nothing secret can be.
_KEPT_HEADERS = (
    "content-type",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "anthropic-ratelimit-requests-remaining",
    "x-ratelimit-remaining-requests",
)


def default_client() -> httpx2.AsyncClient:
    """The shared client of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = fast_client(DEFAULT_TIMEOUT)  # FastTransport unless a proxy is configured
        _clients[loop] = client
    return client


async def post_json(
    client: httpx2.AsyncClient | None,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
) -> Any:
    """POST ``body`` and return the decoded JSON answer, or raise a ReverieError."""
    http = client or default_client()
    try:
        response = await http.post(url, content=body, headers=dict(headers))
    except httpx2.HTTPError as exc:
        raise _translate(exc, provider) from exc
    if response.status_code >= 400:
        raise error_from_status(response.status_code, response.text, response.headers, provider)
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        snippet = response.text[:300]
        raise errors.ProtocolError(
            f"{provider} answered {response.status_code} with a body that is not JSON: {snippet!r}"
        ) from exc


async def post_stream(
    client: httpx2.AsyncClient | None,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
) -> AsyncGenerator[bytes, None]:
    """POST ``body`` and yield the response body as it arrives.

    The response is closed when the iteration ends, fails, or is abandoned (``aclose``).
    An error status raises before anything is yielded.
    """
    http = client or default_client()
    try:
        async with http.stream("POST", url, content=body, headers=dict(headers)) as response:
            if response.status_code >= 400:
                text = (await response.aread()).decode(errors="replace")
                raise error_from_status(response.status_code, text, response.headers, provider)
            async for chunk in response.aiter_bytes():
                yield chunk
    except httpx2.HTTPError as exc:
        raise _translate(exc, provider) from exc


def _translate(exc: httpx2.HTTPError, provider: str) -> errors.ReverieError:
    if isinstance(exc, httpx2.TimeoutException):
        return errors.APITimeoutError(f"{provider}: request timed out ({type(exc).__name__})")
    return errors.APIConnectionError(f"{provider}: connection failed: {type(exc).__name__}: {exc}")


def error_from_status(
    status: int, body: str, headers: Mapping[str, str], provider: str
) -> errors.ProviderError:
    """The typed error for an HTTP error response (see the tree in :mod:`reverie.errors`)."""
    kept = {k: v for k in _KEPT_HEADERS if (v := _header(headers, k)) is not None}
    message, error_type = _error_message(body)
    kwargs: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "request_id": kept.get("x-request-id") or kept.get("request-id") or "",
        "body": body,
        "headers": kept,
        "retry_after": retry_after_seconds(headers),
        "provider": provider,
    }
    text = f"{provider} returned HTTP {status}" + (f": {message}" if message else "")
    cls: type[errors.ProviderError]
    if status == 429:
        cls = errors.RateLimitError
    elif status == 529 or "overloaded" in error_type:
        cls = errors.OverloadedError
    elif status in (401, 403):
        cls = errors.AuthenticationError
        text += " (check the API key for this provider)"
    elif status >= 500 or status in (408, 409):
        cls = errors.ServerError
    else:
        cls = errors.InvalidRequestError
    should_retry = _header(headers, "x-should-retry")
    err = cls(text, **kwargs)
    if should_retry in ("true", "false"):
        err.retryable = should_retry == "true"
    return err


def error_from_event(error: Any, provider: str) -> errors.ProviderError:
    """The typed error for an error reported inside a 200 stream (``{"error": {...}}`` or
    Anthropic's ``event: error``), classified by the provider's error type."""
    body = orjson.dumps(error).decode() if not isinstance(error, str) else error
    message, error_type = _error_message(orjson.dumps({"error": error}).decode())
    lowered = error_type.lower()
    cls: type[errors.ProviderError]
    # Google reports gRPC status names (RESOURCE_EXHAUSTED, UNAVAILABLE, INTERNAL).
    if "rate_limit" in lowered or lowered in ("429", "resource_exhausted"):
        cls = errors.RateLimitError
    elif "overloaded" in lowered or lowered == "529":
        cls = errors.OverloadedError
    elif lowered in (
        "server_error",
        "api_error",
        "internal_error",
        "internal",
        "unavailable",
        "500",
        "503",
    ):
        cls = errors.ServerError
    elif "invalid" in lowered:
        cls = errors.InvalidRequestError
    else:
        cls = errors.ProviderError
    text = f"{provider} stream error" + (f" ({error_type})" if error_type else "")
    text += f": {message}" if message else ""
    return cls(text, status=200, error_type=error_type, body=body, provider=provider)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), any header case."""
    ms = _header(headers, "retry-after-ms")
    if ms is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    if isinstance(headers, httpx2.Headers):
        return headers.get(name)
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _error_message(body: str) -> tuple[str, str]:
    """(message, provider error type) from the JSON error shapes providers use."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.strip()[:500], ""
    if isinstance(data, list) and data:
        data = cast(list[Any], data)[0]  # Gemini sometimes wraps the error in a list
    if not isinstance(data, dict):
        return body.strip()[:500], ""
    data = cast(dict[str, Any], data)
    err: Any = data.get("error", data)
    if isinstance(err, str):
        return err, str(data.get("type", ""))
    if not isinstance(err, dict):
        return body.strip()[:500], ""
    err = cast(dict[str, Any], err)
    message = str(err.get("message") or data.get("message") or "")
    error_type = str(err.get("type") or err.get("status") or err.get("code") or "")
    return message, error_type
