"""Every error reverie raises, in one small tree.

::

    ReverieError
    ├── ConfigurationError        bad setup: unknown provider, missing key, bad option
    │   └── ToolDefinitionError   a function that cannot become a tool
    ├── ProviderError             the provider answered with an error (status, type, body)
    │   ├── RateLimitError        429, in-band "rate_limit_error"      retryable
    │   ├── OverloadedError       529, "overloaded_error"              retryable
    │   ├── ServerError           5xx, 408, 409, in-band "api_error"   retryable
    │   ├── AuthenticationError   401, 403
    │   └── InvalidRequestError   400, 404, 413, 422, ...
    │       └── ContextTooLargeError   the prompt exceeds the context window
    ├── APIConnectionError        could not reach the provider, or the connection broke   retryable
    │   └── APITimeoutError       connect, first-byte, idle or total timeout   retryable
    ├── StreamError               a stream or body broke its protocol
    │   ├── IncompleteStreamError ended before its terminal event      retryable
    │   └── ProtocolError         malformed SSE, UTF-8 or JSON (``line`` names it)
    ├── RetryError                every attempt failed (``attempts`` keeps them all)
    ├── RunTimeoutError           the run outlasted ``Agent(run_timeout=...)``
    ├── CassetteError             a cassette cannot be used
    │   ├── CassetteFormatError   the file is not a go-vcr v2 cassette
    │   └── CassetteMissError     a request matches no recorded interaction
    ├── NoObjectGeneratedError    structured output: nothing valid came back
    │   └── RefusalError          the model refused to answer (``refusal`` holds its words)
    ├── DataFormatError           saved JSON (messages, a run state) cannot be read
    ├── ApprovalError             an approval or result does not fit the paused run
    └── StorageError              the run log's or a session's database failed

``retryable`` says whether sending the same request again may succeed; for a provider
error the ``x-should-retry`` response header, when present, decides it. Messages say what
went wrong and what to do; they never contain an API key: every credential reverie sends is
registered first, and :class:`ReverieError` scrubs all it carries against that registry
(its message, arguments and every attribute: body, headers, line, request id); the HTTP
layer and the agent also clean each error's cause chain (:mod:`reverie._redact`).

When retries run out, the agent raises :class:`RetryError` (``from`` the last error, which
is also :attr:`RetryError.last`); ``attempts`` keeps every attempt's error, oldest first.
Why a wrapper rather than the last error itself: "the provider failed three times over
seven seconds" is a different fact from "the provider refused this request", and code that
catches ``RateLimitError`` to back off for longer should not mistake the first for the
second. An error that is not retried (a 400, a Retry-After beyond the policy's limit, an
``x-should-retry: false``) is raised as itself, with no wrapper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reverie._redact import scrub_value

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "ApprovalError",
    "AuthenticationError",
    "CassetteError",
    "CassetteFormatError",
    "CassetteMissError",
    "ConfigurationError",
    "ContextTooLargeError",
    "DataFormatError",
    "IncompleteStreamError",
    "InvalidRequestError",
    "NoObjectGeneratedError",
    "OverloadedError",
    "ProtocolError",
    "ProviderError",
    "RateLimitError",
    "RefusalError",
    "RetryError",
    "ReverieError",
    "RunTimeoutError",
    "ServerError",
    "StorageError",
    "StreamError",
    "ToolDefinitionError",
]


class ReverieError(Exception):
    """Base of every error reverie raises.

    It refuses to carry a known secret: its arguments and every attribute assigned to it
    (message, body, headers, line, ...) are scrubbed against the credentials reverie has
    sent (:mod:`reverie._redact`), whatever the subclass, so a new error type cannot forget
    to redact.
    """

    retryable: bool = False
    _scrubs_itself: ClassVar[bool] = True  # how reverie._redact.seal tells reverie's errors

    def __init__(self, *args: object) -> None:
        super().__init__(*scrub_value(args))

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, scrub_value(value))


class ConfigurationError(ReverieError, ValueError):
    """The library was set up wrongly; the message says how to fix it."""


class ToolDefinitionError(ConfigurationError, TypeError):
    """A Python function could not be turned into a tool."""


class ProviderError(ReverieError):
    """An error response from a provider.

    Attributes: ``status`` (HTTP status, 200 for an error event inside a stream),
    ``error_type`` (the provider's own error type, e.g. ``"overloaded_error"``),
    ``request_id``, ``body`` (the response text), ``headers`` (redacted),
    ``retry_after`` (seconds the provider asked us to wait, if it said).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        error_type: str = "",
        request_id: str = "",
        body: str = "",
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        provider: str = "",
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type
        self.request_id = request_id
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        self.retry_after = retry_after
        self.provider = provider
        if retryable is not None:
            self.retryable = retryable


class RateLimitError(ProviderError):
    """Too many requests or tokens for the account's limits; wait (``retry_after``) and retry."""

    retryable = True


class OverloadedError(ProviderError):
    """The provider is over capacity right now; retry later or use another model."""

    retryable = True


class ServerError(ProviderError):
    """The provider (or a proxy in front of it) failed; the same request may succeed later."""

    retryable = True


class AuthenticationError(ProviderError):
    """The key is missing, wrong, expired or lacks access to this model."""


class InvalidRequestError(ProviderError):
    """The provider rejected the request itself; sending it again will not help."""


class ContextTooLargeError(InvalidRequestError):
    """The prompt does not fit. ``used_tokens`` / ``max_tokens`` are set when the provider said."""

    def __init__(
        self,
        message: str,
        *,
        used_tokens: int | None = None,
        max_tokens: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.used_tokens = used_tokens
        self.max_tokens = max_tokens


class APIConnectionError(ReverieError):
    """The provider could not be reached, or the connection broke."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """A connect, read, or stream-idle timeout expired."""


class StreamError(ReverieError):
    """A stream did not follow its protocol."""


class IncompleteStreamError(StreamError):
    """The stream ended before its terminal event (e.g. ``[DONE]``, ``message_stop``)."""

    retryable = True


class ProtocolError(StreamError):
    """A stream or body could not be decoded; ``line`` (and the message) hold the offending
    data, shortened."""

    def __init__(self, message: str, *, line: str = "") -> None:
        super().__init__(message)
        self.line = line


class RetryError(ReverieError):
    """All attempts failed. ``attempts`` holds each attempt's error, oldest first; the
    exception is raised ``from`` the last one."""

    def __init__(self, message: str, attempts: Sequence[BaseException]) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)

    @property
    def last(self) -> BaseException:
        """The final attempt's error."""
        return self.attempts[-1]


class RunTimeoutError(ReverieError):
    """The whole run took longer than its limit (``Agent(run_timeout=...)``), retries,
    waits and tools included. Raised ``from`` the failure being retried, if any. Not
    retryable: the time is spent."""

    def __init__(self, message: str, *, timeout: float = 0.0) -> None:
        super().__init__(message)
        self.timeout = timeout  # a default, so that the error pickles (it has no args)


class CassetteError(ReverieError):
    """A cassette could not be used."""


class CassetteFormatError(CassetteError):
    """The file is not a usable go-vcr ``version: 2`` cassette; the message says where."""


class CassetteMissError(CassetteError):
    """A request matched no recorded interaction; the message shows the closest one's diff."""


class NoObjectGeneratedError(ReverieError):
    """Structured output failed: the raw text, the reason, usage and finish reason are kept."""

    def __init__(
        self,
        message: str,
        *,
        raw_text: str = "",
        cause: BaseException | None = None,
        usage: Any = None,
        finish_reason: Any = None,
    ) -> None:
        super().__init__(message)
        self.raw_text = raw_text
        self.cause = cause
        self.usage = usage
        self.finish_reason = finish_reason


class DataFormatError(ReverieError, ValueError):
    """Saved reverie JSON (messages, a run state) cannot be read: not JSON, another format,
    a newer version, an unknown field or a bad value. The message names which."""


class ApprovalError(ReverieError, ValueError):
    """An approval, denial or external result does not fit the paused run: it names no
    pending call, or the call changed since it was approved (its fingerprint differs)."""


class RefusalError(NoObjectGeneratedError):
    """Structured output failed because the model refused; ``refusal`` is what it said."""

    def __init__(self, refusal: str, *, usage: Any = None, finish_reason: Any = None) -> None:
        super().__init__(
            f"the model refused to give the structured output: {refusal}",
            raw_text="",
            usage=usage,
            finish_reason=finish_reason,
        )
        self.refusal = refusal


class StorageError(ReverieError):
    """The database of the run log or of a session could not be opened, read or written
    (a bad path or URL, a corrupt file, a schema written by a newer reverie, a lost
    connection). The message names the database (without its password) and the cause."""
