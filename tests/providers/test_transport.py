"""The transport contract: what reverie's HTTP layer must do, over real HTTP/1.1 servers on
127.0.0.1, for the default transport (the aiohttp adapter) and httpx2's own alike.

Framing (chunked split at every byte, Content-Length, close-delimited, 204, 100 Continue,
HEAD), keep-alive reuse and when a connection must not be reused, no silent re-send of a
POST, malformed answers (bare-LF heads, NUL in a header, oversize heads, both
Content-Length and Transfer-Encoding, cut-off bodies, unknown codings), timeouts, refused
connections, abandoned streams, pool limits, and how each failure reaches reverie. TLS,
proxies and IDNA: ``test_transport_tls.py``.
"""

from __future__ import annotations

import asyncio
import gzip

import httpx2
import pytest

from reverie import errors
from reverie.providers._http import post_json, post_stream

from .transport_kit import (
    BACKENDS,
    Server,
    client,
    keep_serving,
    read_request,
    request_headers,
    serve,
)

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("backend", BACKENDS)]

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
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def _pieces(http: httpx2.AsyncClient, url: str, into: list[bytes] | None = None) -> bytes:
    """POST ``{}`` and collect the raw body (into ``into`` as it comes)."""
    pieces = [] if into is None else into
    async with http.stream("POST", url, content=b"{}") as r:
        async for piece in r.aiter_raw():
            pieces.append(piece)
    return b"".join(pieces)


async def _drain(http: httpx2.AsyncClient, url: str) -> None:
    async for _ in post_stream(http, url, b"{}", {}, provider="test"):
        pass


# -- framing and keep-alive ----------------------------------------------------------------


async def test_chunked_sse_split_at_every_byte_position_on_one_connection(backend: str):
    response = CHUNKED_HEAD + CHUNKED
    cuts = iter(range(1, len(response)))

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        while True:
            await read_request(reader)
            cut = next(cuts)
            writer.write(response[:cut])
            await writer.drain()
            await asyncio.sleep(0.002)  # let the client read the first part on its own
            writer.write(response[cut:])
            await writer.drain()

    async with serve(handler) as server, client(backend) as http:
        for _ in range(len(response) - 1):
            async with http.stream("POST", f"http://127.0.0.1:{server.port}/v1") as r:
                assert r.status_code == 200
                assert r.headers["content-type"] == "text/event-stream"
                assert b"".join([c async for c in r.aiter_raw()]) == SSE_BODY
        assert server.connections == 1  # every response read to the end: one connection


async def test_json_over_content_length_and_the_connection_is_reused(backend: str):
    body = b'{"ok": true, "text": "h\xc3\xa9"}'
    response = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    async with serve(keep_serving(response % len(body) + body)) as server, client(backend) as http:
        url = f"http://127.0.0.1:{server.port}/v1/x?a=1"
        first = await http.post(url, json={"q": 1})
        second = await http.post(url, json={"q": 2})
        assert first.json() == second.json() == {"ok": True, "text": "h\u00e9"}
        assert first.http_version == "HTTP/1.1" and first.reason_phrase == "OK"
        assert server.connections == 1


async def test_the_request_goes_out_as_httpx2_built_it(backend: str):
    no_content = keep_serving(b"HTTP/1.1 204 No Content\r\n\r\n")
    async with serve(no_content) as server, client(backend) as http:
        await http.post(
            f"http://127.0.0.1:{server.port}/v1/chat?x=1&y=%2F",
            content=b"hello",
            headers={"Authorization": "Bearer k", "X-Custom": "a  b"},
        )
        await http.get(f"http://127.0.0.1:{server.port}/v1/models")
    post, get = server.requests
    head, _, body = post.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /v1/chat?x=1&y=%2F HTTP/1.1"
    headers = request_headers(post)
    assert headers[b"host"] == f"127.0.0.1:{server.port}".encode()
    assert headers[b"content-length"] == b"5" and body == b"hello"
    assert headers[b"authorization"] == b"Bearer k" and headers[b"x-custom"] == b"a  b"
    assert headers[b"accept-encoding"] == b"identity"
    assert headers[b"user-agent"].startswith(b"python-httpx")  # httpx2's, not aiohttp's
    assert b"content-type" not in headers  # nothing added that httpx2 did not set
    assert b"transfer-encoding" not in headers
    assert request_headers(get).get(b"content-length", b"0") == b"0"


