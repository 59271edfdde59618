"""reverie's default HTTP client: which transport it uses, the user's settings, closing it
with its event loop, and how a bad request header is reported."""

from __future__ import annotations

import asyncio
import base64
import http.server
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from reverie import errors
from reverie.providers import configure_default_client, get_model, new_http_client
from reverie.providers._aiohttp import AiohttpTransport
from reverie.providers._client import DEFAULT_LIMITS, aiohttp_available, default_client
from reverie.providers._http import post_json

from .transport_kit import Certificates, keep_serving, serve

JSON = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    yield
    configure_default_client()


def _transport(client: httpx2.AsyncClient) -> httpx2.AsyncBaseTransport:
    return client._transport  # pyright: ignore[reportPrivateUsage]


# -- which transport ---------------------------------------------------------------------


def test_the_default_client_is_the_aiohttp_one_with_or_without_a_proxy(
    monkeypatch: pytest.MonkeyPatch,
):
    async def check() -> None:
        client = default_client()
        assert isinstance(_transport(client), AiohttpTransport)
        assert client.headers["accept-encoding"] == "identity"
        assert not client._mounts  # pyright: ignore[reportPrivateUsage]  (no other transport)
        assert default_client() is client  # one per loop

    asyncio.run(check())
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    asyncio.run(check())  # a proxy does not switch to another transport


def test_without_aiohttp_the_client_falls_back_to_httpx2s_transport():
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "aiohttp", None)  # makes ``import aiohttp`` fail
        aiohttp_available.cache_clear()
        assert not aiohttp_available()
        client = new_http_client()
        assert isinstance(_transport(client), httpx2.AsyncHTTPTransport)
        with pytest.raises(errors.ConfigurationError, match="pip install aiohttp"):
            new_http_client(transport="aiohttp")
        with pytest.raises(errors.ConfigurationError, match="pip install aiohttp"):
            configure_default_client(transport="aiohttp")
    aiohttp_available.cache_clear()
    assert aiohttp_available()


def test_a_transport_name_that_does_not_exist_is_refused():
    with pytest.raises(errors.ConfigurationError, match="'auto', 'aiohttp', 'httpx2'"):
        new_http_client(transport="curl")  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="'auto', 'aiohttp', 'httpx2'"):
        configure_default_client(transport="curl")  # type: ignore[arg-type]


# -- the user's settings -----------------------------------------------------------------


def test_configure_default_client_sets_limits_timeouts_and_verify(tmp_path: Path):
    certs = Certificates(tmp_path)

    async def run() -> None:
        async with serve(keep_serving(JSON), certs.server("localhost")) as server:
            url = f"https://localhost:{server.port}/v1"
            with pytest.raises(errors.APIConnectionError, match="certificate"):
                await post_json(None, url, b"{}", {}, provider="test")
            first = default_client()
            configure_default_client(
                verify=certs.trusting(),
                limits=httpx2.Limits(max_connections=7),
                timeout=httpx2.Timeout(30, connect=3),
            )
            assert await post_json(None, url, b"{}", {}, provider="test") == {"ok": True}
            client = default_client()
            assert client is not first and not first.is_closed  # left to finish, not killed
            assert client.timeout == httpx2.Timeout(30, connect=3)
            limits = _transport(client)._limits  # type: ignore[attr-defined]  # pyright: ignore
            assert limits.max_connections == 7
            configure_default_client()  # back to the defaults: the test CA is not trusted
            with pytest.raises(errors.APIConnectionError, match="certificate"):
                await post_json(None, url, b"{}", {}, provider="test")

    asyncio.run(run())


def test_configure_default_client_can_choose_httpx2s_transport():
    async def run() -> None:
        configure_default_client(transport="httpx2")
        assert isinstance(_transport(default_client()), httpx2.AsyncHTTPTransport)
        async with serve(keep_serving(JSON)) as server:
            url = f"http://127.0.0.1:{server.port}/v1"
            assert await post_json(None, url, b"{}", {}, provider="test") == {"ok": True}

    asyncio.run(run())


# -- closed with the loop ----------------------------------------------------------------


