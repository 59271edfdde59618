"""What OpenRouter and the Vercel AI Gateway share: option checks, usage, the extension base.

Provider options are plain dicts under the gateway's name; they are checked here so that a
typo fails with a message naming the known keys instead of being sent and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie.content import Message, ReasoningPart
from reverie.errors import ConfigurationError
from reverie.model import CallWarning, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._gateways.messages import encode_messages
from reverie.providers._gateways.reasoning import decode_details
from reverie.providers._gateways.reasoning_stream import DetailsStream
from reverie.providers._openai.chat_decode import decode_usage

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


def check_keys(where: str, options: Mapping[str, Any], known: Sequence[str]) -> None:
    """Raise :class:`ConfigurationError` for keys of ``options`` not in ``known``."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigurationError(
            f"unknown {where} option(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}"
        )


def check_choice(where: str, value: Any, allowed: Sequence[str]) -> None:
    """Raise :class:`ConfigurationError` when ``value`` is set and not one of ``allowed``."""
    if value is not None and value not in allowed:
        raise ConfigurationError(f"{where} {value!r} is not one of {', '.join(allowed)}")


def mapping_option(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where} must be a mapping, got {type(value).__name__}")
    return cast(Mapping[str, Any], value)


def reasoning_option(where: str, value: Any) -> dict[str, Any]:
    """The ``reasoning`` object: ``enabled``, ``effort``, ``max_tokens``, ``exclude``."""
    options = mapping_option(where, value)
    check_keys(where, options, ("enabled", "effort", "max_tokens", "exclude"))
    effort = options.get("effort")
    check_choice(f"{where}.effort", effort, REASONING_EFFORTS)
    if effort is not None and options.get("max_tokens") is not None:
        raise ConfigurationError(f"{where}: set either effort or max_tokens, not both")
    return {k: v for k, v in options.items() if v is not None}


def copy_standard(body: dict[str, Any], options: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Copy the Chat Completions fields among ``keys`` that are set."""
    for key in keys:
        if options.get(key) is not None:
            body[key] = options[key]


def apply_extra_body(body: dict[str, Any], options: Mapping[str, Any], where: str) -> None:
    """``extra_body`` goes in last, over everything else (an escape hatch)."""
    extra = options.get("extra_body")
    if extra is not None:
        body.update(mapping_option(f"{where}.extra_body", extra))


class GatewayExtension:
    """The :class:`~reverie.providers._openai.dialect.ChatExtension` parts both gateways share.

    Subclasses set ``name``, the stream flags, their ``known_options`` and the
    ``standard_options`` (Chat Completions fields passed through as given), and implement
    ``apply_own_options`` and ``response_metadata``.
    """

    name = ""
    hold_anthropic = False  # see DetailsStream
    plain_reasoning = False
    known_options: tuple[str, ...] = ()
    standard_options: tuple[str, ...] = ()

    def apply_options(
        self,
        body: dict[str, Any],
        options: Mapping[str, Any],
        model_id: str,
        warnings: list[CallWarning],
    ) -> None:
        """Check ``options`` against the known ones, then add them: ``reasoning``, the
        gateway's own, the standard fields, and ``extra_body`` last, over everything."""
        check_keys(self.name, options, self.known_options)
        if options.get("reasoning") is not None:
            body["reasoning"] = reasoning_option(f"{self.name}.reasoning", options["reasoning"])
        self.apply_own_options(body, options)
        copy_standard(body, options, self.standard_options)
        apply_extra_body(body, options, self.name)

    def apply_own_options(self, body: dict[str, Any], options: Mapping[str, Any]) -> None:
        """Add the options only this gateway has (routing, credentials)."""

    def encode_messages(
        self, messages: Sequence[Message], model_id: str, warnings: list[CallWarning]
    ) -> list[dict[str, Any]]:
        return encode_messages(messages, model_id, self.name, warnings)

    def decode_reasoning(self, message: Mapping[str, Any]) -> list[ReasoningPart]:
        return decode_details(
            message,
            self.name,
            plain_fallback=self.plain_reasoning,
            keep_empty=not self.plain_reasoning,
        )

    def reasoning_stream(self) -> DetailsStream:
        return DetailsStream(
            self.name, hold_anthropic=self.hold_anthropic, plain=self.plain_reasoning
        )

    def decode_usage(self, usage: Mapping[str, Any]) -> Usage:
        """Chat usage, plus the prompt-cache writes the gateways report. Their
        ``prompt_tokens`` counts the writes too; :class:`Usage` counts them apart only."""
        base = decode_usage(usage)
        usage = untrusted.mapping(usage)
        details = untrusted.mapping(usage.get("prompt_tokens_details"))
        writes = untrusted.count(details.get("cache_write_tokens")) or untrusted.count(
            usage.get("cache_creation_input_tokens")
        )
        if writes:
            return Usage(
                input_tokens=max(base.input_tokens - writes, 0),
                output_tokens=base.output_tokens,
                total_tokens=base.total_tokens,
                reasoning_tokens=base.reasoning_tokens,
                cache_read_tokens=base.cache_read_tokens,
                cache_write_tokens=writes,
            )
        return base


def usage_cost(data: Mapping[str, Any]) -> dict[str, Any]:
    """``cost`` (and its breakdown) from a response's or chunk's usage, when reported."""
    usage: Any = data.get("usage")
    if not isinstance(usage, Mapping):
        return {}
    usage = cast(Mapping[str, Any], usage)
    out: dict[str, Any] = {}
    for key in ("cost", "cost_details", "is_byok"):
        if usage.get(key) is not None:
            out[key] = usage[key]
    return out


def first_choice_message(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first choice's ``message`` (a completion) or ``delta`` (a chunk), else ``{}``."""
    choices: Any = data.get("choices")
    if not isinstance(choices, list) or not choices:
        return {}
    choice: Any = cast(list[Any], choices)[0]
    if not isinstance(choice, Mapping):
        return {}
    choice = cast(Mapping[str, Any], choice)
    message: Any = choice.get("message") or choice.get("delta")
    return cast(Mapping[str, Any], message) if isinstance(message, Mapping) else {}
