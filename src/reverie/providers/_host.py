"""What a host is: where a wire's requests go, how they are authorised, and its quirks.

A host knows its name (which keys provider options and metadata), the URL of a request, the
headers that authorise it (a key, a refreshed cloud token, a SigV4 signature over the body),
how a streamed answer is framed (Server-Sent Events unless it says otherwise), whether and
how it counts a request's tokens, and small quirks (no ``Accept`` header, provider options
also read under another name). It never touches the HTTP layer:
:class:`~reverie.providers._model.WireModel` does the sending.

:class:`BaseURLHost` is every OpenAI-compatible server: a base URL, a path, a bearer key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reverie.providers._sse import SSEObjects


class Framing(Protocol):
    """How a streamed body is cut into JSON events; one instance per stream."""

    def feed(self, chunk: bytes, /) -> list[Mapping[str, Any]]: ...

    def close(self) -> list[Mapping[str, Any]]:
        """The events still buffered when the body ends (raises if one is cut short)."""
        ...


COUNT_TOKENS = "count_tokens"
"""The :attr:`Request.operation` of a token count (see :meth:`Host.count_body`)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the host sees it, before it is sent.

    ``body`` and ``headers`` are what will be sent (a signature covers them); ``flags`` come
    from the wire (:attr:`~reverie.providers._wire.Encoded.flags`). ``operation`` is
    ``""`` for the wire's own call (generate or stream), :data:`COUNT_TOKENS` for the
    host's token counting endpoint, or another API method of the model, for the other kinds
    of model (embeddings): hosts that name the method in the URL put it there (Gemini's
    ``batchEmbedContents``, Bedrock's ``invoke``).
    """

    model_id: str
    stream: bool
    body: bytes
    headers: Mapping[str, str]
    flags: Sequence[str] = ()
    operation: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one request goes, and the headers the host adds to it.

    ``headers`` replace any request header of the same name, whatever its case (the host
    merged what it needed of them, such as the caller's own beta flags).
    """

    url: str
    headers: dict[str, str]


class Host(Protocol):
    """Who serves a wire. Subclass it to get the defaults of everything but :meth:`target`."""

    name: str
    """The provider's name: keys ``provider_options`` and ``provider_metadata``."""

    accept: str | None = "application/json"
    """The ``Accept`` header sent, or None for none."""

    option_aliases: tuple[str, ...] = ()
    """Other names whose provider options this host also reads (its own win)."""

    label: str = ""
    """What this model is, in a few words, when that is worth showing (``reverie run``)."""

    async def target(self, request: Request) -> Target:
        """The URL of ``request`` and the headers that authorise it."""
        ...

    def framing(self) -> Framing:
        """A fresh reader for one streamed answer: Server-Sent Events by default."""
        return SSEObjects(self.name)

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any] | None:
        """The body of a token count (:data:`COUNT_TOKENS`) of the request whose wire body is
        ``body``, or None when this host has no counting endpoint for it (the default; the
        count is then estimated). Pure: the shapes are in :mod:`reverie.providers._counting`."""
        return None


@dataclass(frozen=True, slots=True)
class BaseURLHost(Host):
    """``POST {base_url}{path}`` with ``api_key`` as a bearer token (none when it is None).

    Every OpenAI-compatible server is one (OpenAI, Azure, Groq, vLLM, a gateway); the path
    is the wire's (``/chat/completions``, ``/responses``). A request for another operation
    goes to ``{base_url}/{operation}`` (the embedding wire's ``embeddings``).
    """

    name: str
    base_url: str
    path: str
    api_key: str | None = None
    option_aliases: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.path

    async def target(self, request: Request) -> Target:
        auth = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        if request.operation:
            return Target(f"{self.base_url.rstrip('/')}/{request.operation}", auth)
        return Target(self.url, auth)


async def address(host: Host, request: Request) -> tuple[str, dict[str, str]]:
    """The URL and the full headers of ``request`` on ``host``: its headers, with those the
    host adds replacing any of the same name, whatever their case."""
    target = await host.target(request)
    headers = dict(request.headers)
    if target.headers:
        replaced = {k.lower() for k in target.headers}
        headers = {k: v for k, v in headers.items() if k.lower() not in replaced}
        headers.update(target.headers)
    return target.url, headers
