"""No key leaks on any error path of any wire.

A loopback server plants the key in every part of a response — an error status's body and
headers, a redirect's Location, a 200 JSON body (without choices, an array, not JSON, an
``error`` object), stream data that is malformed, not UTF-8 or not an object, an in-band
error event (SSE, and Bedrock's binary exception and error frames), the base URL's userinfo
— on every wire (OpenAI Chat Completions, Responses, Anthropic Messages, Bedrock, Gemini,
OpenRouter, Vercel). The error raised must not show the key, nor a 16-character piece of
it, anywhere: ``str``, ``repr``, ``args``, any attribute (body, headers, line, request id,
message), the formatted traceback, the ``__cause__`` / ``__context__`` chain, a
``RetryError``'s attempts; ``repr(model)`` neither. Models are called directly (no agent
to clean up after them) and through the agent, whose retries keep every attempt.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import orjson
import pytest

from reverie import content
from reverie.errors import (
    APIConnectionError,
    InvalidRequestError,
    ProtocolError,
    ProviderError,
    RetryError,
    ReverieError,
)
from reverie.model import Call

from .conftest import TEST_TIMEOUTS, Harness
from .server import Reply, free_port
from .wires import BEDROCK, EVERY_WIRE, FAKE_KEY, Wire, bedrock_chunk, event_frame, sse

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]

KEY = FAKE_KEY.encode()
# What must never be shown: the key, its percent-encoded form, and a piece long enough to
# be mistaken for it (what a message that cut the key in half would leave).
FORBIDDEN = (FAKE_KEY, quote(FAKE_KEY, safe=""), FAKE_KEY[:16], FAKE_KEY[-16:])


def everything_shown(exc: BaseException) -> str:
    """All an error shows, its chain and attempts included."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        parts += [str(e), repr(e), repr(e.args)]
        parts += [f"{name}={value!r}" for name, value in vars(e).items()]
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
        if isinstance(e, RetryError):
            todo += e.attempts
    return "\n".join(parts)


def assert_clean(shown: str) -> None:
    for piece in FORBIDDEN:
        assert piece not in shown, f"the key leaked ({piece!r}):\n{shown}"


def json_reply(status: int, body: bytes, **headers: str) -> Reply:
    return Reply(status, dict(headers), [body], chunked=False, content_type="application/json")


def stream_reply(wire: Wire, *frames: bytes) -> Reply:
    return Reply(frames=[*wire.text(["a"]), *frames], content_type=wire.stream_type)


def error_json(message: bytes, kind: bytes = b"invalid_request_error") -> bytes:
    return b'{"error": {"message": "%s", "type": "%s"}}' % (message, kind)


# -- what a response can carry the key in ---------------------------------------------------


@dataclass(frozen=True)
class Plant:
    """One way to put the key in a response: the reply, the call mode, the error it gives."""

    name: str
    mode: str  # "generate" or "stream"
    reply: Callable[[Wire], Reply]
    raises: type[ReverieError] = ReverieError


def _malformed(wire: Wire) -> bytes:
    if wire is BEDROCK:
        return event_frame(
            {":event-type": "chunk", ":message-type": "event"}, b'{"bytes": "' + KEY + b'!!"}'
        )
    return b"data: {broken " + KEY + b"\n\n"


def _not_utf8(wire: Wire) -> bytes:
    if wire is BEDROCK:
        return event_frame({":event-type": "chunk", ":message-type": "event"}, b"\xff\xfe" + KEY)
    return b"data: \xff\xfe" + KEY + b"\n\n"


def _not_an_object(wire: Wire) -> bytes:
    if wire is BEDROCK:
        return bedrock_chunk([FAKE_KEY])
    return sse([FAKE_KEY])


def _bedrock_error_frame(wire: Wire) -> bytes:
    if wire is BEDROCK:
        headers = {":message-type": "error", ":error-code": "validationException"}
        return event_frame({**headers, ":error-message": f"bad {FAKE_KEY}"}, b"")
    return wire.error_event("invalid_request_error", f"bad {FAKE_KEY}")


_HTML = b"<html><head><title>Bad gateway for " + KEY + b"</title></head></html>"
_HEADERS = {"x-request-id": FAKE_KEY, "request-id": FAKE_KEY, "retry-after": FAKE_KEY}
_ELSEWHERE = f"https://user:{FAKE_KEY}@elsewhere.example/v1?key={FAKE_KEY}&x=1"

