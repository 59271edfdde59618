"""The models the example cassettes were recorded with, built on any HTTP client.

Recording (``record.py``) and replay (``test_examples.py``) build the model here, so the
requests of a replay are byte for byte the recorded ones.

- ``local_model``: reverie's ``local:smollm2`` stack exactly (the Chat Completions provider
  under :class:`ConstrainedToolModel`, provider name ``local``), but at the fixed address
  ``http://localhost:8080/v1`` (llama.cpp's default) instead of the random port the
  in-process server gets, so the recorded URLs are stable. The recorder forwards that
  address to the real server.
- ``anthropic_model``: reverie's Anthropic provider at ``http://localhost:4010/v1``, the
  address the scripted Anthropic-compatible servers (``scripted_anthropic.py``,
  ``scripted_approvals.py``) are recorded under.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2

from reverie.model import LanguageModel

LOCAL_BASE_URL = "http://localhost:8080/v1"
ANTHROPIC_BASE_URL = "http://localhost:4010/v1"
REPLAY_KEY = "reverie-replay-key"  # never sent anywhere: the cassette answers


def local_model(http_client: httpx2.AsyncClient, api_key: str = REPLAY_KEY) -> LanguageModel:
    """What ``get_model("local:smollm2")`` builds once its server is up, at a fixed URL."""
    from reverie.providers._local.constrained import ConstrainedToolModel
    from reverie.providers._openai.provider import chat_model

    chat = chat_model(
        "smollm2",
        base_url=LOCAL_BASE_URL,
        api_key=api_key,
        provider="local",
        http_client=http_client,
    )
    return ConstrainedToolModel(chat)


def anthropic_model(http_client: httpx2.AsyncClient, api_key: str = REPLAY_KEY) -> LanguageModel:
    """``anthropic:claude-sonnet-4-20250514`` pointed at the scripted server's address."""
    from reverie.providers import get_model

    return get_model(
        "anthropic:claude-sonnet-4-20250514",
        base_url=ANTHROPIC_BASE_URL,
        api_key=api_key,
        http_client=http_client,
    )


# Which model each example's cassette was recorded with.
RECORDED_WITH: dict[str, Callable[[httpx2.AsyncClient], LanguageModel]] = {
    "simple": local_model,
    "stream": local_model,
    "tool_agent": local_model,
    "structured_output": local_model,
    "web_search": anthropic_model,
    "approvals": anthropic_model,
}