class _ChatHandler(http.server.BaseHTTPRequestHandler):
    """A keep-alive Chat Completions host: a JSON answer, or an SSE stream when asked."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if b'"stream":true' in body.replace(b" ", b""):
            chunk = b'{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}'
            answer, kind = b"data: " + chunk + b"\n\ndata: [DONE]\n\n", "text/event-stream"
        else:
            message = b'{"role":"assistant","content":"hi"}'
            answer = b'{"choices":[{"index":0,"finish_reason":"stop","message":%s}]}' % message
            kind = "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from reverie import Agent
    from reverie.providers import get_model

    async def main(url):
        agent = Agent(get_model("openai-compatible:m", base_url=url, api_key="k"))
        result = await agent.generate("hi")
        async for _ in agent.stream("hi"):
            pass
        print("answered")

    asyncio.run(main(sys.argv[1]))
    asyncio.run(main(sys.argv[1]))  # a second loop gets (and closes) its own client
    """
)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_asyncio_run_leaves_no_unclosed_socket_or_session(scheme: str, tmp_path: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    env = {**os.environ, "PYTHONWARNINGS": "error::ResourceWarning"}
    if scheme == "https":
        certs = Certificates(tmp_path)
        server.socket = certs.server("localhost").wrap_socket(server.socket, server_side=True)
        env["SSL_CERT_FILE"] = str(certs.ca_file)  # the default client trusts the test CA
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"{scheme}://localhost:{server.server_address[1]}/v1"
        done = subprocess.run(
            [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", SCRIPT, url],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("answered") == 2
    for sign in ("ResourceWarning", "nclosed", "Exception ignored"):
        assert sign not in done.stderr, done.stderr


# -- request headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "named", "problem"),
    [
        ({"api_key": "sk-SECRET-key\n"}, "Authorization", "line break"),
        ({"api_key": "sk-SECRET-key\x00"}, "Authorization", "NUL"),
        ({"api_key": "sk-SECRET-kéy"}, "Authorization", "beyond ASCII"),
        ({"headers": {"X-Team": "sk-SECRET-key\r\nX-Evil: 1"}}, "X-Team", "line break"),
        ({"headers": {"Authorization: Bearer sk-SECRET-key": ""}}, "Authorization", "':'"),
        ({"headers": {"X-Team": " sk-SECRET-key"}}, "X-Team", "whitespace"),
    ],
)
@pytest.mark.anyio
async def test_an_invalid_header_is_named_and_its_value_never_shown(
    options: dict[str, object], named: str, problem: str
):
    async with serve(keep_serving(JSON)) as server:
        model = get_model(
            "openai-compatible:m", base_url=f"http://127.0.0.1:{server.port}/v1", **options
        )
        from reverie.content import user
        from reverie.model import Call

        with pytest.raises(errors.ConfigurationError) as caught:
            await model.generate(Call((user("hi"),)))
    message = str(caught.value)
    assert f"header {named!r}" in message.replace('"', "'") and problem in message
    assert "SECRET" not in message and "base_url" not in message
    assert caught.value.__cause__ is None and not caught.value.retryable
    assert server.requests == []  # nothing went out


@pytest.mark.anyio
async def test_an_invalid_default_header_of_a_users_client_is_reported_the_same_way():
    async with serve(keep_serving(JSON)) as server:
        client = httpx2.AsyncClient(headers={"X-Key": "sk-SECRET-key\n"})
        model = get_model(
            "openai-compatible:m", base_url=f"http://127.0.0.1:{server.port}/v1", http_client=client
        )
        from reverie.content import user
        from reverie.model import Call

        with pytest.raises(
            errors.ConfigurationError, match="header 'X-Key' has a value with a line break"
        ) as caught:
            await model.generate(Call((user("hi"),)))
        await client.aclose()
    assert "SECRET" not in str(caught.value)
    assert server.requests == []


# -- proxies from the environment, as the aiohttp adapter reads them -------------------


def test_env_proxies_follow_httpx2s_rules_for_schemes_all_proxy_and_credentials():
    from reverie.providers._aiohttp import EnvProxies

    proxies = EnvProxies({"http": "127.0.0.1:3128", "all": "http://u%3A1:p%40ss@proxy:8080"})
    url, auth = proxies.find("http", "api.example.com", None) or ("none", None)
    assert str(url) == "http://127.0.0.1:3128" and auth is None
    url, auth = proxies.find("https", "api.example.com", 443) or ("none", None)
    assert str(url) == "http://proxy:8080"  # the credentials go in a header, not the URL
    assert auth == "Basic " + base64.b64encode(b"u:1:p@ss").decode()
    assert EnvProxies({}).find("https", "api.example.com", None) is None


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "bypassed"),
    [
        ("example.com", "example.com", None, True),
        ("example.com", "api.example.com", None, True),
        ("example.com", "badexample.com", None, False),
        (".example.com", "api.example.com", None, True),
        ("*.example.com", "example.com", None, False),
        ("*", "anything.test", None, True),
        ("10.0.0.1, localhost", "10.0.0.1", 80, True),
        ("10.0.0.1", "10.0.0.10", 80, False),
        ("example.com:8080", "example.com", 8080, True),
        ("example.com:8080", "example.com", 443, False),
        ("[::1]", "::1", None, True),
        ("EXAMPLE.com", "api.example.COM", None, True),
    ],
)
def test_no_proxy_entries(no_proxy: str, host: str, port: int | None, bypassed: bool):
    from reverie.providers._aiohttp import EnvProxies

    proxies = EnvProxies({"https": "http://proxy:3128", "no": no_proxy})
    assert (proxies.find("https", host, port) is None) is bypassed


def test_a_socks_proxy_in_the_environment_is_a_clear_error_unless_bypassed():
    from reverie.providers._aiohttp import EnvProxies

    proxies = EnvProxies({"all": "socks5://127.0.0.1:1080", "no": "localhost"})
    with pytest.raises(httpx2.ProxyError, match="socks5:// proxy"):
        proxies.find("https", "api.example.com", None)
    assert proxies.find("https", "localhost", None) is None


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux rule: truststore elsewhere")
def test_on_linux_the_tls_context_is_not_truststores(monkeypatch: pytest.MonkeyPatch):
    """truststore re-adds the verify paths on every handshake, which OpenSSL before 3.4
    accumulates on a long-lived context (slower and slower handshakes); httpx2's rule, which
    the adapter uses, loads the system CA files into a plain context instead."""
    import ssl

    import truststore

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = AiohttpTransport(limits=DEFAULT_LIMITS)._ssl_context()  # pyright: ignore[reportPrivateUsage]
    assert type(context) is ssl.SSLContext and not isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # the system's CAs are loaded