async def test_a_close_delimited_body_is_read_to_the_end_and_not_reused(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ")
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(b"part two")
        await writer.drain()

    async with serve(handler) as server, client(backend) as http:
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.get(url)).text == "part one, part two"
        assert (await http.get(url)).text == "part one, part two"
        assert server.connections == 2


async def test_connection_close_is_honoured_and_204_has_no_body(backend: str):
    response = b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"
    async with serve(keep_serving(response)) as server, client(backend) as http:
        for _ in range(2):
            r = await http.delete(f"http://127.0.0.1:{server.port}/")
            assert r.status_code == 204 and r.content == b""
        assert server.connections == 2


async def test_100_continue_is_skipped_and_204_keeps_the_connection(backend: str):
    response = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
    async with serve(keep_serving(response)) as server, client(backend) as http:
        for _ in range(2):
            assert (
                await http.put(f"http://127.0.0.1:{server.port}/", content=b"x")
            ).status_code == 204
        assert server.connections == 1


async def test_head_has_no_body_even_with_a_content_length(backend: str):
    async with serve(keep_serving(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n")) as server:
        async with client(backend) as http:
            for _ in range(2):
                r = await http.head(f"http://127.0.0.1:{server.port}/")
                assert r.status_code == 200 and r.content == b""
        assert server.connections == 1


async def test_a_gzip_body_is_decompressed(backend: str):
    body = gzip.compress(b'{"zipped": true}')
    response = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s"
    async with serve(keep_serving(response % (len(body), body))) as server, client(backend) as http:
        assert (await http.get(f"http://127.0.0.1:{server.port}/")).json() == {"zipped": True}


async def test_an_unknown_content_encoding_is_a_clear_error(backend: str):
    response = b"HTTP/1.1 200 OK\r\ncontent-encoding: x-unknown\r\ncontent-length: 2\r\n\r\nzz"
    async with serve(keep_serving(response)) as server, client(backend) as http:
        with pytest.raises(httpx2.DecodingError, match="x-unknown"):
            await http.get(f"http://127.0.0.1:{server.port}/")


# -- no silent re-send -----------------------------------------------------------------------


async def test_a_post_on_a_reused_connection_that_dies_is_not_sent_again(backend: str):
    """The server reads the second POST on the kept-alive connection and hangs up without an
    answer: the request may have been processed (an LLM call billed), so it must not go out
    again unseen; it fails as a retryable error, which the agent shows in a Retry event."""
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        s.requests.append(await read_request(reader))
        writer.write(answer)
        await writer.drain()
        if s.connections == 1:
            s.requests.append(await read_request(reader))  # then close without answering

    async with serve(handler) as server, client(backend) as http:
        url = f"http://127.0.0.1:{server.port}/v1"
        assert await post_json(http, url, b"first", {}, provider="test") == {}
        with pytest.raises(errors.APIConnectionError, match="without sending a response") as e:
            await post_json(http, url, b"second", {}, provider="test")
        assert e.value.retryable
        assert server.connections == 1  # not sent again on a fresh connection
        assert await post_json(http, url, b"third", {}, provider="test") == {}
    assert [r.rpartition(b"\r\n\r\n")[2] for r in server.requests] == [
        b"first",
        b"second",
        b"third",
    ]


async def test_a_fresh_connection_closed_without_an_answer_is_not_retried(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        s.requests.append(await read_request(reader))

    async with serve(handler) as server, client(backend) as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            await http.post(f"http://127.0.0.1:{server.port}/", content=b"x")
        assert server.connections == 1 and len(server.requests) == 1


async def test_an_idle_connection_the_server_closed_is_replaced(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        await read_request(reader)
        writer.write(OK)
        await writer.drain()  # then close without saying so in the headers

    async with serve(handler) as server, client(backend) as http:
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.post(url, content=b"1")).text == "ok"
        assert await server.settle()
        await asyncio.sleep(0.02)  # the client's loop sees the close
        assert (await http.post(url, content=b"2")).text == "ok"
        assert server.connections == 2


# -- malformed answers ---------------------------------------------------------------------


async def test_a_bare_lf_head_is_framed_by_its_own_line_ends(backend: str):
    body = b"ab\r\n\r\nx-smuggled: 1\r\n\r\ncd"
    response = b"HTTP/1.1 200 OK\ncontent-length: %d\nx-a: 1\n\n%s" % (len(body), body)
    async with serve(keep_serving(response)) as server, client(backend) as http:
        for _ in range(2):
            r = await http.get(f"http://127.0.0.1:{server.port}/")
            assert r.content == body and "x-smuggled" not in r.headers
            assert r.headers["x-a"] == "1"


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nx-a: a\x00b\r\ncontent-length: 2\r\n\r\n",  # NUL in a value
        b"HTTP/1.1 200 OK\r\nx-a: " + b"v" * 300_000 + b"\r\ncontent-length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n"
        + b"".join(b"x-h%d: %s\r\n" % (i, b"v" * 90) for i in range(3000))
        + b"content-length: 2\r\n\r\n",  # a 290 KB head of many lines, in one write
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n",
        b"HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n",
    ],
    ids=[
        "nul-in-value",
        "one-huge-line",
        "huge-head",
        "length-and-chunked",
        "two-lengths",
        "bad-status",
    ],
)
async def test_a_malformed_head_is_a_protocol_error_and_the_connection_is_dropped(
    backend: str, head: bytes
):
    async with (
        serve(keep_serving(head + b"2\r\nok\r\n0\r\n\r\n")) as server,
        client(backend) as http,
    ):
        for _ in range(2):
            with pytest.raises(httpx2.RemoteProtocolError):
                await http.post(f"http://127.0.0.1:{server.port}/", content=b"x")
        assert server.connections == 2  # never reused after a malformed answer
        with pytest.raises(errors.APIConnectionError, match="test: connection failed"):
            await post_json(http, f"http://127.0.0.1:{server.port}/", b"{}", {}, provider="test")


async def _closes_mid_chunk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
    await read_request(reader)
    first = b"%x\r\n%s\r\n" % (len(SSE_EVENTS[0]), SSE_EVENTS[0])
    writer.write(CHUNKED_HEAD + first + b"40\r\ndata: {")
    await writer.drain()


async def test_a_body_cut_mid_chunk_is_incomplete(backend: str):
    async with serve(_closes_mid_chunk) as server, client(backend) as http:
        url = f"http://127.0.0.1:{server.port}/"
        got: list[bytes] = []
        with pytest.raises(httpx2.RemoteProtocolError, match="incomplete"):
            await _pieces(http, url, got)
        assert b"".join(got) == SSE_EVENTS[0] + b"data: {"
        with pytest.raises(errors.IncompleteStreamError, match="retrying may succeed"):
            await _drain(http, url)


async def test_a_body_shorter_than_its_content_length_is_incomplete(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
        await writer.drain()

    async with serve(handler) as server, client(backend) as http:
        with pytest.raises(errors.IncompleteStreamError):
            await post_json(http, f"http://127.0.0.1:{server.port}/", b"{}", {}, provider="t")


async def test_a_broken_chunk_size_is_a_protocol_error(backend: str):
    response = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
    async with serve(keep_serving(response)) as server, client(backend) as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            await _pieces(http, f"http://127.0.0.1:{server.port}/")


# -- timeouts, refusals, abandoning, limits --------------------------------------------------


async def test_a_hanging_server_is_a_read_timeout(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        await read_request(reader)
        writer.write(CHUNKED_HEAD + b"5\r\nhello\r\n")
        await writer.drain()
        await reader.read()  # nothing more, until the client hangs up

    async with (
        serve(handler) as server,
        client(backend, timeout=httpx2.Timeout(5, read=0.2)) as http,
    ):
        url = f"http://127.0.0.1:{server.port}/"
        got: list[bytes] = []
        with pytest.raises(httpx2.ReadTimeout):
            await _pieces(http, url, got)
        assert got == [b"hello"]
        with pytest.raises(errors.APITimeoutError):
            await _drain(http, url)
        assert await server.settle()  # both timed-out connections were closed


async def test_a_refused_connection_is_a_connect_error(backend: str):
    async with serve(keep_serving(b"")) as server:
        port = server.port
    async with client(backend) as http:
        with pytest.raises(httpx2.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")
        with pytest.raises(errors.APIConnectionError, match="cannot connect"):
            await post_json(http, f"http://127.0.0.1:{port}/", b"{}", {}, provider="test")


async def test_abandoning_a_stream_closes_its_connection(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        await read_request(reader)
        writer.write(CHUNKED_HEAD + b"5\r\nhello\r\n")
        await writer.drain()
        await reader.read()  # until the client hangs up

    async with serve(handler) as server, client(backend) as http:
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(2):
            async with http.stream("GET", url) as r:
                async for piece in r.aiter_raw():
                    assert piece == b"hello"
                    break
            assert await server.settle()  # closed when the stream was left, not later
        assert server.connections == 2


async def test_a_full_pool_times_out_and_frees_slots_when_bodies_end(backend: str):
    finish = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        while True:
            await read_request(reader)
            writer.write(CHUNKED_HEAD + b"5\r\nhello\r\n")
            await writer.drain()
            await finish.wait()
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    limits = httpx2.Limits(max_connections=2)
    async with serve(handler) as server, client(backend, limits=limits) as http:
        url = f"http://127.0.0.1:{server.port}/"
        first = await http.send(http.build_request("GET", url), stream=True)
        second = await http.send(http.build_request("GET", url), stream=True)
        # The aiohttp adapter bounds "get a connection" as one: pool + connect (0.4 s here).
        with pytest.raises(httpx2.TimeoutException):
            await http.get(url, timeout=httpx2.Timeout(0.3, pool=0.1))
        waiting = asyncio.create_task(http.get(url, timeout=httpx2.Timeout(5, pool=3)))
        await asyncio.sleep(0.02)
        assert not waiting.done()
        finish.set()
        assert await first.aread() == b"hello"  # read to the end: its connection is free
        assert (await waiting).text == "hello"
        await second.aclose()
        assert server.connections == 2


async def test_many_concurrent_streams_share_a_limited_pool(backend: str):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Server):
        while True:
            await read_request(reader)
            writer.write(CHUNKED_HEAD + CHUNKED[:20])
            await writer.drain()
            await asyncio.sleep(0.005)
            writer.write(CHUNKED[20:])
            await writer.drain()

    limits = httpx2.Limits(max_connections=40)
    async with serve(handler) as server, client(backend, limits=limits, timeout=10) as http:
        url = f"http://127.0.0.1:{server.port}/"
        results = await asyncio.gather(*(_pieces(http, url) for _ in range(300)))
        assert all(body == SSE_BODY for body in results)
        assert server.connections <= 40


# -- request headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("X-Bad", "a\r\nInjected: 1"), ("X-Bad", "a\x00b"), ("X-Bad", "trailing "), ("X Bad", "v")],
)
async def test_an_invalid_request_header_is_never_written(backend: str, name: str, value: str):
    async with serve(keep_serving(OK)) as server, client(backend) as http:
        with pytest.raises(httpx2.LocalProtocolError):
            await http.post(f"http://127.0.0.1:{server.port}/", headers={name: value})
    assert server.requests == []
