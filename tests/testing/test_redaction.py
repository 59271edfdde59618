"""A planted API key never reaches a cassette file: not from a header, the URL or a body, and
not when a cassette is rewritten after a partial replay.

The traffic is real (a server on 127.0.0.1); the key is sent in an ``Authorization``
header, an ``X-Api-Key`` header, the ``?key=`` query parameter and a JSON body field, and
the server echoes it back in its response body.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx2
import pytest

from reverie.testing._cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
    load_cassette,
    save_cassette,
)
from reverie.testing._redact import Redactor
from reverie.testing._transport import CassetteTransport
from tests.testing.fake_openai import FakeOpenAI

KEY = "sk-planted-4f9a8b7c6d5e3f2a1b0c"


def assert_no_key(path: Path) -> None:
    data = path.read_bytes()
    assert KEY.encode() not in data
    assert base64.b64encode(KEY.encode())[:16] not in data
    assert b"4f9a8b7c6d5e" not in data
    assert b"REDACTED" in data


async def _send(transport: CassetteTransport, base_url: str, turn: int) -> httpx2.Response:
    async with transport.client() as http:
        return await http.post(
            f"{base_url}/echo?alt=sse&key={KEY}&turn={turn}",
            json={"api_key": KEY, "prompt": f"turn {turn}, my key is {KEY}"},
            headers={"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY},
        )


@pytest.mark.anyio
async def test_a_planted_key_appears_nowhere_in_a_recorded_cassette(tmp_path: Path) -> None:
    path = tmp_path / "planted.yaml"
    with FakeOpenAI() as server:
        response = await _send(CassetteTransport.open(path, mode="once"), server.base_url, 1)
        assert KEY in response.text  # the server really saw (and echoed) the key
        sent = server.requests[0]
        assert KEY in sent["path"]
        assert KEY in sent["headers"]["Authorization"]
    assert_no_key(path)
    recorded = load_cassette(path).interactions[0]
    assert recorded.request.url.endswith("/echo?alt=sse&key=REDACTED&turn=1")
    assert recorded.request.form == {"alt": ["sse"], "key": ["REDACTED"], "turn": ["1"]}
    assert str(recorded.request.body).startswith('{"api_key":"REDACTED",')
    assert set(recorded.request.headers) == {"Accept", "Content-Type", "User-Agent"}
    assert set(recorded.response.headers) == {"Content-Type"}  # X-Request-Id dropped


@pytest.mark.anyio
async def test_a_cassette_rewritten_after_a_partial_replay_stays_free_of_the_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "planted.yaml"
    with FakeOpenAI() as server:
        await _send(CassetteTransport.open(path, mode="once"), server.base_url, 1)
        assert len(server.requests) == 1
        # Second session: turn 1 must replay (its live request still carries the key),
        # turn 2 is new and is recorded; then the whole file is rewritten.
        transport = CassetteTransport.open(path, mode="new_episodes")
        async with transport.client() as http:
            for turn in (1, 2):
                await http.post(
                    f"{server.base_url}/echo?alt=sse&key={KEY}&turn={turn}",
                    json={"api_key": KEY, "prompt": f"turn {turn}, my key is {KEY}"},
                    headers={"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY},
                )
        assert len(server.requests) == 2  # only turn 2 reached the server
    assert_no_key(path)
    urls = [i.request.url for i in load_cassette(path).interactions]
    assert [u.rsplit("turn=", 1)[1] for u in urls] == ["1", "2"]


def test_a_key_already_in_a_cassette_is_scrubbed_when_it_is_rewritten(tmp_path: Path) -> None:
    # A cassette written by something that did not redact (or edited by hand).
    leaky = Cassette(
        [
            Interaction(
                RecordedRequest(
                    "POST",
                    f"https://example.test/v1/x?key={KEY}",
                    body=f'{{"token_hint": "{KEY}"}}',
                    headers={"Authorization": [f"Bearer {KEY}"], "Accept": ["*/*"]},
                ),
                RecordedResponse(200, body=f"data: {KEY}\n\n", headers={"Set-Cookie": ["s=1"]}),
            )
        ]
    )
    path = save_cassette(leaky, tmp_path / "leaky.yaml")
    assert_no_key(path)
    text = path.read_text()
    assert "Set-Cookie" not in text
    assert "Authorization" not in text
    assert "Accept:\n      - '*/*'" in text


def test_configured_secrets_are_scrubbed_from_any_text() -> None:
    secret = "hunter2-hunter2-hunter2"
    cassette = Cassette(
        [
            Interaction(
                RecordedRequest("POST", "https://example.test/v1", body=f"pw={secret}"),
                RecordedResponse(200, body=f"you said {secret}".encode()),
            )
        ]
    )
    text = dump_cassette(cassette, Redactor(secrets=(secret,)))
    assert secret not in text
    assert text.count("REDACTED") == 2


def test_secrets_from_the_environment_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "acme-0123456789abcdef")
    cassette = Cassette(
        [
            Interaction(
                RecordedRequest("GET", "https://x.test/?q=acme-0123456789abcdef"),
                RecordedResponse(200),
            )
        ]
    )
    assert "acme-0123456789abcdef" not in dump_cassette(cassette)
    off = Redactor(secrets_from_env=False)
    assert "acme-0123456789abcdef" in dump_cassette(cassette, off)


def test_the_header_allow_list_is_extensible() -> None:
    cassette = Cassette(
        [
            Interaction(
                RecordedRequest("GET", "https://x.test/", headers={"X-Trace": ["t1"]}),
                RecordedResponse(200, headers={"X-Request-Id": ["r1"], "Content-Type": ["a/b"]}),
            )
        ]
    )
    default = dump_cassette(cassette)
    assert "X-Trace" not in default
    assert "X-Request-Id" not in default
    extended = Redactor(keep_headers=(*Redactor().keep_headers, "X-Request-Id", "x-trace"))
    text = dump_cassette(cassette, extended)
    assert "X-Trace:\n      - t1" in text
    assert "X-Request-Id:\n      - r1" in text


def test_json_fields_and_query_parameters_are_redacted_without_any_known_secret() -> None:
    r = Redactor(secrets_from_env=False)
    assert r.redact_text('{"a": 1, "apiKey" : "k\\"1", "b": "api_key"}') == (
        '{"a": 1, "apiKey" : "REDACTED", "b": "api_key"}'
    )
    assert r.redact_url("https://x.test/v1?alt=sse&key=abc&monkey=1#f") == (
        "https://x.test/v1?alt=sse&key=REDACTED&monkey=1#f"
    )
    assert r.redact_url("https://x.test/v1?API_KEY=abc") == "https://x.test/v1?API_KEY=REDACTED"
