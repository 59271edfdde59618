"""Native structured output hooks of the Gemini and Responses wires, from the request body."""

from __future__ import annotations

from reverie import Call, ToolSpec, user
from reverie.providers import get_model
from reverie.providers._google.encode import GoogleDialect
from reverie.providers._google.encode import encode_request as google_request
from reverie.providers._google.hosts import gemini_model
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses import encode_request as responses_request

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "pet": {"type": "object", "properties": {}}},
    "required": ["name", "pet"],
}


def test_gemini_asks_for_json_with_the_schema_and_leaves_tool_calls_to_forced_tools() -> None:
    model = gemini_model("gemini-2.5-flash", api_key="k")
    call = model.object_request(Call([user("hi")], max_output_tokens=10), SCHEMA, "P", "")
    assert call is not None
    body, _ = google_request(call, "gemini-2.5-flash", GoogleDialect("google"))
    assert body["generationConfig"] == {
        "maxOutputTokens": 10,
        "responseMimeType": "application/json",
        "responseJsonSchema": SCHEMA,
    }
    with_tools = Call([user("hi")], tools=[ToolSpec("t", "d", {"type": "object"})])
    assert model.object_request(with_tools, SCHEMA, "P", "") is None


def test_responses_sends_text_format_with_closed_objects() -> None:
    model = get_model("openai:gpt-4o", api="responses", api_key="k")
    call = model.object_request(Call([user("hi")]), SCHEMA, "Person", "ignored")
    assert call is not None
    body, _ = responses_request(call, "gpt-4o", ResponsesDialect("openai"), stream=False)
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema"
    assert fmt["name"] == "Person"
    assert fmt["schema"]["additionalProperties"] is False
    assert fmt["schema"]["properties"]["pet"]["additionalProperties"] is False
    assert "strict" not in fmt