PLANTS: list[Plant] = [
    *(
        p
        for mode in ("generate", "stream")
        for p in (
            Plant(
                "status-body",
                mode,
                lambda w: json_reply(400, error_json(b"your key " + KEY)),
                InvalidRequestError,
            ),
            Plant(
                "status-body-echo",
                mode,
                lambda w: json_reply(401, error_json(b"Incorrect API key provided: {AUTH}")),
                ProviderError,
            ),
            Plant(
                "status-body-not-json",
                mode,
                lambda w: json_reply(400, b"x" * 450 + b" " + KEY),  # the cut falls in the key
                InvalidRequestError,
            ),
            Plant(
                "status-html",
                mode,
                lambda w: Reply(502, {}, [_HTML], chunked=False, content_type="text/html"),
                ProviderError,
            ),
            Plant(
                "status-headers",
                mode,
                lambda w: json_reply(400, error_json(b"bad"), **_HEADERS),
                InvalidRequestError,
            ),
            Plant(
                "redirect",
                mode,
                lambda w: json_reply(307, b"moved " + KEY, location=_ELSEWHERE, **_HEADERS),
                InvalidRequestError,
            ),
            Plant(
                "json-200-error",
                mode,
                lambda w: json_reply(200, error_json(b"key " + KEY)),
                ProviderError,
            ),
        )
    ),
    Plant(
        "json-no-content",
        "generate",
        lambda w: json_reply(200, orjson.dumps({"id": FAKE_KEY, "usage": FAKE_KEY})),
        ProtocolError,
    ),
    Plant(
        "json-array", "generate", lambda w: json_reply(200, orjson.dumps([FAKE_KEY])), ProtocolError
    ),
    Plant("json-not-json", "generate", lambda w: json_reply(200, b"oops " + KEY), ProtocolError),
    Plant(
        "json-cut-in-the-key",
        "generate",
        lambda w: json_reply(200, b"<" + b"x" * 280 + KEY),  # the excerpt ends inside the key
        ProtocolError,
    ),
    Plant("stream-malformed", "stream", lambda w: stream_reply(w, _malformed(w)), ProtocolError),
    Plant("stream-not-utf8", "stream", lambda w: stream_reply(w, _not_utf8(w)), ProtocolError),
    Plant(
        "stream-not-utf8-line-path",
        "stream",
        lambda w: stream_reply(
            w, b"event: x\n" + _not_utf8(w) if w is not BEDROCK else _not_utf8(w)
        ),
        ProtocolError,
    ),
    Plant(
        "stream-not-an-object",
        "stream",
        lambda w: stream_reply(w, _not_an_object(w)),
        ProtocolError,
    ),
    Plant(
        "stream-error-event",
        "stream",
        lambda w: stream_reply(w, w.error_event("invalid_request_error", f"key {FAKE_KEY}")),
        ProviderError,
    ),
    Plant(
        "stream-error-frame",
        "stream",
        lambda w: stream_reply(w, _bedrock_error_frame(w)),
        ProviderError,
    ),
]


async def call_model(model: object, mode: str) -> None:
    call = Call(messages=(content.user("hi"),))
    if mode == "generate":
        await model.generate(call)  # type: ignore[attr-defined]
    else:
        async for _ in model.stream(call):  # type: ignore[attr-defined]
            pass


@pytest.mark.parametrize("plant", PLANTS, ids=lambda p: f"{p.name}-{p.mode}")
@pytest.mark.parametrize("wire", EVERY_WIRE, ids=str)
async def test_a_key_planted_in_a_response_shows_nowhere(fault: Harness, wire: Wire, plant: Plant):
    fault.server.add(plant.reply(wire))
    model = fault.model(wire)
    with pytest.raises(plant.raises) as info:
        await call_model(model, plant.mode)
    assert_clean(everything_shown(info.value))


@pytest.mark.parametrize("wire", EVERY_WIRE, ids=str)
async def test_retried_errors_with_the_key_show_it_in_no_attempt(fault: Harness, wire: Wire):
    """Through the agent: every retried attempt's error (and its Retry event) is clean."""
    fault.server.add(
        json_reply(503, error_json(b"busy " + KEY, b"server_error"), **_HEADERS),
        stream_reply(wire, wire.error_event("server_error", f"oops {FAKE_KEY}")),
        json_reply(429, error_json(b"slow " + KEY, b"rate_limit_error"), **_HEADERS),
    )
    agent = fault.agent(wire)
    seen: list[BaseException] = []

    async def run() -> None:
        async for event in agent.stream("hi"):
            if getattr(event, "type", "") == "retry":
                seen.append(event.error)

    with pytest.raises(RetryError) as info:
        await run()
    assert len(info.value.attempts) == 3
    assert_clean(everything_shown(info.value))
    for error in seen:
        assert_clean(everything_shown(error))


@pytest.mark.parametrize("wire", EVERY_WIRE, ids=str)
async def test_a_password_in_the_base_url_shows_nowhere(fault: Harness, wire: Wire):
    base = fault.server.url.replace("http://", f"http://user:{quote(FAKE_KEY, safe='')}@")
    model = fault.model(wire, url=base)
    assert_clean(repr(model))
    fault.server.add(json_reply(400, error_json(b"auth was {AUTH}")))
    with pytest.raises(InvalidRequestError) as info:
        await call_model(model, "generate")
    assert_clean(everything_shown(info.value))
    refused = f"http://user:{quote(FAKE_KEY, safe='')}@127.0.0.1:{free_port()}/v1"
    with pytest.raises(APIConnectionError) as refused_info:
        await call_model(fault.model(wire, url=refused), "stream")
    assert_clean(everything_shown(refused_info.value))


async def test_a_redirect_names_where_it_points_redacted(fault: Harness):
    wire = EVERY_WIRE[0]
    fault.server.add(json_reply(301, b"", location=_ELSEWHERE))
    with pytest.raises(InvalidRequestError) as info:
        await call_model(fault.model(wire, timeouts=TEST_TIMEOUTS), "generate")
    message = str(info.value)
    assert "redirected to https://user:[REDACTED]@elsewhere.example/v1?key=[REDACTED]&x=1" in (
        message
    )
    assert "base_url" in message
