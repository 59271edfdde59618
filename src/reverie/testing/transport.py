"""``CassetteTransport``: an httpx2 transport that answers requests from a cassette.

Plug it into the client a provider uses, and the provider's real code path runs offline::

    transport = CassetteTransport.from_file("tests/cassettes/weather.yaml")
    model = get_model("openai:gpt-4o", api_key="test", http_client=transport.client())

A request that matches no recorded interaction raises
:class:`~reverie.errors.CassetteMissError` with the difference to the closest recording;
it never reaches the network. Streamed bodies are served event by event, not as one blob.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx2

from reverie.errors import CassetteMissError
from reverie.testing.cassette import Cassette, Interaction, load_cassette
from reverie.testing.matching import MATCHERS, Matcher, MatchMode, explain_miss


class CassetteTransport(httpx2.AsyncBaseTransport):
    """Replays a cassette. ``match`` is ``"strict"``, ``"lenient"`` or a function."""

    def __init__(self, cassette: Cassette, *, match: MatchMode | Matcher = "strict") -> None:
        self.cassette = cassette
        self._matcher: Matcher = MATCHERS[match] if isinstance(match, str) else match
        self._used = [False] * len(cassette.interactions)

    @classmethod
    def from_file(
        cls, path: str | Path, *, match: MatchMode | Matcher = "strict"
    ) -> CassetteTransport:
        return cls(load_cassette(path), match=match)

    def client(self, **kwargs: object) -> httpx2.AsyncClient:
        """A new ``httpx2.AsyncClient`` that uses this transport."""
        return httpx2.AsyncClient(transport=self, **kwargs)  # pyright: ignore[reportArgumentType]

    @property
    def unplayed(self) -> Sequence[Interaction]:
        """Recorded interactions no request has used yet."""
        return [
            i for i, used in zip(self.cassette.interactions, self._used, strict=True) if not used
        ]

    @property
    def all_played(self) -> bool:
        return all(self._used)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        method, url = request.method, str(request.url)
        for index, interaction in enumerate(self.cassette.interactions):
            if self._used[index]:
                continue
            if self._matcher(method, url, body, interaction.request):
                self._used[index] = True
                return _response(interaction, request)
        raise CassetteMissError(explain_miss(method, url, body, [i.request for i in self.unplayed]))


class _ReplayStream(httpx2.AsyncByteStream):
    """A recorded body, served in pieces so stream consumers see real increments."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def _response(interaction: Interaction, request: httpx2.Request) -> httpx2.Response:
    recorded = interaction.response
    body = recorded.body.encode() if isinstance(recorded.body, str) else recorded.body
    headers = [(k, v) for k, values in recorded.headers.items() for v in values]
    if "text/event-stream" in recorded.content_type:
        chunks = _split_events(body)
    else:
        chunks = [body] if body else []
    return httpx2.Response(
        recorded.status_code,
        headers=headers,
        stream=_ReplayStream(chunks),
        request=request,
    )


def _split_events(body: bytes) -> list[bytes]:
    """Split an SSE body after each event's blank line (``\\n\\n`` or ``\\r\\n\\r\\n``)."""
    sep = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"
    pieces = body.split(sep)
    chunks = [p + sep for p in pieces[:-1]]
    if pieces[-1]:
        chunks.append(pieces[-1])
    return chunks
