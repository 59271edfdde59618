"""The Bedrock Converse wire from JSON alone: request bodies as the Bedrock Runtime API
reference defines ``Converse`` / ``ConverseStream``, whole responses and event streams
decoded (frames built byte by byte, CRCs and all), and how ``bedrock:`` picks its wire."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import orjson
import pytest

from reverie._accumulate import ResponseAccumulator
from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    ReasoningPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import (
    ConfigurationError,
    IncompleteStreamError,
    ProtocolError,
    RateLimitError,
    ServerError,
)
from reverie.events import (
    Finish,
    ReasoningEnd,
    StreamEvent,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
)
from reverie.model import Call, FinishReason, ProviderTool, Response, SpecificTool, ToolSpec
from reverie.providers import get_model
from reverie.providers._anthropic.wire import MessagesWire
from reverie.providers._bedrock.converse import document_name, encode_request, is_claude
from reverie.providers._bedrock.converse_decode import decode_response
from reverie.providers._bedrock.host import ConverseHost
from reverie.providers._bedrock.wire import ConverseWire
from reverie.providers._eventstream import ConverseFraming
from reverie.providers._host import COUNT_TOKENS, Request
from reverie.providers._model import WireModel

from .test_anthropic_eventstream import exception_frame, frame, string_header

NOVA = "us.amazon.nova-pro-v1:0"
WEATHER = ToolSpec(
    "weather",
    "The weather in a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
PNG = b"\x89PNG\r\n\x1a\n fake image"


def body_of(call: Call, *, model: str = NOVA, stream: bool = False, provider: str = "bedrock"):
    return encode_request(call, model, provider, stream=stream)


def user(text: str, *files: FilePart) -> Message:
    return Message("user", (TextPart(text), *files))


# ---------------------------------------------------------------------------------------
# Requests


def test_minimal_request_has_messages_and_nothing_the_caller_did_not_set() -> None:
    body, warnings = body_of(Call([user("Hi")]))
    assert body == {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}
    assert warnings == []


def test_system_inference_config_and_stop_sequences() -> None:
    call = Call(
        [Message("system", (TextPart("Be brief."),)), user("Hi")],
        max_output_tokens=300,
        temperature=0.2,
        top_p=0.9,
        provider_options={"bedrock": {"stop_sequences": ["END"]}},
    )
    body, _ = body_of(call)
    assert body["system"] == [{"text": "Be brief."}]
    assert body["inferenceConfig"] == {
        "maxTokens": 300,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["END"],
    }
    assert "system" not in [m["role"] for m in body["messages"]]


def test_top_k_is_a_claude_model_field_and_unsupported_elsewhere() -> None:
    call = Call([user("Hi")], top_k=40, presence_penalty=0.5)
    body, warnings = body_of(call, model="anthropic.claude-3-5-haiku-20241022-v1:0")
    assert body["additionalModelRequestFields"] == {"top_k": 40}
    assert [w.setting for w in warnings] == ["presence_penalty"]
    body, warnings = body_of(call)
    assert "additionalModelRequestFields" not in body
    assert [w.setting for w in warnings] == ["top_k", "presence_penalty"]


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (None, {"auto": {}}),
        ("auto", {"auto": {}}),
        ("required", {"any": {}}),
        (SpecificTool("weather"), {"tool": {"name": "weather"}}),
    ],
)
def test_tools_and_tool_choice(choice: Any, wire: dict[str, Any]) -> None:
    body, _ = body_of(Call([user("Weather?")], tools=[WEATHER], tool_choice=choice))
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "weather",
                    "description": "The weather in a city",
                    "inputSchema": {"json": WEATHER.input_schema},
                }
            }
        ],
        "toolChoice": wire,
    }


def test_provider_tools_are_unsupported_and_a_lone_one_sends_no_tool_config() -> None:
    hosted = ProviderTool("anthropic.web_search_20250305", "web_search")
    body, warnings = body_of(Call([user("x")], tools=[hosted]))
    assert "toolConfig" not in body
    assert warnings[0].kind == "unsupported-tool"


HISTORY = [
    user("Weather in Rome?"),
    Message(
        "assistant",
        (
            ReasoningPart("Need the tool.", provider_metadata={"bedrock": {"signature": "sig=="}}),
            TextPart("Checking."),
            ToolCallPart("tooluse_1", "weather", '{"city": "Rome"}'),
        ),
    ),
    Message("tool", (ToolResultPart("tooluse_1", "weather", TextOutput("sunny")),)),
]


def test_tool_calls_results_and_signed_reasoning_go_back_in_converse_blocks() -> None:
    body, warnings = body_of(Call(HISTORY, tools=[WEATHER]))
    assert warnings == []
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "reasoningContent": {
                        "reasoningText": {"text": "Need the tool.", "signature": "sig=="}
                    }
                },
                {"text": "Checking."},
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "weather",
                        "input": {"city": "Rome"},
                    }
                },
            ],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "sunny"}]}}],
        },
    ]


def test_tool_choice_none_sends_no_tools_and_the_history_as_text() -> None:
    body, warnings = body_of(Call(HISTORY, tools=[WEATHER], tool_choice="none"))
    assert "toolConfig" not in body
    assert body["messages"][1]["content"][-1] == {
        "text": '[called tool weather with {"city": "Rome"}]'
    }
    assert body["messages"][2]["content"] == [{"text": "[tool weather returned: sunny]"}]
    assert any("sent as text" in w.message for w in warnings)


def test_tool_results_of_every_kind() -> None:
    results = (
        ToolResultPart("t1", "a", ErrorOutput("boom")),
        ToolResultPart("t2", "a", JsonOutput({"temp": 21})),
        ToolResultPart("t3", "a", JsonOutput([1, 2])),
        ToolResultPart("t4", "a", MediaOutput(PNG, "image/png", "a chart")),
    )
    calls = tuple(ToolCallPart(r.tool_call_id, "a", "{}") for r in results)
    call = Call(
        [user("go"), Message("assistant", calls), Message("tool", results)], tools=[WEATHER]
    )
    body, _ = body_of(call)
    blocks = [b["toolResult"] for b in body["messages"][2]["content"]]
    assert blocks[0] == {"toolUseId": "t1", "content": [{"text": "boom"}], "status": "error"}
    assert blocks[1]["content"] == [{"json": {"temp": 21}}]
    assert blocks[2]["content"] == [{"text": "[1,2]"}]
    assert blocks[3]["content"] == [
        {"text": "a chart"},
        {"image": {"format": "png", "source": {"bytes": base64.b64encode(PNG).decode()}}},
    ]


def test_a_user_turn_after_tool_results_is_merged_into_one_user_message() -> None:
    call = Call([*HISTORY, user("And Paris?")], tools=[WEATHER])
    body, _ = body_of(call)
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert body["messages"][2]["content"][-1] == {"text": "And Paris?"}


def test_images_and_documents() -> None:
    pdf = FilePart(b"%PDF-1.4 fake", "application/pdf", filename="Q3 report (final).v2.pdf")
    md = FilePart(b"# notes", "text/markdown")
    body, warnings = body_of(
        Call(
            [user("Read these", FilePart(PNG, "image/jpeg"), pdf, md, FilePart(b"x", "audio/wav"))]
        )
    )
    content = body["messages"][0]["content"]
    assert content[1] == {
        "image": {"format": "jpeg", "source": {"bytes": base64.b64encode(PNG).decode()}}
    }
    assert content[2] == {
        "document": {
            "format": "pdf",
            "name": "Q3 report (final) v2",
            "source": {"bytes": base64.b64encode(b"%PDF-1.4 fake").decode()},
        }
    }
    assert content[3]["document"]["name"] == "document-4"  # the part's position
    assert len(content) == 4
    assert "audio/wav" in warnings[0].message


def test_document_names_keep_only_what_bedrock_allows() -> None:
    assert document_name("a_b!!c  d.txt", 0) == "a b c d"
    assert document_name("", 4) == "document-5"
    assert document_name("[draft] - x.md", 0) == "[draft] - x"


def test_reasoning_from_elsewhere_is_dropped_and_redacted_reasoning_kept() -> None:
    assistant = Message(
        "assistant",
        (
            ReasoningPart("plain", provider_metadata={"openai": {"item_id": "rs"}}),
            ReasoningPart("", provider_metadata={"bedrock": {"redacted_content": "AAAA"}}),
            TextPart("ok"),
        ),
    )
    body, warnings = body_of(Call([user("q"), assistant, user("more")]))
    assert body["messages"][1]["content"] == [
        {"reasoningContent": {"redactedContent": "AAAA"}},
        {"text": "ok"},
    ]
    assert "signature" in warnings[0].message


def test_cache_points_after_system_parts_messages_and_tools() -> None:
    cache = {"bedrock": {"cache_point": True}}
    system = Message("system", (TextPart("Long rules", provider_options=cache),))
    tool = ToolSpec("weather", "w", {"type": "object"}, provider_options=cache)
    message = Message("user", (TextPart("Hi"),), provider_options=cache)
    body, _ = body_of(Call([system, message], tools=[tool]))
    point = {"cachePoint": {"type": "default"}}
    assert body["system"] == [{"text": "Long rules"}, point]
    assert body["messages"][0]["content"] == [{"text": "Hi"}, point]
    assert body["toolConfig"]["tools"][1] == point


def test_options_thinking_guardrails_and_passthrough() -> None:
    options = {
        "bedrock": {
            "thinking": {"budget_tokens": 2048},
            "guardrail_config": {
                "guardrailIdentifier": "gr-1",
                "guardrailVersion": "1",
                "trace": "enabled",
                "streamProcessingMode": "async",
            },
            "performance_config": {"latency": "optimized"},
            "request_metadata": {"team": "a"},
            "additional_model_request_fields": {"reasoning_config": "x"},
        },
        "bedrock-converse": {
            "service_tier": {"type": "flex"},
            "output_config": {"textFormat": {"type": "json_schema"}},
        },
    }
    call = Call([user("Hi")], provider_options=options)
    body, _ = body_of(call, provider="bedrock-converse", stream=True)
    assert body["additionalModelRequestFields"] == {
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "reasoning_config": "x",
    }
    assert body["guardrailConfig"]["streamProcessingMode"] == "async"
    assert body["performanceConfig"] == {"latency": "optimized"}
    assert body["requestMetadata"] == {"team": "a"}
    assert body["serviceTier"] == {"type": "flex"}
    assert body["outputConfig"] == {"textFormat": {"type": "json_schema"}}
    whole, _ = body_of(call, provider="bedrock-converse", stream=False)
    assert "streamProcessingMode" not in whole["guardrailConfig"]


def test_malformed_call_arguments_become_an_empty_object_with_a_warning() -> None:
    history = [user("q"), Message("assistant", (ToolCallPart("t", "weather", '{"city": '),))]
    body, warnings = body_of(Call(history, tools=[WEATHER]))
    assert body["messages"][1]["content"][0]["toolUse"]["input"] == {}
    assert "malformed" in warnings[0].message


# ---------------------------------------------------------------------------------------
# Whole responses

USAGE = {
    "inputTokens": 30,
    "outputTokens": 12,
    "totalTokens": 1042,
    "cacheReadInputTokens": 800,
    "cacheWriteInputTokens": 200,
}


def converse_response(content: list[dict[str, Any]], stop: str = "end_turn", **extra: Any):
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": USAGE,
        "metrics": {"latencyMs": 412},
        **extra,
    }


def test_whole_response_text_reasoning_tool_use_and_usage() -> None:
    data = converse_response(
        [
            {"reasoningContent": {"reasoningText": {"text": "Use the tool.", "signature": "sig"}}},
            {"text": "Let me check."},
            {"toolUse": {"toolUseId": "tooluse_9", "name": "weather", "input": {"city": "Rome"}}},
        ],
        stop="tool_use",
    )
    response = decode_response(data, "bedrock", [])
    assert response.content == (
        ReasoningPart("Use the tool.", provider_metadata={"bedrock": {"signature": "sig"}}),
        TextPart("Let me check."),
        ToolCallPart("tooluse_9", "weather", '{"city":"Rome"}'),
    )
    assert response.finish_reason == FinishReason.TOOL_CALLS
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (30, 12, 1042)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (800, 200)
    assert response.provider_metadata == {"bedrock": {"stop_reason": "tool_use", "latency_ms": 412}}


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        ("end_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.LENGTH),
        ("guardrail_intervened", FinishReason.CONTENT_FILTER),
        ("content_filtered", FinishReason.CONTENT_FILTER),
        ("malformed_model_output", FinishReason.ERROR),
        ("malformed_tool_use", FinishReason.ERROR),
        ("something_new", FinishReason.UNKNOWN),
    ],
)
def test_stop_reasons(stop: str, reason: FinishReason) -> None:
    data = converse_response([{"text": "x"}], stop=stop)
    assert decode_response(data, "bedrock", []).finish_reason == reason


def test_guardrail_intervention_keeps_the_trace() -> None:
    trace = {"guardrail": {"inputAssessment": {"gr-1": {"topicPolicy": {"topics": []}}}}}
    data = converse_response(
        [{"text": "Sorry, the model cannot answer this question."}],
        stop="guardrail_intervened",
        trace=trace,
    )
    response = decode_response(data, "bedrock", [])
    assert response.finish_reason == FinishReason.CONTENT_FILTER
    assert response.provider_metadata["bedrock"]["trace"] == trace


def test_redacted_reasoning_and_citations() -> None:
    data = converse_response(
        [
            {"reasoningContent": {"redactedContent": "ZW5j"}},
            {
                "citationsContent": {
                    "content": [{"text": "Revenue grew."}],
                    "citations": [{"title": "Q3 report", "source": "doc-0"}],
                }
            },
        ]
    )
    response = decode_response(data, "bedrock", [])
    assert response.content[0] == ReasoningPart(
        "", provider_metadata={"bedrock": {"redacted_content": "ZW5j"}}
    )
    assert response.text == "Revenue grew."
    assert response.content[2].title == "Q3 report"  # type: ignore[union-attr]


def test_a_body_that_is_not_a_converse_response_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not a Converse response"):
        decode_response({"message": "hello"}, "bedrock", [])


# ---------------------------------------------------------------------------------------
# Streams: AWS event-stream frames, one Converse event each


def event_frame(name: str, payload: dict[str, Any]) -> bytes:
    headers = (
        string_header(":event-type", name)
        + string_header(":content-type", "application/json")
        + string_header(":message-type", "event")
    )
    # Bedrock pads stream events with a random "p" field; decoders must ignore it.
    return frame(headers, orjson.dumps({**payload, "p": "abcdefghij"}))


def stream_bytes(*events: tuple[str, dict[str, Any]]) -> bytes:
    return b"".join(event_frame(name, payload) for name, payload in events)


def decode_stream(raw: bytes, *, split: int = 7) -> list[StreamEvent]:
    """``raw`` read as the Converse host reads a stream: its framing, then the wire's decoder."""
    framing = ConverseFraming("bedrock")
    decoder = ConverseWire("bedrock").stream_decoder()
    out: list[StreamEvent] = []
    for i in range(0, len(raw), split):  # frames cut at arbitrary byte boundaries
        for event in framing.feed(raw[i : i + split]):
            out += decoder.feed(event)
    for event in framing.close():
        out += decoder.feed(event)
    return out + decoder.finish()


