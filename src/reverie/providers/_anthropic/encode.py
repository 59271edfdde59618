"""The Anthropic Messages wire, encoding: :class:`Call` → request body. Pure, no I/O.

The same body serves three hosts (the Anthropic API, AWS Bedrock, Google Vertex AI); what
differs is a :class:`MessagesDialect`. Facts the encoder follows (all visible in recordings):

- ``max_tokens`` is required: 4096 when the caller gives none;
- the conversation is encoded by :mod:`.messages` (system blocks, merged turns, tool
  results in user turns, thinking and server-tool blocks sent back unchanged);
- cache control (``provider_options["anthropic"]["cache_control"]``) on a tool renders on
  the tool (on messages and parts: see :mod:`.messages`);
- tool choice: auto, none, required → ``any``, a named tool → ``tool``; every choice but
  ``none`` carries ``disable_parallel_tool_use`` (Bedrock rejects the field: left out there).

Options (``call.provider_options["anthropic"]``, overridden key by key by the host's own
name, e.g. ``["bedrock"]``): ``thinking={"budget_tokens": n}``, ``effort`` (low, medium,
high, xhigh, max: adaptive thinking with ``output_config.effort``), ``thinking_display``,
``send_reasoning`` (default true), ``disable_parallel_tool_use``, ``betas`` (extra beta
flags), ``stop_sequences`` / ``metadata`` / ``service_tier`` (copied as they are),
``extra_body`` (merged into the body last).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from reverie.errors import ConfigurationError
from reverie.model import Call, CallWarning, ProviderTool, SpecificTool, ToolSpec
from reverie.providers._anthropic.messages import WIRE, cache_control, encode_messages

__all__ = ["WIRE", "EncodedRequest", "MessagesDialect", "encode_request"]

DEFAULT_MAX_TOKENS = 4096
EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})

# Provider options copied into the body as they are (validated by the API only).
_PASSTHROUGH_OPTIONS = ("stop_sequences", "metadata", "service_tier")

# Beta flags that provider tools need (sent as the anthropic-beta header, or in the body
# on Bedrock).
_TOOL_BETAS = {
    "computer_20250124": "computer-use-2025-01-24",
    "computer_20251124": "computer-use-2025-11-24",
}


@dataclass(frozen=True, slots=True)
class MessagesDialect:
    """How one host wants the Messages body.

    ``name`` is the host's provider name (its options override the ``anthropic`` ones);
    ``model_in_body`` / ``stream_in_body``: whether ``model`` and ``stream`` are body fields
    (the Anthropic API: both; Vertex: stream only; Bedrock: neither, the URL says them);
    ``anthropic_version`` goes in the body when set; ``parallel_flag``: whether tool choice
    may carry ``disable_parallel_tool_use``; ``betas_in_body``: Bedrock takes beta flags as
    ``anthropic_beta`` in the body instead of a header.
    """

    name: str = WIRE
    model_in_body: bool = True
    stream_in_body: bool = True
    anthropic_version: str | None = None
    parallel_flag: bool = True
    betas_in_body: bool = False


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """A request body, what was left out of it, and the beta flags it needs."""

    body: dict[str, Any]
    warnings: list[CallWarning]
    betas: list[str]


def call_options(call: Call, dialect: MessagesDialect) -> dict[str, Any]:
    """The caller's options for this wire: ``anthropic`` ones, then the host's own."""
    merged: dict[str, Any] = dict(call.provider_options.get(WIRE, {}))
    if dialect.name != WIRE:
        merged.update(call.provider_options.get(dialect.name, {}))
    return merged


def encode_request(
    call: Call, model_id: str, dialect: MessagesDialect, *, stream: bool
) -> EncodedRequest:
    """The body for ``call``; raises ConfigurationError for an unusable option."""
    options = call_options(call, dialect)
    warnings: list[CallWarning] = []
    send_reasoning = options.get("send_reasoning", True) is not False
    system, messages = encode_messages(call.messages, warnings, send_reasoning=send_reasoning)
    body: dict[str, Any] = {}
    if dialect.model_in_body:
        body["model"] = model_id
    body["max_tokens"] = (
        call.max_output_tokens if call.max_output_tokens is not None else DEFAULT_MAX_TOKENS
    )
    body["messages"] = messages
    if system:
        body["system"] = system
    for unsupported in ("frequency_penalty", "presence_penalty"):
        if getattr(call, unsupported) is not None:
            warnings.append(
                CallWarning("unsupported-setting", f"{unsupported} is not supported", unsupported)
            )
    sampling = {"temperature": call.temperature, "top_p": call.top_p, "top_k": call.top_k}
    thinking = _encode_thinking(options, body, model_id)
    for key, value in sampling.items():
        if value is None:
            continue
        if thinking:
            warnings.append(
                CallWarning(
                    "unsupported-setting", f"{key} is not supported when thinking is enabled", key
                )
            )
        else:
            body[key] = value
    betas: list[str] = [str(b) for b in options.get("betas") or ()]
    if call.tools:
        tools = _encode_tools(call.tools, warnings, betas)
        if tools:
            body["tools"] = tools
        choice = _encode_tool_choice(call.tool_choice, options, dialect)
        if choice is not None:
            body["tool_choice"] = choice
    if stream and dialect.stream_in_body:
        body["stream"] = True
    if dialect.anthropic_version:
        body["anthropic_version"] = dialect.anthropic_version
    if betas and dialect.betas_in_body:
        body["anthropic_beta"] = betas
    for key in _PASSTHROUGH_OPTIONS:
        if options.get(key) is not None:
            body[key] = options[key]
    extra = options.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)  # pyright: ignore[reportUnknownArgumentType]
    return EncodedRequest(body, warnings, betas)


def _adaptive_only(model_id: str) -> bool:
    """Models that take only adaptive thinking (a budget is rejected) and hide thinking
    unless a display is asked for: Claude Opus 4.7 and later, Mythos preview."""
    model = model_id.strip().lower()
    if "claude-mythos-preview" in model:
        return True
    match = re.search(r"claude-opus-4-(\d{1,2})(?!\d)", model)
    return match is not None and int(match.group(1)) >= 7


def _encode_thinking(options: Mapping[str, Any], body: dict[str, Any], model_id: str) -> bool:
    """Set ``thinking`` (and ``output_config``) from the options; True when thinking is on."""
    adaptive_only = _adaptive_only(model_id)
    # Those models would return no visible thinking by default; ask for a summary.
    display = options.get("thinking_display") or ("summarized" if adaptive_only else None)
    shown = {"display": display} if display else {}
    effort = options.get("effort")
    if effort is not None:
        if effort not in EFFORTS:
            raise ConfigurationError(f"anthropic effort {effort!r} is not one of {sorted(EFFORTS)}")
        body["output_config"] = {"effort": effort}
        body["thinking"] = {"type": "adaptive", **shown}
        return True
    thinking: Any = options.get("thinking")
    if thinking is None:
        if "claude-mythos-preview" in model_id.lower():  # thinks adaptively by default
            body["thinking"] = {"type": "adaptive", **shown}
            return True
        return False
    budget: Any = None
    if isinstance(thinking, Mapping):
        budget = cast(Mapping[str, Any], thinking).get("budget_tokens")
    if not isinstance(budget, int) or budget <= 0:
        raise ConfigurationError(
            'anthropic thinking needs a token budget: provider_options={"anthropic": '
            '{"thinking": {"budget_tokens": 4000}}}'
        )
    if adaptive_only:
        body["thinking"] = {"type": "adaptive", **shown}
    else:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget, **shown}
    return True


# ---------------------------------------------------------------------------------------
# Tools


def _encode_tools(
    tools: Sequence[ToolSpec | ProviderTool], warnings: list[CallWarning], betas: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            # The whole schema goes out ($defs and all); Anthropic requires an object.
            encoded: dict[str, Any] = {
                "name": tool.name,
                "description": tool.description,
                "input_schema": {**tool.input_schema, "type": "object"},
            }
            cache = cache_control(tool.provider_options)
            if cache is not None:
                encoded["cache_control"] = cache
            out.append(encoded)
            continue
        prefix, _, tool_type = tool.id.partition(".")
        if prefix != WIRE or not tool_type:
            warnings.append(
                CallWarning("unsupported-tool", f"provider tool {tool.id} is not supported")
            )
            continue
        # A provider tool goes out as its type, its name and its settings, as Anthropic
        # documents each one (web_search_20250305, computer_20250124, ...).
        out.append({"type": tool_type, "name": tool.name, **tool.args})
        beta = _TOOL_BETAS.get(tool_type)
        if beta and beta not in betas:
            betas.append(beta)
    return out


def _encode_tool_choice(
    choice: str | SpecificTool | None, options: Mapping[str, Any], dialect: MessagesDialect
) -> dict[str, Any] | None:
    disable = bool(options.get("disable_parallel_tool_use", False))
    flag = {"disable_parallel_tool_use": disable} if dialect.parallel_flag else {}
    if choice is None:
        # Nothing asked: the API's default (auto, parallel) unless parallel use is disabled.
        return {"type": "auto", **flag} if disable else None
    if choice == "none":
        return {"type": "none"}
    if choice == "auto":
        return {"type": "auto", **flag}
    if choice == "required":
        return {"type": "any", **flag}
    if isinstance(choice, SpecificTool):
        return {"type": "tool", "name": choice.name, **flag}
    raise ConfigurationError(f"unknown tool choice {choice!r}")
