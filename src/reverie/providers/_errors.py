"""Provider answers → :mod:`reverie.errors` types, pure (no I/O).

:func:`error_from_status` classifies an HTTP error response, :func:`error_from_event` an
error reported inside a 200 stream. Both parse the provider's JSON error shape for a
message and error type, recognise "the prompt is too long" (with the token counts OpenAI,
Anthropic and Gemini put in their messages), and keep only a short list of harmless
response headers. :func:`redact` removes credentials from any text an error will carry;
:func:`secrets_of` finds the credentials a request carries. :mod:`reverie.providers._http`
calls these; wire modules call :func:`error_from_event` (so no wire imports the I/O layer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

import orjson

from reverie import errors
from reverie._redact import SECRET_WORDS, display_url, excerpt, remember, scrub, url_secrets
from reverie.providers import _untrusted as untrusted

# Response headers worth keeping on an error; nothing else is copied, so nothing secret can be.
KEPT_HEADERS = (
    "content-type",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "anthropic-ratelimit-requests-remaining",
    "x-ratelimit-remaining-requests",
    "location",  # where a 3xx answer points (shown redacted)
)

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")

# Request headers whose values are credentials (besides those named like one).
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key"}
)

# The token counts providers put in their "prompt too long" messages: (pattern, used group,
# max group).
_CONTEXT_PATTERNS: tuple[tuple[re.Pattern[str], int, int], ...] = (
    # OpenAI: "This model's maximum context length is 128000 tokens. However, your messages
    # resulted in 130012 tokens."  (also "... you requested 130012 tokens (...)")
    (
        re.compile(
            r"maximum context length is (\d+) tokens.*?(?:resulted in|requested) (\d+) tokens",
            re.I | re.S,
        ),
        2,
        1,
    ),
    # Anthropic: "prompt is too long: 208310 tokens > 200000 maximum"
    (re.compile(r"prompt is too long: (\d+) tokens > (\d+) maximum", re.I), 1, 2),
    # Gemini: "The input token count (1200000) exceeds the maximum number of tokens allowed
    # (1048576)."
    (
        re.compile(
            r"input token count \((\d+)\) exceeds the maximum number of tokens allowed \((\d+)\)",
            re.I,
        ),
        1,
        2,
    ),
)
_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_CONTEXT_WORDS = re.compile(r"context (?:length|window)|prompt is too long|too many tokens", re.I)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """``name``'s value in any letter case (``name`` given in lower case)."""
    get = getattr(headers, "get_list", None)
    if get is not None:  # httpx2.Headers: already case-insensitive
        values = cast(list[str], get(name))
        return values[0] if values else None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def secrets_of(headers: Mapping[str, str], url: str = "") -> tuple[str, ...]:
    """The credential values a request carries: auth headers (and the token after a scheme
    such as ``Bearer``), other headers named like keys or tokens, and the URL's (userinfo
    password and its Basic token, query parameters named like secrets). They are also
    registered (:func:`reverie._redact.remember`), so no error built later carries them."""
    found: list[str] = []
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _SECRET_HEADERS or any(w in lowered for w in SECRET_WORDS):
            found.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.isalpha():
                found.append(token.strip())
    if url:
        found += url_secrets(url)
    # Longest first so a token inside a header value is not left half-replaced; very short
    # values would redact innocent text and cannot be real keys.
    secrets = tuple(sorted({s for s in found if len(s) >= 6}, key=len, reverse=True))
    remember(secrets)
    return secrets


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (``secrets`` and the registered ones) as ``[REDACTED]``."""
    return scrub(text, secrets)


def error_from_status(
    status: int,
    body: str,
    headers: Mapping[str, str],
    provider: str,
    secrets: Iterable[str] = (),
) -> errors.ProviderError:
    """The typed error for an HTTP error response (see the tree in :mod:`reverie.errors`).

    ``secrets`` (from :func:`secrets_of`) are removed from the body and message first.
    """
    secrets = tuple(secrets)
    body = redact(body, secrets)
    kept = {k: redact(v, secrets) for k in KEPT_HEADERS if (v := header(headers, k)) is not None}
    if "location" in kept:
        kept["location"] = display_url(kept["location"])
    if 300 <= status < 400:
        return _redirect(status, body, kept, provider)
    message, error_type = error_message(body, kept.get("content-type", ""))
    text = f"{provider} returned HTTP {status}" + (f": {message}" if message else "")
    cls: type[errors.ProviderError]
    lowered = error_type.lower()
    if status == 429:
        cls = errors.RateLimitError
        text += " (rate limited: wait and retry; lower the request rate if it persists)"
    elif status == 529 or "overloaded" in lowered:
        cls = errors.OverloadedError
    elif status in (401, 403):
        cls = errors.AuthenticationError
        text += " (check the API key for this provider and its access to this model)"
    elif status >= 500 or status in (408, 409):
        cls = errors.ServerError
    else:
        cls = errors.InvalidRequestError
    should_retry = header(headers, "x-should-retry")
    common: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "request_id": next((kept[h] for h in _REQUEST_ID_HEADERS if h in kept), ""),
        "body": body,
        "headers": kept,
        "retry_after": retry_after_seconds(headers),
        "provider": provider,
        "retryable": should_retry == "true" if should_retry in ("true", "false") else None,
    }
    if cls is errors.InvalidRequestError or status == 413:
        context = _context_error(text, message, error_type, common)
        if context is not None:
            return context
    return cls(text, **common)


def _redirect(
    status: int, body: str, kept: dict[str, str], provider: str
) -> errors.InvalidRequestError:
    """A 3xx answer: reverie follows no redirect (a POST re-sent elsewhere could be billed
    twice, or carry the key to another host), so it is an error that says where to point
    ``base_url``. Never retried: the same request gets the same answer."""
    location = kept.get("location")
    where = (
        f"redirected to {location}"
        if location
        else "redirected without saying where (no Location header)"
    )
    return errors.InvalidRequestError(
        f"{provider} returned HTTP {status}: the endpoint {where}. reverie does not follow "
        "redirects: set base_url to the address the provider serves the API at",
        status=status,
        request_id=next((kept[h] for h in _REQUEST_ID_HEADERS if h in kept), ""),
        body=body,
        headers=kept,
        provider=provider,
        retryable=False,
    )


def error_from_event(error: Any, provider: str) -> errors.ProviderError:
    """The typed error for an error reported inside a 200 stream (``{"error": {...}}`` or
    Anthropic's ``event: error``), classified by the provider's error type or code."""
    body = orjson.dumps(error).decode() if not isinstance(error, str) else error
    message, error_type = error_message(orjson.dumps({"error": error}).decode())
    lowered = error_type.lower()
    cls: type[errors.ProviderError]
    if "rate_limit" in lowered or lowered in ("429", "resource_exhausted"):
        cls = errors.RateLimitError
    elif "overloaded" in lowered or lowered in ("529", "unavailable", "503"):
        cls = errors.OverloadedError
    elif lowered in ("server_error", "api_error", "internal_error", "internal", "500", "502"):
        cls = errors.ServerError
    elif "invalid" in lowered or lowered in _CONTEXT_CODES:
        cls = errors.InvalidRequestError
    elif "auth" in lowered or "permission" in lowered:
        cls = errors.AuthenticationError
    else:
        cls = errors.ProviderError
    text = f"{provider} stream error" + (f" ({error_type})" if error_type else "")
    text += f": {message}" if message else ""
    common: dict[str, Any] = {
        "status": 200,
        "error_type": error_type,
        "body": body,
        "provider": provider,
    }
    if cls is errors.InvalidRequestError:
        context = _context_error(text, message, error_type, common)
        if context is not None:
            return context
    return cls(text, **common)


def context_tokens(message: str) -> tuple[int, int] | None:
    """``(used, maximum)`` tokens from a provider's "prompt too long" message, if it says."""
    for pattern, used, maximum in _CONTEXT_PATTERNS:
        match = pattern.search(message)
        if match:
            used_count = untrusted.count(match.group(used))
            max_count = untrusted.count(match.group(maximum))
            # Digits beyond what a count can be (or an int() would refuse) mean no numbers.
            return (used_count, max_count) if used_count and max_count else None
    return None


def _context_error(
    text: str, message: str, error_type: str, common: dict[str, Any]
) -> errors.ContextTooLargeError | None:
    tokens = context_tokens(message)
    if tokens is None and error_type not in _CONTEXT_CODES and not _CONTEXT_WORDS.search(message):
        return None
    used, maximum = tokens or (None, None)
    text += " (shorten the conversation or use a model with a larger context window)"
    return errors.ContextTooLargeError(text, used_tokens=used, max_tokens=maximum, **common)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), any header case,
    read as untrusted (:mod:`reverie.providers._untrusted`): ``NaN``, negative, garbage or
    absurd values are ignored, a huge one is clamped to a day (which no policy waits for).

    ``now`` (a Unix time) is for tests; an HTTP date in the past means 0.
    """
    ms = untrusted.milliseconds(header(headers, "retry-after-ms"))
    if ms is not None:
        return ms
    return untrusted.seconds(header(headers, "retry-after"), now=now)


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


def error_message(body: str, content_type: str = "") -> tuple[str, str]:
    """(message, provider error type) from the JSON error shapes providers use; an HTML
    error page (a proxy's 502) is reduced to its title."""
    stripped = body.strip()
    if "html" in content_type.lower() or stripped[:1] == "<":
        title = _TITLE.search(stripped)
        words = " ".join(_TAGS.sub(" ", title.group(1) if title else stripped).split())
        return (
            f"{excerpt(words, 200)} (an HTML error page: the host or a proxy in front of it failed)"
            if words
            else "an HTML error page"
        ), ""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return excerpt(stripped, 500), ""
    if isinstance(data, list) and data:
        data = cast(list[Any], data)[0]  # Gemini sometimes wraps the error in a list
    if not isinstance(data, dict):
        return excerpt(stripped, 500), ""
    data = cast(dict[str, Any], data)
    err: Any = data.get("error", data)
    if isinstance(err, str):
        return err, str(data.get("type") or data.get("code") or "")
    if not isinstance(err, dict):
        return excerpt(stripped, 500), ""
    err = cast(dict[str, Any], err)
    message = str(err.get("message") or data.get("message") or "")
    error_type = str(err.get("type") or err.get("status") or err.get("code") or "")
    code = err.get("code")
    if isinstance(code, str) and code in _CONTEXT_CODES:
        error_type = code  # OpenAI: type "invalid_request_error", code says what it is
    return message, error_type
