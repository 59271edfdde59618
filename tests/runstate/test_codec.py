"""The JSON codec: every part type round-trips exactly; versions and unknown fields are named."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from reverie._steps import Step, make_step
from reverie.codec import (
    FORMAT_VERSION,
    decode_json,
    decode_message,
    decode_part,
    decode_response,
    decode_step,
    decode_usage,
    dumps_messages,
    encode_json,
    encode_message,
    encode_part,
    encode_response,
    encode_step,
    encode_usage,
    loads_messages,
)
from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    Part,
    ReasoningPart,
    SourcePart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import DataFormatError
from reverie.model import CallWarning, FinishReason, Response, Usage
from reverie.run_state import RunState

OPTIONS = {"anthropic": {"cache_control": {"type": "ephemeral"}}}
PNG = b"\x89PNG\r\n\x1a\n\x00\xff"

EVERY_PART: list[Part] = [
    TextPart("hi"),
    TextPart("", provider_options=OPTIONS, provider_metadata={"openai": {"id": "msg_1"}}),
    ReasoningPart("thinking", provider_metadata={"anthropic": {"signature": "EqQBCk=="}}),
    ReasoningPart("", provider_metadata={"anthropic": {"redacted_data": "opaque"}}),
    ReasoningPart(
        "summary",
        provider_metadata={"openai": {"item_id": "rs_1", "encrypted_content": "gAAAA=="}},
    ),
    ReasoningPart(
        "t",
        provider_metadata={
            "openrouter": {"reasoning_details": [{"type": "reasoning.text", "index": 0}]}
        },
    ),
    TextPart("answer", provider_metadata={"google": {"thought_signature": "CiQB"}}),
    FilePart(PNG, "image/png"),
    FilePart(b"", "application/pdf", "a.pdf", provider_options=OPTIONS),
    ToolCallPart("call_1", "weather", '{"location": "Florence" }'),
    ToolCallPart("srvtoolu_1", "web_search", '{"query":"x"}', provider_executed=True),
    ToolResultPart("call_1", "weather", TextOutput("40 C")),
    ToolResultPart("call_2", "t", ErrorOutput("boom"), stop_turn=True),
    ToolResultPart("call_3", "shot", MediaOutput(PNG, "image/png", "a screenshot")),
    ToolResultPart(
        "srvtoolu_1",
        "web_search",
        JsonOutput([{"url": "https://x", "n": 1.5, "ok": True, "none": None}]),
        provider_executed=True,
        provider_metadata={"anthropic": {"encrypted_index": "Eo8B"}},
    ),
    SourcePart("s1", url="https://x", title="X"),
    SourcePart("s2", media_type="application/pdf", source_type="document"),
]


@pytest.mark.parametrize("part", EVERY_PART, ids=lambda p: f"{p.type}")
def test_every_part_round_trips_through_json_text(part: Part) -> None:
    text = orjson.dumps(encode_part(part))
    back = decode_part(orjson.loads(text))
    assert back == part
    assert type(back) is type(part)


def test_defaults_are_left_out_and_bytes_are_base64() -> None:
    assert encode_part(TextPart("hi")) == {"type": "text", "text": "hi"}
    assert encode_part(FilePart(b"ab", "image/png")) == {
        "type": "file",
        "data": "YWI=",
        "media_type": "image/png",
    }


def test_non_json_provider_data_is_tagged_and_comes_back_as_it_was() -> None:
    data: dict[str, Any] = {
        "raw": b"\x00\x01",
        "pair": (1, "two"),
        "looks_tagged": {"$bytes": "not really"},
        "nested": [{"$tuple": [1]}, (b"x",)],
        "keeps": {"$bytes": "a", "other": 1},
    }
    part = TextPart("x", provider_metadata={"custom": data})
    back = decode_part(orjson.loads(orjson.dumps(encode_part(part))))
    assert back.provider_metadata == {"custom": data}
    assert decode_json(encode_json(data)) == data


def test_values_json_cannot_hold_are_refused_by_name() -> None:
    with pytest.raises(DataFormatError, match="set cannot be written"):
        encode_part(TextPart("x", provider_metadata={"p": {"s": {1}}}))
    with pytest.raises(DataFormatError, match="not a string"):
        encode_json({1: "a"})


def test_messages_documents_round_trip_with_their_options() -> None:
    messages = (
        Message("system", (TextPart("sys"),), OPTIONS),
        Message("user", (TextPart("look"), FilePart(PNG, "image/png"))),
        Message("assistant", tuple(p for p in EVERY_PART if p.type != "source")),
        Message("tool", (ToolResultPart("call_1", "weather", TextOutput("40 C")),)),
    )
    text = dumps_messages(messages)
    assert orjson.loads(text)["version"] == FORMAT_VERSION
    assert loads_messages(text) == messages
    assert decode_message(encode_message(messages[0])) == messages[0]


def test_steps_and_responses_round_trip_with_usage_and_warnings() -> None:
    response = Response(
        (ReasoningPart("r"), TextPart("t"), ToolCallPart("c", "f", "{}"), SourcePart("s")),
        FinishReason.TOOL_CALLS,
        Usage(1, 2, 3, 4, 5, 6),
        (CallWarning("unsupported-setting", "no top_k", "top_k"),),
        {"anthropic": {"stop_sequence": None}},
    )
    step = make_step(3, response, [ToolResultPart("c", "f", TextOutput("ok"))])
    assert decode_response(encode_response(response)) == response
    value = encode_step(step)
    assert "messages" not in value  # they follow from the content
    assert decode_step(orjson.loads(orjson.dumps(value))) == step
    assert decode_usage(encode_usage(Usage(5, 0, 5))) == Usage(5, 0, 5)


def test_a_step_whose_messages_do_not_follow_from_its_content_keeps_them() -> None:
    odd = Step(0, (TextPart("a"),), FinishReason.STOP, Usage(), (Message("assistant", ()),))
    value = encode_step(odd)
    assert "messages" in value and decode_step(value) == odd


# A version-1 document as this format was first written. If a change makes this stop
# loading, bump FORMAT_VERSION and read version 1 as it was.
V1_MESSAGES = (
    '{"format":"reverie.messages","version":1,"messages":[{"role":"user","content":'
    '[{"type":"text","text":"hi"},{"type":"file","data":"YWI=","media_type":"image/png"}]},'
    '{"role":"assistant","content":[{"type":"reasoning","text":"r","provider_metadata":'
    '{"anthropic":{"signature":"sig"}}},{"type":"tool-call","tool_call_id":"c1",'
    '"tool_name":"f","input":"{}"}]},{"role":"tool","content":[{"type":"tool-result",'
    '"tool_call_id":"c1","tool_name":"f","output":{"type":"text","text":"ok"}}]}]}'
)


def test_a_version_1_document_loads() -> None:
    messages = loads_messages(V1_MESSAGES)
    assert messages[0].content[1] == FilePart(b"ab", "image/png")
    reasoning = messages[1].content[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.provider_metadata == {"anthropic": {"signature": "sig"}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=FORMAT_VERSION + 1), "newer reverie"),
        (lambda d: d.update(version="1"), "not a positive integer"),
        (lambda d: d.update(format="something-else"), "expected a reverie.messages"),
        (lambda d: d.update(sessions=[]), "unknown field"),
        (lambda d: d["messages"][0].update(mood="happy"), "unknown field"),
        (lambda d: d["messages"][0]["content"][0].update(lang="en"), "unknown field"),
        (lambda d: d["messages"][0]["content"][0].update(type="hologram"), "unknown part type"),
        (lambda d: d["messages"][0]["content"][1].update(data="@@@"), "base64"),
        (lambda d: d["messages"][0]["content"][0].update(text=3), "expected a string"),
        (lambda d: d["messages"][0].update(role="narrator"), "role"),
        (lambda d: d["messages"][0]["content"][0].pop("text"), "missing field"),
        (lambda d: d["messages"][2]["content"][0]["output"].update(type="x"), "tool output"),
    ],
)
def test_unreadable_documents_are_refused_with_what_is_wrong(change: Any, message: str) -> None:
    doc = orjson.loads(V1_MESSAGES)
    change(doc)
    with pytest.raises(DataFormatError, match=message):
        loads_messages(orjson.dumps(doc))


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(DataFormatError, match="not JSON"):
        loads_messages("{nope")


V1_STATE = (
    '{"format":"reverie.run-state","version":1,"run_id":"run_1","input":[{"role":"user",'
    '"content":[{"type":"text","text":"pay 7"}]}],"steps":[],"open_step":{"number":0,'
    '"response":{"content":[{"type":"tool-call","tool_call_id":"call_1","tool_name":"pay",'
    '"input":"{\\"invoice\\": 7}"}],"finish_reason":"tool-calls","usage":{"input_tokens":5}},'
    '"calls":[{"id":"call_1","status":"approval","fingerprint":"'
    + "0" * 64
    + '"}]},"finished":false,"model":"fake:scripted","tools":["pay"],"metadata":{"who":"me"}}'
)


def test_a_version_1_run_state_loads_and_round_trips() -> None:
    state = RunState.from_json(V1_STATE)
    assert [(p.id, p.tool_name, dict(p.arguments)) for p in state.pending] == [
        ("call_1", "pay", {"invoice": 7})
    ]
    assert state.metadata == {"who": "me"} and state.usage == Usage(input_tokens=5)
    assert RunState.from_json(state.to_json()) == state
    assert orjson.loads(state.to_json()) == orjson.loads(V1_STATE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=2), "version 2 was written by a newer reverie"),
        (lambda d: d.update(checkpoints=[]), "unknown field"),
        (lambda d: d["open_step"]["calls"][0].update(id="call_9"), "no client tool call"),
        (lambda d: d["open_step"]["calls"][0].update(status="maybe"), "unknown status"),
        (lambda d: d["open_step"]["calls"][0].update(status="done"), "needs a result"),
        (lambda d: d["open_step"].update(deadline=1), "unknown field"),
        (lambda d: d.update(run_id=""), "run_id"),
        (lambda d: d.update(finished="no"), "finished"),
        (lambda d: d["open_step"]["response"].update(finish_reason="bored"), "finish reason"),
        (lambda d: d["open_step"]["response"]["usage"].update(input_tokens="5"), "integer"),
    ],
)
def test_unreadable_run_states_are_refused_with_what_is_wrong(change: Any, message: str) -> None:
    doc = orjson.loads(V1_STATE)
    change(doc)
    with pytest.raises(DataFormatError, match=message):
        RunState.from_json(orjson.dumps(doc))
