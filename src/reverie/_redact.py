"""No credential leaves reverie inside an error: the registry of secrets and the scrubbers.

The choke point has two halves:

- **The registry.** The providers' HTTP layer calls :func:`remember` with every credential
  a request carries (auth headers, headers and query parameters named like keys or tokens,
  the password of a URL's userinfo and the Basic token made from it) *before* sending it.
  The registry is process-wide and keeps the :data:`LIMIT` most recent secrets.
- **The errors.** :class:`reverie.errors.ReverieError` passes every constructor argument
  and every attribute assigned to it (message, body, headers, line, request id, ...)
  through :func:`scrub_value`, so an error built anywhere, by any present or future error
  type, cannot carry a known secret. What an error cannot scrub itself is its cause chain
  (``raise ... from exc`` sets it after construction): :func:`seal` cleans a chain, and the
  HTTP layer and the agent seal every error that leaves them.

Scrubbing replaces each secret (and its percent-encoded form) with ``[REDACTED]``, and also
a run of at least :data:`FRAGMENT` characters that begins or ends a secret: what is left of
a key that a message cut in half. Secrets shorter than :data:`SHORTEST` characters are not
remembered (they cannot be real keys and would redact innocent words).

This module imports only the standard library: :mod:`reverie.errors` depends on it.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

REDACTED = "[REDACTED]"
LIMIT = 256
"""How many secrets the registry keeps (the most recently used)."""
SHORTEST = 8
"""The shortest value remembered as a secret."""
FRAGMENT = 16
"""The shortest piece of a secret that is redacted on its own (a truncated key)."""

# Names of headers and query parameters whose values are credentials.
SECRET_WORDS = ("key", "token", "secret", "password", "auth", "signature", "credential")
# Names of environment variables whose values are credentials (OPENAI_API_KEY, HF_TOKEN...).
CREDENTIAL_ENV = re.compile(r"API_?KEY|_KEY$|TOKEN|SECRET|PASSWORD", re.IGNORECASE)

_lock = threading.Lock()
_known: dict[str, None] = {}  # insertion order = recency
_ordered: tuple[str, ...] = ()  # every form of every secret, longest first


def remember(secrets: Iterable[str]) -> None:
    """Add ``secrets`` to the registry (see the module docstring); cheap when known."""
    global _ordered
    fresh = [s for s in secrets if len(s) >= SHORTEST]
    if not fresh or all(s in _known for s in fresh):
        return
    with _lock:
        for secret in fresh:
            _known.pop(secret, None)
            _known[secret] = None
        while len(_known) > LIMIT:
            del _known[next(iter(_known))]
        _ordered = _forms(_known)


def env_secrets() -> list[str]:
    """The values of the environment variables named like credentials (:data:`CREDENTIAL_ENV`)
    that are long enough to be keys (:data:`SHORTEST`): what cassettes and the run log also
    keep out, beyond the credentials reverie has sent."""
    return [
        value
        for name, value in os.environ.items()
        if CREDENTIAL_ENV.search(name) and len(value) >= SHORTEST
    ]


def known() -> tuple[str, ...]:
    """Every registered secret, in every form scrubbed, longest first."""
    return _ordered


def _forms(secrets: Iterable[str]) -> tuple[str, ...]:
    forms: set[str] = set()
    for secret in secrets:
        forms.add(secret)
        forms.add(quote(secret, safe=""))
    return tuple(sorted(forms, key=len, reverse=True))


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every known secret (and every one in ``extra``) redacted."""
    secrets = _ordered if not extra else _forms((*_known, *extra))
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
        if len(secret) >= 2 * FRAGMENT:
            text = _scrub_fragments(text, secret)
    return text


def _scrub_fragments(text: str, secret: str) -> str:
    """Redact a run of ``FRAGMENT``+ characters that starts or ends ``secret`` (the rest of
    it cut off by a truncated message)."""
    head, tail = secret[:FRAGMENT], secret[-FRAGMENT:]
    if head in text:
        out: list[str] = []
        pos = 0
        while (found := text.find(head, pos)) >= 0:
            end = found + FRAGMENT
            stop = min(len(text), found + len(secret))
            while end < stop and text[end] == secret[end - found]:
                end += 1
            out += [text[pos:found], REDACTED]
            pos = end
        text = "".join(out) + text[pos:]
    if tail in text:
        out = []
        pos = 0
        while (found := text.find(tail, pos)) >= 0:
            start, back = found, len(secret) - FRAGMENT
            while start > pos and back > 0 and text[start - 1] == secret[back - 1]:
                start -= 1
                back -= 1
            out += [text[pos:start], REDACTED]
            pos = found + FRAGMENT
        text = "".join(out) + text[pos:]
    return text


def scrub_value(value: Any, extra: Iterable[str] = ()) -> Any:
    """``value`` scrubbed: a str; bytes (as Latin-1 text); the keys and values of a mapping
    (returned as a dict); the items of a list or tuple. Anything else is returned as is."""
    if not _ordered and not extra:
        return value
    if isinstance(value, str):
        return scrub(value, extra)
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("latin-1")
        clean = scrub(text, extra)
        return value if clean == text else clean.encode("latin-1")
    if isinstance(value, Mapping):
        items = cast(Mapping[Any, Any], value).items()
        return {scrub_value(k, extra): scrub_value(v, extra) for k, v in items}
    if isinstance(value, list | tuple):
        seq = cast("list[Any] | tuple[Any, ...]", value)
        return type(seq)(scrub_value(v, extra) for v in seq)
    return value


