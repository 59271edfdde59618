"""The transport contract, continued: TLS, proxies from the environment and IDNA, over the
default transport (the aiohttp adapter) and httpx2's own alike.

Certificates are made in the test (a CA with ``trustme``, a self-signed leaf with
``cryptography``); the proxy is a real forwarding proxy on 127.0.0.1 that sends every
request to the test's origin whatever host it names, so names that do not resolve (and
international ones) can be tested without DNS.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx2
import pytest

from reverie import errors
from reverie.providers._http import post_json

from .transport_kit import (
    BACKENDS,
    Certificates,
    client,
    keep_serving,
    proxy_to,
    request_headers,
    serve,
)

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("backend", BACKENDS)]

JSON = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
PROXY_VARIABLES = [f"{p}_PROXY" for p in ("HTTP", "HTTPS", "ALL", "NO")]
PROXY_VARIABLES += [v.lower() for v in PROXY_VARIABLES]


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    return Certificates(tmp_path)


# -- TLS -------------------------------------------------------------------------------------


async def test_tls_with_a_trusted_certificate_sends_sni_and_alpn_and_reuses(
    backend: str, certs: Certificates
):
    async with serve(keep_serving(JSON), certs.server("localhost")) as server:
        async with client(backend, verify=certs.trusting()) as http:
            url = f"https://localhost:{server.port}/v1"
            assert (await http.get(url)).json() == {"ok": True}
            assert (await http.get(url)).json() == {"ok": True}
        assert server.sni == ["localhost"]  # one handshake for two requests
        assert server.alpn == ["http/1.1"]


async def test_a_self_signed_certificate_is_refused(backend: str, certs: Certificates):
    async with serve(keep_serving(JSON), certs.self_signed_server("localhost")) as server:
        async with client(backend) as http:  # verify=True: the system's trust store
            url = f"https://localhost:{server.port}/v1"
            with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(url)
            with pytest.raises(errors.APIConnectionError, match=r"cannot connect.*certificate"):
                await post_json(http, url, b"{}", {}, provider="test")
        assert server.requests == []


async def test_a_certificate_for_another_host_is_refused(backend: str, certs: Certificates):
    async with serve(keep_serving(JSON), certs.server("other.example")) as server:
        async with client(backend, verify=certs.trusting()) as http:  # the issuer is trusted
            with pytest.raises(httpx2.ConnectError, match=r"match|mismatch"):
                await http.get(f"https://localhost:{server.port}/v1")
        assert server.requests == []


async def test_ssl_cert_file_is_honoured_with_trust_env(
    backend: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
    async with serve(keep_serving(JSON), certs.server("localhost")) as server:
        async with client(backend) as http:
            assert (await http.get(f"https://localhost:{server.port}/")).json() == {"ok": True}
        async with client(backend, trust_env=False) as http:  # then the variable is ignored
            with pytest.raises(httpx2.ConnectError):
                await http.get(f"https://localhost:{server.port}/")


async def test_verify_false_accepts_any_certificate(backend: str, certs: Certificates):
    context = certs.self_signed_server("localhost")
    async with serve(keep_serving(JSON), context) as server, client(backend, verify=False) as http:
        assert (await http.get(f"https://127.0.0.1:{server.port}/")).json() == {"ok": True}


# -- proxies from the environment ------------------------------------------------------------


async def test_http_proxy_from_the_environment_carries_plain_requests(
    backend: str, monkeypatch: pytest.MonkeyPatch
):
    async with serve(keep_serving(JSON)) as origin, proxy_to(origin.port) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with client(backend) as http:
            url = "http://api.example.invalid/v1/chat?x=1"
            assert await post_json(http, url, b"{}", {}, provider="test") == {"ok": True}
        assert proxy.lines == [b"POST http://api.example.invalid/v1/chat?x=1 HTTP/1.1"]
        assert origin.requests[0].startswith(b"POST http://api.example.invalid/v1/chat?x=1 ")


async def test_https_proxy_tunnels_with_connect_and_sends_its_credentials(
    backend: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch
):
    async with (
        serve(keep_serving(JSON), certs.server("api.example.invalid")) as origin,
        proxy_to(origin.port) as proxy,
    ):
        monkeypatch.setenv("HTTPS_PROXY", f"http://user:p%40ss@127.0.0.1:{proxy.port}")
        async with client(backend, verify=certs.trusting()) as http:
            url = f"https://api.example.invalid:{origin.port}/v1"
            assert (await http.post(url, content=b"{}")).json() == {"ok": True}
            assert (await http.post(url, content=b"{}")).json() == {"ok": True}
        assert proxy.lines == [f"CONNECT api.example.invalid:{origin.port} HTTP/1.1".encode()]
        token = base64.b64encode(b"user:p@ss")
        assert proxy.headers[0][b"proxy-authorization"] == b"Basic " + token
        assert origin.sni == ["api.example.invalid"]
        assert all(b"proxy-authorization" not in r.lower() for r in origin.requests)


async def test_all_proxy_is_the_fallback_and_no_proxy_bypasses(
    backend: str, monkeypatch: pytest.MonkeyPatch
):
    async with serve(keep_serving(JSON)) as origin, proxy_to(origin.port) as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        async with client(backend) as http:
            assert (await http.get(f"http://127.0.0.1:{origin.port}/")).json() == {"ok": True}
            assert proxy.lines == []  # NO_PROXY: straight to the origin
            assert (await http.get("http://api.example.invalid/")).json() == {"ok": True}
            assert proxy.lines == [b"GET http://api.example.invalid/ HTTP/1.1"]
        monkeypatch.delenv("NO_PROXY")
        async with client(backend) as http:
            assert (await http.get(f"http://127.0.0.1:{origin.port}/")).json() == {"ok": True}
            assert len(proxy.lines) == 2
        async with client(backend, trust_env=False) as http:  # the environment is ignored
            assert (await http.get(f"http://127.0.0.1:{origin.port}/")).json() == {"ok": True}
            assert len(proxy.lines) == 2


async def test_an_unreachable_proxy_is_a_retryable_connection_error(
    backend: str, monkeypatch: pytest.MonkeyPatch
):
    async with serve(keep_serving(b"")) as gone:
        port = gone.port
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    async with client(backend) as http:
        with pytest.raises(errors.APIConnectionError) as caught:
            await post_json(http, "http://api.example.invalid/", b"{}", {}, provider="test")
    assert caught.value.retryable


# -- IDNA --------------------------------------------------------------------------------------


async def test_an_international_name_is_one_idna_2008_name_everywhere(
    backend: str, certs: Certificates, monkeypatch: pytest.MonkeyPatch
):
    """faß.example is xn--fa-hia.example in IDNA 2008 (IDNA 2003 maps it to fass.example):
    the proxy's CONNECT, TLS SNI and verification, and the Host header must all agree."""
    name = "xn--fa-hia.example"
    async with (
        serve(keep_serving(JSON), certs.server(name)) as tls_origin,
        proxy_to(tls_origin.port) as tls_proxy,
        serve(keep_serving(JSON)) as origin,
        proxy_to(origin.port) as proxy,
    ):
        monkeypatch.setenv("HTTPS_PROXY", tls_proxy.url)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with client(backend, verify=certs.trusting()) as http:
            port = tls_origin.port
            assert (await http.get(f"https://faß.example:{port}/v1")).json() == {"ok": True}
            assert (await http.get("http://faß.example/v1")).json() == {"ok": True}
        assert tls_proxy.lines == [f"CONNECT {name}:{port} HTTP/1.1".encode()]
        assert tls_origin.sni == [name]
        assert proxy.lines == [f"GET http://{name}/v1 HTTP/1.1".encode()]
        assert request_headers(tls_origin.requests[0])[b"host"] == f"{name}:{port}".encode()
        assert request_headers(origin.requests[0])[b"host"] == name.encode()
