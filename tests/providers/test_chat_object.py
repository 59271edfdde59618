"""Chat Completions native structured output: the response_format the hook produces."""

from __future__ import annotations

from typing import Any

from reverie.content import user
from reverie.model import Call
from reverie.providers._model import WireModel
from reverie.providers._openai.chat import encode_request
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._openai.provider import chat_model

PERSON: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The person's name"},
        "age": {"type": "integer", "description": "The person's age"},
    },
    "required": ["name", "age"],
}


def model(provider: str, **options: Any) -> WireModel:
    url = "https://example.test/v1"
    return chat_model("gpt-4o", base_url=url, provider=provider, **options)


def body_for(m: WireModel, call: Call) -> dict[str, Any]:
    body, _ = encode_request(call, m.model_id, ChatDialect(m.provider), stream=False)
    return body


def test_openai_sends_a_strict_json_schema_with_closed_objects() -> None:
    m = model("openai")
    call = m.object_request(Call([user("hi")], max_output_tokens=10), PERSON, "Person", "A person")
    assert call is not None
    assert body_for(m, call)["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "Person",
            "strict": True,
            "description": "A person",
            "schema": {**PERSON, "additionalProperties": False},
        },
    }
    assert "additionalProperties" not in PERSON  # the caller's schema is not touched


def test_an_empty_description_is_left_out_and_optional_fields_turn_strict_off() -> None:
    m = model("openai")
    schema = {**PERSON, "required": ["name"]}
    call = m.object_request(Call([user("hi")]), schema, "response", "")
    assert call is not None
    fmt = body_for(m, call)["response_format"]["json_schema"]
    assert "description" not in fmt
    assert fmt["strict"] is False


def test_the_callers_other_options_are_kept() -> None:
    m = model("openai")
    base = Call([user("hi")], provider_options={"openai": {"seed": 7}})
    call = m.object_request(base, PERSON, "Person", "")
    assert call is not None
    body = body_for(m, call)
    assert body["seed"] == 7
    assert "response_format" in body
    assert "response_format" not in base.provider_options["openai"]


def test_compatible_hosts_offer_no_native_mode_unless_told() -> None:
    assert model("xai").object_request(Call([user("hi")]), PERSON, "Person", "") is None
    opted_in = model("vllm", native_json=True)
    call = opted_in.object_request(Call([user("hi")]), PERSON, "Person", "")
    assert call is not None
    assert body_for(opted_in, call)["response_format"]["type"] == "json_schema"
    assert (
        model("openai", native_json=False).object_request(Call([user("hi")]), PERSON, "Person", "")
        is None
    )
