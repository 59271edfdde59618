"""Counting a request's input tokens before sending it.

::

    from reverie.tokens import count_tokens

    count = await count_tokens(model, call)
    count.input_tokens, count.estimate

Where the provider has an endpoint for it, the count is the provider's own: Anthropic's
``/v1/messages/count_tokens`` (also for Claude on Bedrock, through Bedrock's CountTokens,
and on Vertex AI), Gemini's ``countTokens`` (Gemini API and Vertex AI), the OpenAI
Responses API's ``/responses/input_tokens``, and Bedrock Converse's CountTokens. The request
counted is the one the model would send for ``call``, tools and system prompt included.

Elsewhere (Chat Completions hosts, the local model), and where the endpoint refuses the
request as invalid (a model it cannot count for, a proxy without the route), the count is a
local estimate, marked ``estimate=True``: :func:`estimate_tokens`. It is a guide, not a
tokenizer: every text counts one token per 4 ASCII characters plus one per other character
(accented and non-Latin text takes more tokens per character), each message 4 tokens of
framing, each tool its name, description and JSON schema plus 8, each file 1,000.

:func:`check_input_limit` is what ``Agent(max_input_tokens=...)`` calls before each model
call: a request over the limit is refused with
:class:`~reverie.errors.ContextTooLargeError`, never sent.
"""

from __future__ import annotations

from reverie._tokens import check_input_limit, count_model_tokens, estimate_tokens
from reverie.model import Call, LanguageModel, TokenCount, TokenCounter

__all__ = [
    "TokenCount",
    "TokenCounter",
    "check_input_limit",
    "count_tokens",
    "estimate_tokens",
]


async def count_tokens(model: LanguageModel | str, call: Call) -> TokenCount:
    """The input tokens ``call`` would use on ``model``, a model or its name (``"openai:gpt-4o"``).

    The provider's count where it has an endpoint; otherwise, or when the endpoint rejects
    the request as invalid, :func:`estimate_tokens`. Other failures (auth, rate limits,
    the network) raise as a model call would.
    """
    if isinstance(model, str):
        from reverie.providers import get_model

        model = get_model(model)
    return await count_model_tokens(model, call)