def folded(events: list[StreamEvent]) -> Response:
    acc = ResponseAccumulator()
    for e in events:
        acc.add(e)
    return acc.response()


TOOL_STREAM = [
    ("messageStart", {"role": "assistant"}),
    (
        "contentBlockDelta",
        {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Need "}}},
    ),
    (
        "contentBlockDelta",
        {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "weather."}}},
    ),
    (
        "contentBlockDelta",
        {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}},
    ),
    ("contentBlockStop", {"contentBlockIndex": 0}),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "Checking"}}),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": " now."}}),
    ("contentBlockStop", {"contentBlockIndex": 1}),
    (
        "contentBlockStart",
        {
            "contentBlockIndex": 2,
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "weather"}},
        },
    ),
    ("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '{"city": '}}}),
    ("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '"Rome"}'}}}),
    ("contentBlockStop", {"contentBlockIndex": 2}),
    ("messageStop", {"stopReason": "tool_use"}),
    ("metadata", {"usage": USAGE, "metrics": {"latencyMs": 99}}),
]


def test_stream_with_signed_reasoning_text_and_a_tool_call() -> None:
    events = decode_stream(stream_bytes(*TOOL_STREAM))
    ends = [e for e in events if isinstance(e, ReasoningEnd)]
    assert ends[0].provider_metadata == {"bedrock": {"signature": "c2ln"}}
    assert [e.delta for e in events if isinstance(e, ToolInputDelta)] == ['{"city": ', '"Rome"}']
    assert [e.call for e in events if isinstance(e, ToolCall)] == [
        ToolCallPart("tooluse_1", "weather", '{"city": "Rome"}')
    ]
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.finish_reason == FinishReason.TOOL_CALLS
    assert finish.usage.cache_read_tokens == 800
    assert finish.provider_metadata == {"bedrock": {"stop_reason": "tool_use", "latency_ms": 99}}
    response = folded(events)
    assert response.text == "Checking now."
    assert response.content[0] == ReasoningPart(
        "Need weather.", provider_metadata={"bedrock": {"signature": "c2ln"}}
    )


def test_stream_and_whole_response_give_the_same_parts() -> None:
    whole = decode_response(
        converse_response(
            [
                {
                    "reasoningContent": {
                        "reasoningText": {"text": "Need weather.", "signature": "c2ln"}
                    }
                },
                {"text": "Checking now."},
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "weather",
                        "input": {"city": "Rome"},
                    }
                },
            ],
            stop="tool_use",
        ),
        "bedrock",
        [],
    )
    streamed = folded(decode_stream(stream_bytes(*TOOL_STREAM)))
    assert [type(p) for p in streamed.content] == [type(p) for p in whole.content]
    assert streamed.content[:2] == whole.content[:2]
    assert orjson.loads(streamed.content[2].input) == orjson.loads(whole.content[2].input)  # type: ignore[union-attr]


