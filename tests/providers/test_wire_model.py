"""The one model class with a wire and a host written here, as a new provider would be:
a pure toy wire, a host that signs, over a real HTTP server on 127.0.0.1.

What the class owes every provider: the host's URL and headers (replacing the caller's of the
same name, whatever the case), the options of the host's aliases, the wire's error
refinement on whole and streamed answers, warnings first in a stream, ``[DONE]`` passed on
as a marker.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from reverie._accumulate import collect
from reverie.content import TextPart, user
from reverie.errors import AuthenticationError, InvalidRequestError, ProviderError
from reverie.model import (
    Call,
    CallWarning,
    Finish,
    FinishReason,
    Response,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    Usage,
    Warnings,
)
from reverie.providers._host import Host, Request, Target
from reverie.providers._model import WireModel
from reverie.providers._sse import DONE
from reverie.providers._wire import Encoded, Wire
from tests.reliability.server import Reply, ScriptedServer


class EchoStream:
    def __init__(self) -> None:
        self.started = False
        self.done = False

    def feed(self, data: Mapping[str, Any], /) -> list[StreamEvent]:
        if data is DONE:  # the SSE framing passes [DONE] on, as a marker
            self.done = True
            return []
        events: list[StreamEvent] = [] if self.started else [TextStart("t")]
        self.started = True
        return [*events, TextDelta("t", str(data["delta"]))]

    def finish(self) -> list[StreamEvent]:
        reason = FinishReason.STOP if self.done else FinishReason.UNKNOWN
        return [TextEnd("t"), Finish(reason, Usage())]


@dataclass(frozen=True)
class EchoWire(Wire):
    """``{"model", "prompt", "options"}`` out, ``{"text"}`` or ``{"delta"}`` events back."""

    name: str = "toy"

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        options = dict(call.provider_options.get(self.name, {}))
        warnings = (CallWarning("unsupported-setting", "no temperature", "temperature"),)
        body = {"model": model_id, "prompt": call.messages[-1].text, "options": options}
        return Encoded(body, warnings if call.temperature is not None else (), ("beta-x",))

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        return Response((TextPart(str(data["text"])),), FinishReason.STOP, warnings=warnings)

    def stream_decoder(self) -> EchoStream:
        return EchoStream()

    def refine_error(self, error: ProviderError) -> ProviderError:
        if isinstance(error, InvalidRequestError) and "bad key" in error.body:
            return AuthenticationError("toy: the key was refused", provider=error.provider)
        return error


@dataclass
class SigningHost(Host):
    """``{base}/toy/{model}[:stream]``, signed over the body, reading ``"alias"`` options."""

    base: str
    name: str = "toy"
    option_aliases: tuple[str, ...] = ("alias",)
    seen: list[Request] = field(default_factory=list[Request])

    async def target(self, request: Request) -> Target:
        self.seen.append(request)
        suffix = ":stream" if request.stream else ""
        signature = hashlib.sha256(request.body).hexdigest()
        flags = ",".join(request.flags)
        return Target(
            f"{self.base}/toy/{request.model_id}{suffix}",
            {"X-Signature": signature, "X-Flags": flags},
        )


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    running = ScriptedServer()
    await running.start()
    yield running
    await running.stop()


def model(server: ScriptedServer) -> tuple[WireModel, SigningHost]:
    host = SigningHost(server.url)
    return WireModel("m1", wire=EchoWire(), host=host, headers={"x-signature": "mine"}), host


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, frames=[orjson.dumps(data)], content_type="application/json")


@pytest.mark.anyio
async def test_generate_sends_what_the_wire_encodes_where_the_host_says(
    server: ScriptedServer,
) -> None:
    server.add(json_reply({"text": "hello"}))
    toy, host = model(server)
    call = Call(
        [user("hi")],
        temperature=0.5,
        headers={"X-Call": "1"},
        provider_options={"alias": {"a": 1, "b": 1}, "toy": {"b": 2}},
    )
    response = await toy.generate(call)

    assert response.text == "hello"
    assert [w.setting for w in response.warnings] == ["temperature"]
    (request,) = server.requests
    assert request.path == "/v1/toy/m1"
    assert request.json() == {"model": "m1", "prompt": "hi", "options": {"a": 1, "b": 2}}
    # The host's header replaced the caller's of another case; the call's own arrived.
    assert request.headers["x-signature"] == hashlib.sha256(request.body).hexdigest()
    assert request.headers["x-flags"] == "beta-x"
    assert request.headers["x-call"] == "1"
    assert request.headers["accept"] == "application/json"
    assert host.seen[0].headers["x-signature"] == "mine"  # what the host was shown


@pytest.mark.anyio
async def test_stream_yields_warnings_first_and_passes_done_on(server: ScriptedServer) -> None:
    frames = [b'data: {"delta": "he"}\n\n', b'data: {"delta": "llo"}\n\n', b"data: [DONE]\n\n"]
    server.add(Reply(frames=frames))
    toy, _ = model(server)
    events = [e async for e in toy.stream(Call([user("hi")], temperature=0.5))]

    assert isinstance(events[0], Warnings)
    assert server.requests[0].path == "/v1/toy/m1:stream"
    response = await collect(_replay(events[1:]))
    assert response.text == "hello"
    assert response.finish_reason == FinishReason.STOP  # the decoder saw [DONE]


async def _replay(events: list[StreamEvent]) -> AsyncIterator[StreamEvent]:
    for event in events:
        yield event


@pytest.mark.anyio
async def test_the_wire_refines_errors_of_whole_and_streamed_answers(
    server: ScriptedServer,
) -> None:
    bad_key = {"error": {"message": "bad key", "type": "invalid_request_error"}}
    server.add(json_reply(bad_key, status=400), json_reply(bad_key, status=400))
    toy, _ = model(server)

    with pytest.raises(AuthenticationError, match="refused") as whole:
        await toy.generate(Call([user("hi")]))
    assert isinstance(whole.value.__cause__, InvalidRequestError)
    with pytest.raises(AuthenticationError, match="refused"):
        async for _ in toy.stream(Call([user("hi")])):
            pass
