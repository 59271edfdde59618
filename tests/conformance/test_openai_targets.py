"""The conformance runner's OpenAI / Azure detection and its Responses-specific checks."""

from __future__ import annotations

import pytest

from reverie.agent import RunResult, Step
from reverie.content import ReasoningPart, TextPart
from reverie.model import FinishReason, Usage
from reverie.testing._cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from reverie.testing._conformance import SCENARIOS, Failure, Target, check, infer_target

AZURE = "https://fantasy-playground-resource.openai.azure.com/openai/v1"


def cassette(url: str, model: str) -> Cassette:
    request = RecordedRequest("POST", url, f'{{"model": "{model}"}}')
    return Cassette([Interaction(request, RecordedResponse(200))])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://api.openai.com/v1/responses",
            Target("openai", "https://api.openai.com/v1", "gpt-5", {"api": "responses"}),
        ),
        (f"{AZURE}/responses", Target("azure", AZURE, "gpt-5", {"api": "responses"})),
        (f"{AZURE}/chat/completions", Target("azure", AZURE, "gpt-5", {"api": "chat"})),
        (
            "https://api.openai.com/v1/chat/completions",
            Target("openai", "https://api.openai.com/v1", "gpt-5", {"api": "chat"}),
        ),
    ],
)
def test_openai_and_azure_wires_are_told_apart(url: str, expected: Target) -> None:
    assert infer_target(cassette(url, "gpt-5")) == expected


def run_with(*parts: ReasoningPart | TextPart) -> RunResult:
    step = Step(0, (*parts, TextPart("Florence is at 40 C")), FinishReason.STOP, Usage(), ())
    return RunResult((step,), Usage(), ())


def test_responses_thinking_needs_encrypted_content_on_every_reasoning_part() -> None:
    target = Target("openai", "https://api.openai.com/v1", "gpt-5", {"api": "responses"})
    sealed = ReasoningPart("plan", provider_metadata={"openai": {"encrypted_content": "gAAA"}})
    check(SCENARIOS["thinking"], run_with(sealed), target)
    with pytest.raises(Failure, match="encrypted"):
        check(SCENARIOS["thinking"], run_with(sealed, ReasoningPart("plan")), target)
    # Chat Completions carries no encrypted reasoning: the plain rule applies there.
    chat = Target("azure", AZURE, "gpt-5-mini", {"api": "chat"})
    check(SCENARIOS["thinking"], run_with(ReasoningPart("plan")), chat)