def test_a_tool_block_cut_by_the_output_limit_yields_no_call() -> None:
    events = decode_stream(
        stream_bytes(
            ("messageStart", {"role": "assistant"}),
            (
                "contentBlockStart",
                {
                    "contentBlockIndex": 0,
                    "start": {"toolUse": {"toolUseId": "t", "name": "weather"}},
                },
            ),
            (
                "contentBlockDelta",
                {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"ci'}}},
            ),
            ("messageStop", {"stopReason": "max_tokens"}),
        )
    )
    assert not any(isinstance(e, ToolCall) for e in events)
    assert (
        sum(isinstance(e, ToolInputStart) for e in events)
        == sum(isinstance(e, ToolInputEnd) for e in events)
        == 1
    )
    assert events[-1].finish_reason == FinishReason.LENGTH  # type: ignore[union-attr]


def test_a_stream_without_message_stop_is_incomplete() -> None:
    raw = stream_bytes(TOOL_STREAM[0], TOOL_STREAM[5])
    with pytest.raises(IncompleteStreamError, match="messageStop"):
        decode_stream(raw)


@pytest.mark.parametrize(
    ("name", "error"),
    [("throttlingException", RateLimitError), ("modelStreamErrorException", ServerError)],
)
def test_exception_frames_raise_typed_errors(name: str, error: type[Exception]) -> None:
    raw = stream_bytes(TOOL_STREAM[0]) + exception_frame(name, "try later")
    with pytest.raises(error, match="try later"):
        decode_stream(raw)


def test_a_payload_that_is_not_a_json_object_is_a_protocol_error_quoting_it_shortly() -> None:
    headers = string_header(":event-type", "contentBlockDelta") + string_header(
        ":message-type", "event"
    )
    for payload, problem in ((b"{not json" + b"x" * 5000, "is not JSON"), (b"[1]", "object")):
        with pytest.raises(ProtocolError, match=problem) as caught:
            ConverseFraming("bedrock").feed(frame(headers, payload))
        assert len(str(caught.value)) < 400  # an excerpt, not the payload
        assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_frames_without_an_event_type_and_events_that_are_not_converse_say_nothing() -> None:
    untyped = frame(string_header(":message-type", "event"), b"{}")
    assert ConverseFraming("bedrock").feed(untyped) == []
    decoder = ConverseWire("bedrock").stream_decoder()
    assert decoder.feed({}) == []
    assert decoder.feed({"messageStart": {}, "metadata": {}}) == []
    assert (
        decoder.feed({"contentBlockDelta": {"contentBlockIndex": -1, "delta": {"text": "x"}}}) == []
    )


def test_a_corrupt_frame_is_a_protocol_error() -> None:
    raw = bytearray(stream_bytes(*TOOL_STREAM))
    raw[40] ^= 0xFF
    with pytest.raises(ProtocolError, match="checksum"):
        decode_stream(bytes(raw))


# ---------------------------------------------------------------------------------------
# Which wire bedrock: picks


@pytest.mark.parametrize(
    ("model_id", "claude"),
    [
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", True),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", True),
        ("arn:aws:bedrock:us-east-1::inference-profile/global.anthropic.claude-opus-4-6-v1", True),
        ("us.amazon.nova-pro-v1:0", False),
        ("meta.llama3-3-70b-instruct-v1:0", False),
        ("mistral.mistral-large-2407-v1:0", False),
        ("us.deepseek.r1-v1:0", False),
    ],
)
def test_bedrock_picks_invoke_for_claude_and_converse_for_the_rest(
    model_id: str, claude: bool
) -> None:
    assert is_claude(model_id) is claude
    model = get_model(f"bedrock:{model_id}", api_key="k", region="us-west-2")
    assert isinstance(model, WireModel)
    assert isinstance(model.wire, MessagesWire if claude else ConverseWire)
    assert isinstance(model.host, ConverseHost) is not claude
    assert model.provider == "bedrock"


