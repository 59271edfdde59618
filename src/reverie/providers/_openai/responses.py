"""The OpenAI Responses wire, encoding, pure: :class:`Call` → ``POST /responses`` body.

Input items are built in :mod:`.responses_input`; decoding lives in :mod:`.responses_decode`
(a whole response) and :mod:`.responses_stream` (typed SSE events). Used by OpenAI and Azure
OpenAI alike; ``dialect.name`` keys the caller's provider options.

Facts the encoder follows (all visible in the recorded requests):

- ``store`` is ``false`` unless the caller asks otherwise: nothing is kept server-side, so
  every turn replays the conversation;
- reasoning models (the rule of :func:`~.chat.is_reasoning_model`, shared with Chat
  Completions) get the system prompt as a ``developer`` message and reject temperature and
  top-p (dropped with a warning); others get ``system``;
- user content is ``input_text`` / ``input_image`` / ``input_file`` parts; an assistant's text
  is a plain ``{"role": "assistant", "content": text}`` item, its tool calls
  ``function_call`` items, tool results ``function_call_output`` items;
- reasoning items are not sent back by default (the reference client never does, with or
  without ``store``); ``send_reasoning: true`` replays those that carry encrypted content;
- provider-executed tool calls (web search) go back only as ``item_reference`` when
  ``store`` is on, since ephemeral items cannot be referenced;
- function tools carry ``strict: false`` (``strict_json_schema`` turns it on) and
  ``tool_choice`` is sent whenever tools are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reverie.errors import ConfigurationError
from reverie.model import Call, CallWarning, ProviderTool, SpecificTool, ToolSpec
from reverie.providers._openai.chat import is_reasoning_model
from reverie.providers._openai.responses_input import SystemMode, encode_input


@dataclass(frozen=True, slots=True)
class ResponsesDialect:
    """How one host speaks the Responses API; ``name`` keys options and our metadata."""

    name: str = "openai"


_REASONING_EFFORTS = frozenset({"none", "minimal", "low", "medium", "high", "xhigh"})
_SUMMARIES = frozenset({"auto", "concise", "detailed"})
_TOP_LOGPROBS_MAX = 20
_WEB_SEARCH_TYPES = frozenset({"web_search", "web_search_preview"})

# Provider options copied into the body under the same name.
_PASSTHROUGH_OPTIONS = (
    "instructions",
    "max_tool_calls",
    "metadata",
    "parallel_tool_calls",
    "prompt_cache_key",
    "safety_identifier",
    "service_tier",
    "user",
    "truncation",
)


def is_responses_reasoning_model(model_id: str) -> bool:
    """The chat rule, plus the Responses-only families; ``gpt-5-chat`` does not reason."""
    lowered = model_id.lower()
    if "gpt-5-chat" in lowered:
        return False
    return is_reasoning_model(model_id) or "codex-" in lowered or "computer-use" in lowered


def system_mode(model_id: str) -> SystemMode:
    """How the system prompt is sent: o1-mini / o1-preview take none at all."""
    if not is_responses_reasoning_model(model_id):
        return "system"
    if "o1-mini" in model_id or "o1-preview" in model_id:
        return "remove"
    return "developer"


def encode_request(
    call: Call, model_id: str, dialect: ResponsesDialect, *, stream: bool
) -> tuple[dict[str, Any], list[CallWarning]]:
    """The request body for ``call``, and what had to be left out of it."""
    warnings: list[CallWarning] = []
    options: Mapping[str, Any] = call.provider_options.get(dialect.name, {})
    reasoning = is_responses_reasoning_model(model_id)
    store = bool(options.get("store", False))
    body: dict[str, Any] = {
        "model": model_id,
        "input": encode_input(
            call.messages,
            system_mode(model_id),
            warnings,
            store=store,
            send_reasoning=bool(options.get("send_reasoning", False)),
        ),
        "store": store,
    }
    for key in ("top_k", "presence_penalty", "frequency_penalty"):
        if getattr(call, key) is not None:
            warnings.append(CallWarning("unsupported-setting", f"{key} is not supported", key))
    for key in ("temperature", "top_p"):
        value = getattr(call, key)
        if value is None:
            continue
        if reasoning:
            warnings.append(
                CallWarning(
                    "unsupported-setting", f"{key} is not supported for reasoning models", key
                )
            )
        else:
            body[key] = value
    if call.max_output_tokens is not None:
        body["max_output_tokens"] = call.max_output_tokens
    _apply_options(body, options, reasoning, warnings)
    if stream:
        body["stream"] = True
    tools = encode_tools(call.tools, options, warnings)
    if tools:
        body["tools"] = tools
        body["tool_choice"] = encode_tool_choice(call.tool_choice or "auto")
    return body, warnings


def _apply_options(
    body: dict[str, Any], options: Mapping[str, Any], reasoning: bool, warnings: list[CallWarning]
) -> None:
    for key in _PASSTHROUGH_OPTIONS:
        if options.get(key) is not None:
            body[key] = options[key]
    previous = options.get("previous_response_id")
    if previous:
        if not body["store"]:
            raise ConfigurationError(
                "previous_response_id needs store=True: an unstored response cannot be chained"
            )
        replayed = ("function_call", "item_reference", "reasoning")
        if any(i.get("role") == "assistant" or i.get("type") in replayed for i in body["input"]):
            raise ConfigurationError(
                "previous_response_id chains server-side history: send only the new turn (user "
                "messages, tool results), not the replayed assistant messages"
            )
        body["previous_response_id"] = previous
    include: list[str] = []
    top_logprobs = _top_logprobs(options.get("logprobs"))
    if top_logprobs:
        include.append("message.output_text.logprobs")
        body["top_logprobs"] = top_logprobs
    include.extend(options.get("include") or ())
    if include:
        body["include"] = include
    verbosity = options.get("text_verbosity")
    if verbosity is not None:
        body["text"] = {"verbosity": verbosity}
    text_format = options.get("text_format")
    if text_format is not None:
        # Native structured output (reverie.output): {"type": "json_schema", ...}.
        body["text"] = {**body.get("text", {}), "format": dict(text_format)}
    effort = options.get("reasoning_effort")
    summary = options.get("reasoning_summary")
    if effort is not None and effort not in _REASONING_EFFORTS:
        raise ConfigurationError(
            f"reasoning_effort {effort!r} is not one of {sorted(_REASONING_EFFORTS)}"
        )
    if summary is not None and summary not in _SUMMARIES:
        raise ConfigurationError(
            f"reasoning_summary {summary!r} is not one of {sorted(_SUMMARIES)}"
        )
    if reasoning:
        settings = {"effort": effort, "summary": summary}
        if effort is not None or summary is not None:
            body["reasoning"] = {k: v for k, v in settings.items() if v is not None}
    else:
        for key, value in (("reasoning_effort", effort), ("reasoning_summary", summary)):
            if value is not None:
                warnings.append(
                    CallWarning(
                        "unsupported-setting",
                        f"{key} is not supported for non-reasoning models",
                        key,
                    )
                )


def _top_logprobs(value: Any) -> int:
    if value is True:
        return _TOP_LOGPROBS_MAX
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0


# ---------------------------------------------------------------------------------------
# Tools


def encode_tools(
    tools: Sequence[ToolSpec | ProviderTool],
    options: Mapping[str, Any],
    warnings: list[CallWarning],
) -> list[dict[str, Any]]:
    """Function tools and OpenAI's hosted tools; anything else is dropped with a warning."""
    strict = bool(options.get("strict_json_schema", False))
    out: list[dict[str, Any]] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            out.append(
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": dict(tool.input_schema),
                    "strict": strict,
                }
            )
            continue
        kind = tool.id.rpartition(".")[2]
        if kind in _WEB_SEARCH_TYPES:
            out.append(encode_web_search(kind, tool.args))
        else:
            warnings.append(
                CallWarning("unsupported-tool", f"provider tool {tool.id} is not supported")
            )
    return out


def encode_web_search(kind: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The hosted web search tool; ``args`` may hold ``search_context_size``,
    ``allowed_domains`` and ``user_location`` (city, region, country, timezone)."""
    tool: dict[str, Any] = {"type": kind}
    size = args.get("search_context_size")
    if size:
        tool["search_context_size"] = str(size)
    domains = args.get("allowed_domains")
    if domains:
        tool["filters"] = {"allowed_domains": list(domains)}
    location = args.get("user_location")
    if isinstance(location, Mapping) and location:
        fields = ("city", "region", "country", "timezone")
        tool["user_location"] = {
            "type": "approximate",
            **{k: location[k] for k in fields if location.get(k)},  # pyright: ignore[reportUnknownMemberType]
        }
    return tool


def encode_tool_choice(choice: str | SpecificTool) -> Any:
    if isinstance(choice, SpecificTool):
        return {"type": "function", "name": choice.name}
    return choice
