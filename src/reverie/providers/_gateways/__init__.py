"""Gateways over the Chat Completions wire: OpenRouter and the Vercel AI Gateway.

Both are OpenAI Chat Completions plus a little: routing options, usage with cost, Anthropic
prompt caching, and reasoning that round-trips as ``reasoning_details``. They reuse the chat
wire through its extension point (:class:`~reverie.providers._openai.dialect.ChatExtension`);
what differs lives here. Adding a gateway is one extension class and one entry in
:data:`GATEWAYS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx2

from reverie.providers._gateways.openrouter import OpenRouterExtension
from reverie.providers._gateways.vercel import VercelExtension
from reverie.providers._model import WireModel
from reverie.providers._openai.dialect import ChatExtension
from reverie.providers._openai.provider import chat_model
from reverie.timeouts import Timeouts

GATEWAYS: dict[str, Callable[[], ChatExtension]] = {
    OpenRouterExtension.name: OpenRouterExtension,
    VercelExtension.name: VercelExtension,
}


def gateway_model(
    name: str,
    model_id: str,
    *,
    base_url: str,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    timeouts: Timeouts | None = None,
) -> WireModel:
    """A model on gateway ``name`` (``"anthropic/claude-haiku-4.5"``, ``"openai/gpt-5"``, ...).

    ``headers`` can carry a gateway's app attribution (OpenRouter's ``HTTP-Referer``,
    ``X-Title``).
    """
    extension = GATEWAYS[name]()
    return chat_model(
        model_id,
        base_url=base_url,
        api_key=api_key,
        provider=name,
        headers=headers,
        http_client=http_client,
        timeouts=timeouts,
        extension=extension,
    )


__all__ = ["GATEWAYS", "OpenRouterExtension", "VercelExtension", "gateway_model"]
