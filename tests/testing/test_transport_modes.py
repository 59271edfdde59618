"""Record modes, matching, misses, unplayed interactions and paced replay on the transport."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
import pytest

from reverie.errors import CassetteError, CassetteMissError, ConfigurationError
from reverie.testing._cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
    save_cassette,
)
from reverie.testing._transport import CassetteTransport, resolve_record_mode
from tests.testing.fake_openai import FakeOpenAI

SSE = "".join(f'data: {{"n": {n}}}\n\n' for n in range(5))


def _cassette(*bodies: str, duration: str = "200ms") -> Cassette:
    return Cassette(
        [
            Interaction(
                RecordedRequest("POST", "https://api.test/v1/chat", body=body),
                RecordedResponse(
                    200,
                    body=SSE,
                    headers={"Content-Type": ["text/event-stream"]},
                    duration=duration,
                ),
            )
            for body in bodies
        ]
    )


def test_the_mode_comes_from_code_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVERIE_RECORD_MODE", raising=False)
    assert resolve_record_mode(None) == "replay"
    monkeypatch.setenv("REVERIE_RECORD_MODE", "new_episodes")
    assert resolve_record_mode(None) == "new_episodes"
    assert resolve_record_mode("once") == "once"
    assert resolve_record_mode("none") == "replay"
    monkeypatch.setenv("REVERIE_RECORD_MODE", "sometimes")
    with pytest.raises(ConfigurationError, match="REVERIE_RECORD_MODE='sometimes'"):
        resolve_record_mode(None)


def test_replay_mode_without_a_file_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="REVERIE_RECORD_MODE=once"):
        CassetteTransport.open(tmp_path / "missing.yaml", mode="replay")


@pytest.mark.anyio
async def test_a_miss_shows_the_json_difference_and_how_to_re_record(tmp_path: Path) -> None:
    path = save_cassette(
        _cassette('{"model": "m", "messages": [{"content": "hi"}]}'), tmp_path / "c.yaml"
    )
    transport = CassetteTransport.open(path, mode="replay")
    async with transport.client() as http:
        with pytest.raises(CassetteMissError) as info:
            await http.post(
                "https://api.test/v1/chat",
                json={"model": "m", "messages": [{"content": "bye"}], "n": 2},
            )
    message = str(info.value)
    assert "closest unused recording: POST https://api.test/v1/chat" in message
    assert '$.messages[0].content: "hi" -> "bye"' in message
    assert "$.n: unexpected (sent 2)" in message
    assert "--record-mode" in message
    assert "REVERIE_RECORD_MODE=new_episodes" in message


@pytest.mark.anyio
async def test_an_extra_call_is_compared_with_the_closest_played_one() -> None:
    transport = CassetteTransport(_cassette('{"a": 1}'))
    async with transport.client() as http:
        await http.post("https://api.test/v1/chat", json={"a": 1})
        with pytest.raises(CassetteMissError, match="already played") as info:
            await http.post("https://api.test/v1/chat", json={"a": 2})
    assert "$.a: 1 -> 2" in str(info.value)


@pytest.mark.anyio
async def test_matching_can_be_by_method_and_url_in_order_or_a_function() -> None:
    lenient = CassetteTransport(_cassette('{"a": 1}', '{"a": 2}'), match="lenient")
    async with lenient.client() as http:
        await http.post("https://api.test/v1/chat", json={"anything": True})
    assert [i.request.body for i in lenient.unplayed] == ['{"a": 2}']

    def second_only(method: str, url: str, body: bytes, recorded: RecordedRequest) -> bool:
        return recorded.body == '{"a": 2}'

    custom = CassetteTransport(_cassette('{"a": 1}', '{"a": 2}'), match=second_only)
    async with custom.client() as http:
        await http.post("https://api.test/v1/chat", json={})
    assert [i.request.body for i in custom.unplayed] == ['{"a": 1}']


@pytest.mark.anyio
async def test_strict_replay_fails_when_an_interaction_was_never_played() -> None:
    transport = CassetteTransport(_cassette('{"a": 1}', '{"a": 2}'), require_all_played=True)
    with pytest.raises(CassetteError, match=r"1 recorded interaction\(s\) were never requested"):
        async with transport.client() as http:
            await http.post("https://api.test/v1/chat", json={"a": 1})


@pytest.mark.anyio
async def test_a_stream_is_replayed_event_by_event_and_can_be_cancelled() -> None:
    transport = CassetteTransport(_cassette("{}"))
    async with (
        transport.client() as http,
        http.stream("POST", "https://api.test/v1/chat", content=b"{}") as response,
    ):
        chunks = []
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
            if len(chunks) == 2:
                break
    assert chunks == [b'data: {"n": 0}\n\n', b'data: {"n": 1}\n\n']


@pytest.mark.anyio
async def test_timing_spreads_the_recorded_duration_over_the_events() -> None:
    async def elapsed(timing: float | None) -> tuple[float, list[float]]:
        transport = CassetteTransport(_cassette("{}", duration="1s"), timing=timing)
        start = time.perf_counter()
        arrivals: list[float] = []
        async with (
            transport.client() as http,
            http.stream("POST", "https://api.test/v1/chat", content=b"{}") as response,
        ):
            async for _ in response.aiter_raw():
                arrivals.append(time.perf_counter() - start)
        return time.perf_counter() - start, arrivals

    fast, _ = await elapsed(None)
    paced, arrivals = await elapsed(0.5)  # half of the recorded 1s, spread over 5 events
    assert fast < 0.3
    assert 0.48 <= paced < 3.0
    assert arrivals[0] < arrivals[-1] - 0.3  # the events arrive spread out, not at once


@pytest.mark.anyio
async def test_passthrough_calls_the_server_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    with FakeOpenAI() as server:
        transport = CassetteTransport.open(path, mode="passthrough")
        async with transport.client() as http:
            response = await http.post(f"{server.base_url}/echo", json={"a": 1})
        assert response.json()["path"] == "/v1/echo"
        assert len(server.requests) == 1
    assert not path.exists()


@pytest.mark.anyio
async def test_all_mode_records_afresh_and_overwrites(tmp_path: Path) -> None:
    path = save_cassette(_cassette('{"old": 1}'), tmp_path / "a.yaml")
    with FakeOpenAI() as server:
        transport = CassetteTransport.open(path, mode="all")
        async with transport.client() as http:
            await http.post(f"{server.base_url}/echo", json={"new": 1})
        assert len(server.requests) == 1
    bodies = [i.request.body for i in load_cassette(path).interactions]
    assert bodies == ['{"new":1}']


@pytest.mark.anyio
async def test_once_mode_with_an_existing_file_does_not_record_misses(tmp_path: Path) -> None:
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "o.yaml")
    transport = CassetteTransport.open(path, mode="once")
    assert not transport.recording
    async with transport.client() as http:
        with pytest.raises(CassetteMissError):
            await http.post("https://api.test/v1/chat", json={"a": 2})


@pytest.mark.anyio
async def test_an_abandoned_recorded_stream_keeps_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    with FakeOpenAI() as server:
        transport = CassetteTransport.open(path, mode="once")
        async with (
            transport.client() as http,
            http.stream(
                "POST",
                f"{server.base_url}/chat/completions",
                json={"model": "m", "messages": [], "stream": True},
            ) as response,
        ):
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    break
    body = load_cassette(path).interactions[0].response.body
    assert isinstance(body, str)
    assert body.startswith("data: {")
    assert "[DONE]" not in body


def test_the_transport_is_an_httpx2_transport() -> None:
    assert isinstance(CassetteTransport(Cassette()), httpx2.AsyncBaseTransport)


def _frame(payload: bytes) -> bytes:
    # An AWS event-stream message: total length, headers length, prelude CRC, payload, CRC.
    total = 16 + len(payload)
    return total.to_bytes(4, "big") + b"\0\0\0\0" + b"crc1" + payload + b"crc2"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("content_type", "pieces"),
    [
        ("text/event-stream;charset=UTF-8", [b"data: 1\r\n\r\n", b"data: 2\r\n\r\n"]),
        ("application/vnd.amazon.eventstream", [_frame(b'{"a":1}'), _frame(b'{"b":22}')]),
        ("application/x-ndjson", [b'{"a":1}\n', b'{"b":2}\n']),
    ],
)
async def test_streams_are_replayed_in_the_pieces_the_provider_sent(
    content_type: str, pieces: list[bytes]
) -> None:
    body = b"".join(pieces)
    cassette = Cassette(
        [
            Interaction(
                RecordedRequest("POST", "https://api.test/s"),
                RecordedResponse(200, body=body, headers={"Content-Type": [content_type]}),
            )
        ]
    )
    async with (
        CassetteTransport(cassette).client() as http,
        http.stream("POST", "https://api.test/s") as response,
    ):
        received = [chunk async for chunk in response.aiter_raw()]
    assert received == pieces