def url_of(model: WireModel, *, stream: bool = False, operation: str = "") -> str:
    request = Request(model.model_id, stream, b"{}", {}, (), operation)
    return asyncio.run(model.host.target(request)).url


def test_bedrock_converse_and_api_converse_use_converse_for_claude_too() -> None:
    claude = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    model = get_model(f"bedrock-converse:{claude}", api_key="k", region="eu-west-1")
    assert isinstance(model, WireModel) and isinstance(model.wire, ConverseWire)
    assert model.provider == "bedrock-converse"
    base = "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
    escaped = "us.anthropic.claude-sonnet-4-20250514-v1%3A0"
    assert url_of(model) == f"{base}{escaped}/converse"
    assert url_of(model, stream=True) == f"{base}{escaped}/converse-stream"
    assert url_of(model, operation=COUNT_TOKENS) == f"{base}{escaped}/count-tokens"
    converse = get_model(f"bedrock:{claude}", api="converse", api_key="k")
    assert isinstance(converse, WireModel) and isinstance(converse.wire, ConverseWire)
    invoke = get_model(f"bedrock:{NOVA}", api="invoke", api_key="k")
    assert isinstance(invoke, WireModel) and isinstance(invoke.wire, MessagesWire)
    assert url_of(invoke, stream=True).endswith("/invoke-with-response-stream")


def test_bedrock_api_must_be_converse_or_invoke() -> None:
    with pytest.raises(ConfigurationError, match="'converse' or 'invoke'"):
        get_model(f"bedrock:{NOVA}", api="messages", api_key="k")
