"""``CassetteTransport``: an httpx2 transport that replays, records, or passes traffic through.

Plug it into the client a provider uses, and the provider's real code path runs offline::

    transport = CassetteTransport.open("tests/cassettes/weather.yaml", mode="once")
    async with transport.client() as http:
        model = get_model("openai:gpt-4o", http_client=http)
        ...                      # first run: real calls, saved on close; later runs: replay

Modes (``mode=`` in code, else the ``REVERIE_RECORD_MODE`` environment variable, else
``"replay"``):

========================  ==================================================================
``replay``                answer from the cassette only; a request that matches nothing
                          raises :class:`~reverie.errors.CassetteMissError` (alias ``none``)
``once``                  replay when the file exists, otherwise call the provider through
                          the real (inner) transport and save everything on close
``new_episodes``          replay what matches, record the rest, save old + new on close
``all``                   record everything afresh and overwrite the file
``passthrough``           call the provider; neither replay nor record
========================  ==================================================================

Matching is configurable (``match=``, see :mod:`reverie.testing._matching`): the corpus
rules by default, ``"lenient"`` (method + URL + recorded order), or a function. Before
matching, the live request's URL and body get the writer's redaction, so a request that
carries a key matches its redacted recording. Each recorded interaction plays once, in
order among equal matches.

Replay fidelity: a streamed (``text/event-stream``) body is served event by event, and with
``timing=`` (a scale: 1.0 real time, 0.1 ten times faster) the recorded duration is spread
over the events, or waited before a plain body — so UI and cancellation code can be tested
on replays. ``require_all_played=True`` makes :meth:`CassetteTransport.aclose` fail when a
recorded interaction was never requested.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

import anyio
import httpx2

from reverie.errors import CassetteError, CassetteMissError, ConfigurationError
from reverie.testing._cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    load_cassette,
    save_cassette,
)
from reverie.testing._matching import MATCHERS, Matcher, MatchMode, explain_miss
from reverie.testing._recorder import RecordingStream, record_request
from reverie.testing._redact import Redactor

RecordMode = Literal["replay", "once", "new_episodes", "all", "passthrough"]
RECORD_MODES: tuple[RecordMode, ...] = ("replay", "once", "new_episodes", "all", "passthrough")
RECORD_MODE_ENV = "REVERIE_RECORD_MODE"
_ALIASES = {"none": "replay", "replay_only": "replay", "new": "new_episodes", "rewrite": "all"}


def resolve_record_mode(mode: str | None = None) -> RecordMode:
    """``mode``, else ``$REVERIE_RECORD_MODE``, else ``"replay"``; aliases accepted."""
    value = (mode or os.environ.get(RECORD_MODE_ENV) or "replay").strip().lower()
    value = _ALIASES.get(value, value)
    if value not in RECORD_MODES:
        source = "mode" if mode else RECORD_MODE_ENV
        raise ConfigurationError(
            f"{source}={value!r} is not a record mode; use one of {', '.join(RECORD_MODES)}"
        )
    return value


class CassetteTransport(httpx2.AsyncBaseTransport):
    """Replays a cassette, and records into it in the recording modes (module docstring).

    ``CassetteTransport(cassette)`` replays an in-memory cassette; :meth:`open` binds a file
    and a mode. ``inner`` is the transport real calls go through (a fresh
    ``httpx2.AsyncHTTPTransport`` by default). ``redactor`` is used by the writer on save
    and to normalise live requests before matching.
    """

    def __init__(
        self,
        cassette: Cassette | None = None,
        *,
        match: MatchMode | Matcher = "strict",
        mode: RecordMode = "replay",
        redactor: Redactor | None = None,
        inner: httpx2.AsyncBaseTransport | None = None,
        timing: float | None = None,
        require_all_played: bool = False,
    ) -> None:
        self.cassette = cassette if cassette is not None else Cassette()
        self.mode: RecordMode = resolve_record_mode(mode)
        self.redactor = redactor or Redactor()
        self.timing = timing
        self.require_all_played = require_all_played
        self._matcher: Matcher = MATCHERS[match] if isinstance(match, str) else match
        self._used = [False] * len(self.cassette.interactions)
        self._normalized: list[RecordedRequest | None] = [None] * len(self._used)
        self._secrets = self.redactor.all_secrets()
        self._inner = inner
        self._owns_inner = inner is None
        self._replaying = self.mode in ("replay", "once", "new_episodes")
        self._recording = self.mode in ("new_episodes", "all") or (
            self.mode == "once" and cassette is None
        )
        self._dirty = self._recording and not self._used
        self._closed = False

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        mode: str | None = None,
        match: MatchMode | Matcher = "strict",
        redactor: Redactor | None = None,
        inner: httpx2.AsyncBaseTransport | None = None,
        timing: float | None = None,
        require_all_played: bool = False,
    ) -> CassetteTransport:
        """A transport bound to the cassette file at ``path`` in ``mode`` (see the module
        docstring; ``None`` reads ``$REVERIE_RECORD_MODE``)."""
        resolved = resolve_record_mode(mode)
        p = Path(path)
        exists = p.is_file()
        if resolved == "replay" and not exists:
            raise CassetteError(
                f"no cassette at {p}: record it once by running with "
                f"{RECORD_MODE_ENV}=once (pytest: --record-mode=once)"
            )
        cassette = load_cassette(p) if exists and resolved not in ("all", "passthrough") else None
        transport = cls(
            cassette,
            match=match,
            mode=resolved,
            redactor=redactor,
            inner=inner,
            timing=timing,
            require_all_played=require_all_played,
        )
        transport.cassette.path = p
        return transport

    @classmethod
    def from_file(
        cls, path: str | Path, *, match: MatchMode | Matcher = "strict"
    ) -> CassetteTransport:
        """Replay the cassette at ``path`` (no recording)."""
        return cls(load_cassette(path), match=match)

    def client(self, **kwargs: object) -> httpx2.AsyncClient:
        """A new ``httpx2.AsyncClient`` that uses this transport.

        Without a ``timeout`` argument the client sets none of its own: reverie's
        :class:`~reverie.timeouts.Timeouts` apply, as with its default client (httpx's own
        default, 5 s between bytes, cut slow models off while recording)."""
        kwargs.setdefault("timeout", None)
        return httpx2.AsyncClient(transport=self, **kwargs)  # pyright: ignore[reportArgumentType]

    @property
    def path(self) -> Path | None:
        return self.cassette.path

    @property
    def recording(self) -> bool:
        """Whether requests that match nothing go to the provider and are recorded."""
        return self._recording

    @property
    def unplayed(self) -> Sequence[Interaction]:
        """Recorded interactions no request has used yet."""
        return [
            i for i, used in zip(self.cassette.interactions, self._used, strict=True) if not used
        ]

    @property
    def all_played(self) -> bool:
        return all(self._used)

    def assert_all_played(self) -> None:
        """Raise :class:`~reverie.errors.CassetteError` naming every unplayed interaction."""
        unplayed = [
            f"  #{n}: {i.request.method} {i.request.url}"
            for n, (i, used) in enumerate(zip(self.cassette.interactions, self._used, strict=True))
            if not used
        ]
        if unplayed:
            where = f" in {self.path}" if self.path else ""
            raise CassetteError(
                f"{len(unplayed)} recorded interaction(s){where} were never requested:\n"
                + "\n".join(unplayed)
                + "\nThe code under test now makes fewer calls than were recorded; re-record "
                f"with {RECORD_MODE_ENV}=all if that is intended."
            )

    def save(self) -> Path | None:
        """Write the cassette (redacted) if this transport recorded anything; returns the path."""
        if not self._dirty or self.cassette.path is None:
            return None
        path = save_cassette(self.cassette, redactor=self.redactor)
        self._dirty = False
        return path

    async def aclose(self) -> None:
        """Save what was recorded, close the inner transport, then (with
        ``require_all_played``) fail if a recorded interaction was never played."""
        if self._closed:
            return
        self._closed = True
        self.save()
        if self._inner is not None and self._owns_inner:
            await self._inner.aclose()
        if self.require_all_played and self._replaying:
            self.assert_all_played()

    # -- requests --------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        method, url = request.method, str(request.url)
        if self._replaying:
            live = self._normalize_live(request, url, body)
            index = self._find(method, live)
            if index is not None:
                self._used[index] = True
                interaction = self.cassette.interactions[index]
                return await self._replay(interaction, request)
            if not self._recording:
                raise CassetteMissError(self._miss_message(method, live))
        if self._recording or self.mode == "passthrough":
            return await self._forward(request, body)
        raise CassetteMissError(f"{method} {url}: the transport neither replays nor records")

    def _normalize_live(self, request: httpx2.Request, url: str, body: bytes) -> RecordedRequest:
        headers = {k: [v] for k, v in request.headers.items()}
        credentials = self.redactor.credential_values(headers)
        secrets = self.redactor.all_secrets(credentials) if credentials else self._secrets
        redacted = self.redactor.redact_body(body, secrets)
        return RecordedRequest(
            method=request.method,
            url=self.redactor.redact_url(url),
            body=redacted.encode("utf-8") if isinstance(redacted, str) else redacted,
        )

    def _recorded(self, index: int) -> RecordedRequest:
        """The recorded request as matching sees it: redacted like a live one."""
        cached = self._normalized[index]
        if cached is None:
            req = self.cassette.interactions[index].request
            # A cassette written by another tool may still hold credential headers.
            credentials = self.redactor.credential_values(req.headers)
            secrets = self.redactor.all_secrets(credentials) if credentials else self._secrets
            cached = replace(
                req,
                url=self.redactor.redact_url(req.url),
                body=self.redactor.redact_body(req.body, secrets),
            )
            self._normalized[index] = cached
        return cached

    def _find(self, method: str, live: RecordedRequest) -> int | None:
        body = live.body if isinstance(live.body, bytes) else live.body.encode()
        for index, used in enumerate(self._used):
            if not used and self._matcher(method, live.url, body, self._recorded(index)):
                return index
        return None

    def _miss_message(self, method: str, live: RecordedRequest) -> str:
        body = live.body if isinstance(live.body, bytes) else live.body.encode()
        unused = [self._recorded(i) for i, used in enumerate(self._used) if not used]
        used = [self._recorded(i) for i, u in enumerate(self._used) if u]
        text = explain_miss(method, live.url, body, unused, used=used)
        where = f"cassette {self.path}" if self.path else "the cassette"
        return (
            f"{text}\n(replaying {where} in mode {self.mode!r}; if the request changed on "
            f"purpose, re-record with {RECORD_MODE_ENV}=new_episodes or "
            f"{RECORD_MODE_ENV}=all, pytest: --record-mode=...)"
        )

    async def _replay(self, interaction: Interaction, request: httpx2.Request) -> httpx2.Response:
        recorded = interaction.response
        body = recorded.body.encode() if isinstance(recorded.body, str) else recorded.body
        headers = [(k, v) for k, values in recorded.headers.items() for v in values]
        delay = recorded.duration_seconds * self.timing if self.timing else 0.0
        chunks = _stream_pieces(recorded.content_type, body)
        if chunks is not None:
            gap = delay / len(chunks) if chunks else 0.0
        else:
            chunks = [body] if body else []
            if delay > 0:
                await anyio.sleep(delay)
            gap = 0.0
        return httpx2.Response(
            recorded.status_code,
            headers=headers,
            stream=_ReplayStream(chunks, gap),
            request=request,
        )

    async def _forward(self, request: httpx2.Request, body: bytes) -> httpx2.Response:
        if self._inner is None:
            # No kept-alive connections: nothing is left open when a test's event loop ends.
            self._inner = httpx2.AsyncHTTPTransport(
                limits=httpx2.Limits(max_keepalive_connections=0)
            )
        if not self._recording:
            return await self._inner.handle_async_request(request)
        recorded_request = record_request(request, body)
        # Ask for an uncompressed body: it is what the cassette stores and replays.
        request.headers["Accept-Encoding"] = "identity"
        started = time.perf_counter()
        response = await self._inner.handle_async_request(request)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=RecordingStream(response, recorded_request, started, self._add),
            request=request,
            extensions=response.extensions,
        )

    def _add(self, interaction: Interaction) -> None:
        self.cassette.interactions.append(interaction)
        self._used.append(True)  # recorded in this session: not to be replayed again
        self._normalized.append(None)
        self._dirty = True


class _ReplayStream(httpx2.AsyncByteStream):
    """A recorded body, served in pieces (paced by ``gap`` seconds) so stream consumers see
    real increments and can cancel between them."""

    def __init__(self, chunks: list[bytes], gap: float = 0.0) -> None:
        self._chunks = chunks
        self._gap = gap

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            if self._gap > 0:
                await anyio.sleep(self._gap)
            yield chunk


def _stream_pieces(content_type: str, body: bytes) -> list[bytes] | None:
    """A streamed body cut where the provider's stream has its boundaries: SSE events,
    AWS event-stream frames (Bedrock), JSON lines; ``None`` for a body that is not a stream."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/event-stream":
        return _split_events(body)
    if kind == "application/vnd.amazon.eventstream":
        return _split_frames(body)
    if kind in ("application/x-ndjson", "application/jsonl", "application/json-seq"):
        return [line for line in body.splitlines(keepends=True) if line]
    return None


def _split_events(body: bytes) -> list[bytes]:
    """Split an SSE body after each event's blank line (``\\n\\n`` or ``\\r\\n\\r\\n``)."""
    sep = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"
    pieces = body.split(sep)
    chunks = [p + sep for p in pieces[:-1]]
    if pieces[-1]:
        chunks.append(pieces[-1])
    return chunks


def _split_frames(body: bytes) -> list[bytes]:
    """AWS event-stream messages: each starts with its total length (4 bytes, big-endian)."""
    chunks: list[bytes] = []
    pos = 0
    while pos + 4 <= len(body):
        length = int.from_bytes(body[pos : pos + 4], "big")
        if length < 16 or pos + length > len(body):
            break  # not a frame boundary: serve the rest as it is
        chunks.append(body[pos : pos + length])
        pos += length
    if pos < len(body):
        chunks.append(body[pos:])
    return chunks