def excerpt(text: str, limit: int, extra: Iterable[str] = ()) -> str:
    """The first ``limit`` characters of ``text``, scrubbed *before* it is cut (so no
    secret is left half-shown)."""
    return scrub(text, extra)[:limit]


def url_secrets(url: str) -> list[str]:
    """The credentials inside a URL: a userinfo password (raw, decoded, and the Basic token
    an HTTP client makes of ``user:password``) and query values named like secrets."""
    try:
        parts = urlsplit(url)
        password = parts.password
        query = parse_qsl(parts.query)
    except ValueError:  # a malformed URL: the request itself will say what is wrong
        return []
    found: list[str] = []
    if password:
        user = unquote(parts.username or "")
        plain = unquote(password)
        basic = base64.b64encode(f"{user}:{plain}".encode()).decode()
        found += [password, plain, basic]
    found += [v for k, v in query if any(w in k.lower() for w in SECRET_WORDS)]
    return found


def display_url(url: str) -> str:
    """``url`` safe to show: the userinfo password and secret-named query values replaced."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return scrub(url)
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{REDACTED}@{hostport}"
    query = parts.query
    if query:
        pairs = query.split("&")
        for i, pair in enumerate(pairs):
            name, sep, _value = pair.partition("=")
            if sep and any(w in unquote(name).lower() for w in SECRET_WORDS):
                pairs[i] = f"{name}={REDACTED}"
        query = "&".join(pairs)
    return scrub(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


class RedactedException(Exception):
    """Stands in, in a cause chain, for an exception that carried a secret: its type name
    and its text, scrubbed. Made by :func:`seal`."""


def seal(exc: BaseException, extra: Iterable[str] = ()) -> None:
    """Scrub ``exc``'s whole chain in place, before it is raised on.

    Errors of reverie in the chain (``exc`` itself, ``__cause__``, ``__context__``, a
    :class:`~reverie.errors.RetryError`'s attempts) are scrubbed again, with ``extra`` too;
    any other exception linked from one of them whose text, repr, arguments or attributes
    show a secret is replaced in that link by a :class:`RedactedException`. An exception
    that is not reverie's is not itself replaced (reverie raises only its own errors).
    """
    extra = tuple(extra)
    secrets = _forms((*_known, *extra))
    if secrets:
        _seal(exc, secrets, extra, {})


def _seal(
    exc: BaseException,
    secrets: tuple[str, ...],
    extra: tuple[str, ...],
    done: dict[int, BaseException],
) -> BaseException:
    """``exc`` cleaned (see :func:`seal`), or its stand-in when it leaks and is foreign.
    ``done`` maps each exception already visited to what replaces it (often itself): one
    exception is commonly both a ``__cause__`` and a ``__context__``."""
    if id(exc) in done:
        return done[id(exc)]
    done[id(exc)] = exc
    original = exc
    # reverie's errors are told by a class marker, not an import: reverie.errors imports
    # this module, and this one stays below it.
    if getattr(type(exc), "_scrubs_itself", False):
        for name, value in list(vars(exc).items()):
            setattr(exc, name, scrub_value(value, extra))
        exc.args = scrub_value(exc.args, extra)
        attempts = getattr(exc, "attempts", None)
        if isinstance(attempts, tuple):  # a RetryError's failed attempts
            cleaned = (
                _seal(a, secrets, extra, done) for a in cast(tuple[BaseException, ...], attempts)
            )
            exc.attempts = tuple(cleaned)  # type: ignore[attr-defined]
    elif _leaks(exc, secrets):
        stand_in = RedactedException(f"{type(exc).__qualname__}: {scrub(_text(exc), extra)}")
        stand_in.__cause__ = exc.__cause__
        stand_in.__context__ = exc.__context__
        stand_in.__suppress_context__ = exc.__suppress_context__
        stand_in.__traceback__ = exc.__traceback__
        exc = done[id(original)] = stand_in
    suppress = exc.__suppress_context__
    for link in ("__cause__", "__context__"):
        inner: BaseException | None = getattr(exc, link)
        if inner is not None:
            cleaned = _seal(inner, secrets, extra, done)
            if cleaned is not inner:
                setattr(exc, link, cleaned)
    exc.__suppress_context__ = suppress  # setting __cause__ turns it on
    return exc


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return ""


def _leaks(exc: BaseException, secrets: tuple[str, ...]) -> bool:
    """Whether a foreign exception shows a secret: in its text, repr, args or attributes."""
    try:
        shown = [str(exc), repr(exc), *map(repr, exc.args)]
        shown += [repr(v) for v in vars(exc).values()]
    except Exception:  # an exception whose __str__ or __repr__ fails: show nothing of it
        return True
    for secret in secrets:
        for text in shown:
            if secret in text or quote(secret, safe="") in text:
                return True
    return False
