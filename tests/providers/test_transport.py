"""FastTransport against real HTTP/1.1 servers on 127.0.0.1 that each test starts.

Covers framing (chunked split at every byte, Content-Length, close-delimited, 204, 100
Continue), keep-alive reuse and its refusals, the stale-connection retry, errors (mid-chunk
close, hang, refused connection, pool exhaustion), gzip, abandoning a stream, TLS with SNI
and ALPN, and that reverie's default client uses the transport unless a proxy is set.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import pytest

from reverie import errors
from reverie.providers._http import post_stream
from reverie.providers._http11 import ChunkedDecoder, H11Error
from reverie.providers._transport import FastTransport, fast_client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]

SSE_EVENTS = [
    b'data: {"choices":[{"delta":{"content":"h\xc3\xa9llo"}}]}\n\n',
    b'data: {"choices":[{"delta":{"content":" world"}}]}\n\n',
    b"data: [DONE]\n\n",
]
SSE_BODY = b"".join(SSE_EVENTS)
CHUNKED = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in SSE_EVENTS) + b"0\r\n\r\n"
CHUNKED_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
)


PROXY_VARIABLES = [f"{p}_PROXY" for p in ("HTTP", "HTTPS", "ALL")]
PROXY_VARIABLES += [v.lower() for v in PROXY_VARIABLES]


class Server:
    """Counts the connections it accepted; ``port`` is where it listens."""

    def __init__(self) -> None:
        self.connections = 0
        self.closed_by_peer = 0
        self.port = 0
        self.sni: list[str | None] = []
        self.alpn: list[str | None] = []


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request (head and Content-Length body); raises IncompleteReadError at EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


@asynccontextmanager
async def serve(
    handler: Handler, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[Server]:
    state = Server()
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer, state)
        except (asyncio.IncompleteReadError, ConnectionError):
            state.closed_by_peer += 1
        finally:
            writer.close()
            tasks.discard(task)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=ssl_context)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def keep_serving(response: bytes) -> Handler:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        while True:
            await read_request(reader)
            writer.write(response)
            await writer.drain()

    return handler


@asynccontextmanager
async def client(**kwargs: object) -> AsyncIterator[tuple[httpx2.AsyncClient, FastTransport]]:
    transport = FastTransport(**kwargs)  # type: ignore[arg-type]
    async with httpx2.AsyncClient(transport=transport, timeout=5) as http:
        yield http, transport


async def _raw_pieces(
    http: httpx2.AsyncClient,
    url: str,
    into: list[bytes] | None = None,
    timeouts: httpx2.Timeout | None = None,
) -> list[bytes]:
    """POST ``{}`` to ``url`` and collect the raw body pieces (into ``into`` as they come)."""
    pieces = [] if into is None else into
    extra = {} if timeouts is None else {"timeout": timeouts}
    async with http.stream("POST", url, content=b"{}", **extra) as r:  # type: ignore[arg-type]
        async for piece in r.aiter_raw():
            pieces.append(piece)
    return pieces


async def _drain_post_stream(http: httpx2.AsyncClient, url: str) -> None:
    async for _ in post_stream(http, url, b"{}", {}, provider="test"):
        pass


# -- the pure chunked decoder ---------------------------------------------------------


def test_chunked_decoder_gives_the_body_for_every_pair_of_split_points() -> None:
    data = CHUNKED.replace(b"0\r\n\r\n", b"0\r\nx-trailer: 1\r\n\r\n")
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            decoder = ChunkedDecoder()
            out = decoder.feed(data[:i]) + decoder.feed(data[i:j]) + decoder.feed(data[j:])
            assert out == SSE_BODY and decoder.done, (i, j)
            assert decoder.leftover == b""


def test_chunked_decoder_joins_all_chunks_of_a_read_into_one_object() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(CHUNKED + b"EXTRA") == SSE_BODY
    assert decoder.done and decoder.leftover == b"EXTRA"


@pytest.mark.parametrize("bad", [b"zz\r\nab\r\n", b"2\r\nabX\r\n", b"-1\r\n", b"0x2\r\nab\r\n"])
def test_chunked_decoder_rejects_broken_framing(bad: bytes) -> None:
    with pytest.raises(H11Error):
        ChunkedDecoder().feed(bad)


# -- framing over real sockets ---------------------------------------------------------


@pytest.mark.anyio
async def test_chunked_sse_split_at_every_byte_position_across_writes() -> None:
    response = CHUNKED_HEAD + CHUNKED
    cuts = iter(range(1, len(response)))

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        while True:
            await read_request(reader)
            cut = next(cuts)
            writer.write(response[:cut])
            await writer.drain()
            await asyncio.sleep(0.002)  # let the client read the first part on its own
            writer.write(response[cut:])
            await writer.drain()

    async with serve(handler) as server, client() as (http, transport):
        for _ in range(len(response) - 1):
            async with http.stream(
                "POST", f"http://127.0.0.1:{server.port}/v1", content=b"{}"
            ) as r:
                assert r.status_code == 200
                assert r.headers["content-type"] == "text/event-stream"
                assert b"".join([c async for c in r.aiter_raw()]) == SSE_BODY
        assert server.connections == 1  # every response was read to the end: one connection
        assert transport.pool.open == 1


@pytest.mark.anyio
async def test_many_chunks_in_one_read_come_out_as_one_bytes_object() -> None:
    body = b"".join(b'data: {"n": %d}\n\n' % i for i in range(200))
    events = [body[i : i + 12] for i in range(0, len(body), 12)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events) + b"0\r\n\r\n"
    async with serve(keep_serving(CHUNKED_HEAD + chunked)) as server, client() as (http, _):
        pieces = await _raw_pieces(http, f"http://127.0.0.1:{server.port}/")
    assert b"".join(pieces) == body
    assert len(pieces) < len(events) / 10  # per read, not per chunk


@pytest.mark.anyio
async def test_content_length_json_and_keep_alive_reuse_across_two_requests() -> None:
    body = b'{"ok": true, "text": "h\xc3\xa9"}'
    response = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
    async with serve(keep_serving(response % (len(body), body))) as server, client() as (http, tr):
        url = f"http://127.0.0.1:{server.port}/v1/x?a=1"
        first = await http.post(url, json={"q": 1})
        second = await http.post(url, json={"q": 2})
        assert first.json() == second.json() == {"ok": True, "text": "h\u00e9"}
        assert first.http_version == "HTTP/1.1" and first.reason_phrase == "OK"
        assert server.connections == 1
        assert tr.pool.open == 1


@pytest.mark.anyio
async def test_the_request_goes_out_with_path_query_host_and_content_length() -> None:
    seen: list[bytes] = []

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async with serve(handler) as server, client() as (http, _):
        await http.post(f"http://127.0.0.1:{server.port}/v1/chat?x=1&y=2", content=b"hello")
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/chat?x=1&y=2 HTTP/1.1"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    assert headers[b"host"] == f"127.0.0.1:{server.port}".encode()
    assert headers[b"content-length"] == b"5" and body == b"hello"


@pytest.mark.anyio
async def test_close_delimited_body_is_read_to_the_end_and_not_reused() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ")
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(b"part two")
        await writer.drain()

    async with serve(handler) as server, client() as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.get(url)).text == "part one, part two"
        assert (await http.get(url)).text == "part one, part two"
        assert server.connections == 2
        assert transport.pool.open == 0


@pytest.mark.anyio
async def test_connection_close_is_not_reused_and_204_has_no_body() -> None:
    response = b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"
    async with serve(keep_serving(response)) as server, client() as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(2):
            r = await http.delete(url)
            assert r.status_code == 204 and r.content == b""
        assert server.connections == 2
        assert transport.pool.open == 0


@pytest.mark.anyio
async def test_204_without_close_keeps_the_connection_and_100_continue_is_skipped() -> None:
    response = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
    async with serve(keep_serving(response)) as server, client() as (http, _):
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.put(url, content=b"x")).status_code == 204
        assert (await http.put(url, content=b"x")).status_code == 204
        assert server.connections == 1


@pytest.mark.anyio
async def test_gzip_body_is_decompressed_by_httpx2() -> None:
    body = gzip.compress(b'{"zipped": true}')
    response = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s"
    async with serve(keep_serving(response % (len(body), body))) as server, client() as (http, _):
        assert (await http.get(f"http://127.0.0.1:{server.port}/")).json() == {"zipped": True}


@pytest.mark.anyio
async def test_an_undecodable_content_encoding_is_a_clear_error() -> None:
    response = b"HTTP/1.1 200 OK\r\ncontent-encoding: x-unknown\r\ncontent-length: 2\r\n\r\nzz"
    async with serve(keep_serving(response)) as server, client() as (http, transport):
        with pytest.raises(httpx2.DecodingError, match="x-unknown"):
            await http.get(f"http://127.0.0.1:{server.port}/")
        assert transport.pool.open == 0


@pytest.mark.anyio
async def test_head_has_no_body_even_with_a_content_length() -> None:
    response = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n"
    async with serve(keep_serving(response)) as server, client() as (http, _):
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(2):
            r = await http.head(url)
            assert r.status_code == 200 and r.content == b""
        assert server.connections == 1


# -- stale connections ------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_reused_connection_that_dies_before_answering_is_retried_once() -> None:
    response = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        await read_request(reader)
        writer.write(response)
        await writer.drain()
        await read_request(reader)  # the second request on this connection: hang up on it

    async with serve(handler) as server, client() as (http, _):
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.post(url, content=b"1")).text == "ok"
        assert (await http.post(url, content=b"2")).text == "ok"
        assert server.connections == 2


@pytest.mark.anyio
async def test_a_fresh_connection_that_closes_without_answering_is_not_retried() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        await read_request(reader)

    async with serve(handler) as server, client() as (http, transport):
        with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
            await http.post(f"http://127.0.0.1:{server.port}/", content=b"x")
        assert server.connections == 1
        assert transport.pool.open == 0


@pytest.mark.anyio
async def test_an_idle_connection_closed_by_the_server_is_replaced() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()  # then close without saying so in the headers

    async with serve(handler) as server, client() as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.get(url)).text == "ok"
        await asyncio.sleep(0.05)
        assert (await http.get(url)).text == "ok"
        assert server.connections == 2
        assert transport.pool.open <= 1


# -- failures ---------------------------------------------------------------------------


async def _closes_mid_chunk(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
) -> None:
    await read_request(reader)
    writer.write(
        CHUNKED_HEAD + b"%x\r\n%s\r\n" % (len(SSE_EVENTS[0]), SSE_EVENTS[0]) + b"40\r\ndata: {"
    )
    await writer.drain()


@pytest.mark.anyio
async def test_a_server_closing_mid_chunk_is_a_remote_protocol_error() -> None:
    async with serve(_closes_mid_chunk) as server, client() as (http, transport):
        got: list[bytes] = []
        with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
            await _raw_pieces(http, f"http://127.0.0.1:{server.port}/", got)
        assert b"".join(got) == SSE_EVENTS[0] + b"data: {"
        assert transport.pool.open == 0


@pytest.mark.anyio
async def test_a_server_closing_mid_chunk_reaches_reverie_as_an_incomplete_stream() -> None:
    async with serve(_closes_mid_chunk) as server, client() as (http, _):
        with pytest.raises(errors.IncompleteStreamError, match="middle of a chunked body"):
            await _drain_post_stream(http, f"http://127.0.0.1:{server.port}/")


@pytest.mark.anyio
async def test_a_hanging_server_is_a_read_timeout() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        await read_request(reader)
        writer.write(CHUNKED_HEAD + b"5\r\nhello\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    async with serve(handler) as server, client() as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        got: list[bytes] = []
        with pytest.raises(httpx2.ReadTimeout):
            await _raw_pieces(http, url, got, timeouts=httpx2.Timeout(5, read=0.2))
        assert got == [b"hello"]
        assert transport.pool.open == 0
    async with serve(handler) as server, client() as (http, _):
        http.timeout = httpx2.Timeout(5, read=0.2)
        with pytest.raises(errors.APITimeoutError):
            await _drain_post_stream(http, f"http://127.0.0.1:{server.port}/")


@pytest.mark.anyio
async def test_a_refused_connection_is_a_connect_error() -> None:
    async with serve(keep_serving(b"")) as server:
        port = server.port
    async with client() as (http, transport):
        with pytest.raises(httpx2.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")
        assert transport.pool.open == 0


@pytest.mark.anyio
async def test_abandoning_a_stream_closes_its_connection() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        while True:
            await read_request(reader)
            writer.write(CHUNKED_HEAD + b"5\r\nhello\r\n")
            await writer.drain()
            await reader.read()  # wait for the client to hang up

    async with serve(handler) as server, client() as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(2):
            async with http.stream("GET", url) as r:
                async for piece in r.aiter_raw():
                    assert piece == b"hello"
                    break
            assert transport.pool.open == 0
        await asyncio.sleep(0.05)
        assert server.connections == 2  # the abandoned connection was not reused


@pytest.mark.anyio
async def test_an_exhausted_pool_raises_pool_timeout_and_frees_slots_on_close() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        while True:
            await read_request(reader)
            writer.write(CHUNKED_HEAD + b"5\r\nhello\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    async with serve(handler) as server, client(max_connections=2) as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        short = httpx2.Timeout(5, pool=0.1)
        first = await http.send(http.build_request("GET", url), stream=True)
        second = await http.send(http.build_request("GET", url), stream=True)
        assert transport.pool.open == 2
        with pytest.raises(httpx2.PoolTimeout):
            await http.get(url, timeout=short)
        waiting = asyncio.create_task(http.get(url, timeout=httpx2.Timeout(5, pool=2)))
        await asyncio.sleep(0.02)
        assert not waiting.done()
        await first.aread()  # read to the end: the connection goes back to the pool
        assert (await waiting).text == "hello"
        await second.aclose()
        assert server.connections == 2
        assert transport.pool.open == 1


# -- TLS --------------------------------------------------------------------------------


def _make_certificate(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl CLI to make a test certificate (and no cryptography/trustme)")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.anyio
async def test_tls_handshake_with_sni_and_alpn_against_a_self_signed_certificate(
    tmp_path: Path,
) -> None:
    cert, key = _make_certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.set_alpn_protocols(["http/1.1"])
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment]
    body = b'{"secure": true}'
    response = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: Server
    ) -> None:
        obj = writer.get_extra_info("ssl_object")
        state.alpn.append(obj.selected_alpn_protocol() if obj else None)
        await keep_serving(response)(reader, writer, state)

    trusted = ssl.create_default_context(cafile=str(cert))
    trusted.set_alpn_protocols(["http/1.1"])
    async with serve(handler, server_context) as server:
        async with client(verify=trusted) as (http, _):
            url = f"https://localhost:{server.port}/v1"
            assert (await http.get(url)).json() == {"secure": True}
            assert (await http.get(url)).json() == {"secure": True}
        assert names == ["localhost"]  # SNI sent, and one handshake for two requests
        assert server.alpn == ["http/1.1"]
        async with client() as (http, _):  # the system trust store does not know our CA
            with pytest.raises(httpx2.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
                await http.get(f"https://localhost:{server.port}/")


# -- the default client -----------------------------------------------------------------


def test_the_default_client_uses_the_fast_transport_unless_a_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    async def check(expect_fast: bool) -> None:
        async with fast_client(httpx2.Timeout(5)) as http:
            assert isinstance(http._transport, FastTransport) is expect_fast  # pyright: ignore[reportPrivateUsage]
            assert http.headers["accept-encoding"] == "identity"

    asyncio.run(check(True))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    asyncio.run(check(False))


@pytest.mark.anyio
async def test_many_concurrent_streams_share_a_limited_pool_and_give_every_slot_back() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server
    ) -> None:
        while True:
            await read_request(reader)
            writer.write(CHUNKED_HEAD + CHUNKED[:20])
            await writer.drain()
            await asyncio.sleep(0.005)
            writer.write(CHUNKED[20:])
            await writer.drain()

    async with serve(handler) as server, client(max_connections=40) as (http, transport):
        url = f"http://127.0.0.1:{server.port}/"
        timeouts = httpx2.Timeout(10)
        results = await asyncio.gather(
            *(_raw_pieces(http, url, timeouts=timeouts) for _ in range(300))
        )
        assert all(b"".join(pieces) == SSE_BODY for pieces in results)
        assert server.connections <= 40
        assert transport.pool.open == server.connections  # all idle, none leaked


def test_reverie_default_client_is_the_fast_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from reverie.providers._http import default_client

    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    async def check() -> None:
        async with default_client() as http:
            assert isinstance(http._transport, FastTransport)  # pyright: ignore[reportPrivateUsage]

    asyncio.run(check())
