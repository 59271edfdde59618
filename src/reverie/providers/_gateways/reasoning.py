"""``reasoning_details``: how gateways carry a model's reasoning, decoded and sent back. Pure.

OpenRouter and the Vercel AI Gateway return reasoning as a list of details, each tagged
with the upstream ``format`` it came from (``anthropic-claude-v1``, ``openai-responses-v1``,
``xai-responses-v1``, ``google-gemini-v1``, ``unknown``) and a ``type``
(``reasoning.text``, ``reasoning.summary``, ``reasoning.encrypted``). Whatever must go back
unchanged (an Anthropic signature, an encrypted OpenAI reasoning item and its id, a Gemini
thought signature and the tool call it belongs to) is kept in the part's
``provider_metadata[<gateway name>]``:

- Anthropic: ``{"format", "signature"}``;
- OpenAI / xAI Responses: ``{"format", "summary": [str, ...], "encrypted_content",
  "item_id"}`` (the part's text is the summaries joined by newlines);
- Gemini: ``{"format", "signature", "id"}``;
- any other format: no metadata, the text only.

Sending back (:func:`encode_reasoning`) is chosen by the model family of the *request*
(``anthropic/``, ``openai/``, ``xai/``, ``google/`` model ids) and needs metadata of that
family (the gateway's own, or that of the direct Anthropic or OpenAI Responses provider,
which use the same keys); reasoning without it is sent as ``<thoughts>...</thoughts>`` text
instead. These rules, and the grouping of details into parts, follow the reference library
exactly, since the recorded follow-up requests depend on them (see :mod:`.reasoning_stream`
for streams).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias, cast

from reverie.content import ReasoningPart
from reverie.providers import _untrusted as untrusted

Family: TypeAlias = Literal["anthropic", "responses", "google", "other"]

ANTHROPIC_FORMAT = "anthropic-claude-v1"
OPENAI_FORMAT = "openai-responses-v1"
XAI_FORMAT = "xai-responses-v1"
GOOGLE_FORMAT = "google-gemini-v1"


def family_of(fmt: str) -> Family:
    """The upstream family of a detail ``format``."""
    if fmt.startswith(("openai-responses", "xai-responses")):
        return "responses"
    if fmt.startswith("google-gemini"):
        return "google"
    if fmt.startswith("anthropic-claude"):
        return "anthropic"
    return "other"


def details_of(container: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The well-formed detail objects of a message or delta (others are ignored)."""
    raw = container.get("reasoning_details")
    if not isinstance(raw, list):
        return []
    return [cast(dict[str, Any], d) for d in cast(list[Any], raw) if isinstance(d, dict)]


def field(detail: Mapping[str, Any], key: str) -> str:
    """A detail's string field, ``""`` when absent or not a string."""
    value = detail.get(key)
    return value if isinstance(value, str) else ""


def index_of(detail: Mapping[str, Any]) -> int:
    """A detail's ``index``; 0 when absent or unusable (negative, absurd, not an int)."""
    return untrusted.index(detail.get("index")) or 0


def responses_metadata(
    fmt: str, summary: Sequence[str], encrypted: str | None, item_id: str
) -> dict[str, Any]:
    meta: dict[str, Any] = {"format": fmt, "summary": list(summary)}
    if encrypted is not None:
        meta["encrypted_content"] = encrypted
    if item_id:
        meta["item_id"] = item_id
    return meta


# ---------------------------------------------------------------------------------------
# Decoding a whole message


def decode_details(
    message: Mapping[str, Any], gateway: str, *, plain_fallback: bool, keep_empty: bool
) -> list[ReasoningPart]:
    """The reasoning parts of a whole choice message.

    Responses details group by ``index`` into one part each (summaries and the encrypted
    item), Gemini details likewise (text and signature), every Anthropic detail is a part;
    then come other formats' texts (empty ones only when ``keep_empty``). Parts are ordered
    Responses, Anthropic, Gemini, other. ``plain_fallback`` reads a bare ``reasoning``
    string when there are no details (Vercel).
    """
    responses: list[dict[str, Any]] = []
    anthropic: list[ReasoningPart] = []
    google: list[tuple[str, dict[str, Any]]] = []
    other: list[str] = []
    for detail in details_of(message):
        fmt = field(detail, "format")
        kind = family_of(fmt)
        dtype = field(detail, "type")
        index = index_of(detail)
        if kind == "responses":
            if index >= len(responses):
                responses.append({"format": fmt, "summary": []})
                index = len(responses) - 1
            block = responses[index]
            if dtype == "reasoning.summary":
                block["summary"].append(field(detail, "summary"))
            elif dtype == "reasoning.encrypted":
                block["encrypted_content"] = field(detail, "data")
            if field(detail, "id"):
                block["item_id"] = field(detail, "id")
        elif kind == "google":
            if index >= len(google):
                google.append(("", {"format": fmt}))
                index = len(google) - 1
            text, meta = google[index]
            if dtype == "reasoning.text":
                text = field(detail, "text")
            elif dtype == "reasoning.encrypted":
                meta = {**meta, "signature": field(detail, "data"), "id": field(detail, "id")}
            google[index] = (text, meta)
        elif kind == "anthropic":
            meta = {"format": fmt, "signature": field(detail, "signature")}
            anthropic.append(
                ReasoningPart(field(detail, "text"), provider_metadata={gateway: meta})
            )
        else:
            other.append(field(detail, "text"))
    plain = message.get("reasoning")
    if plain_fallback and not details_of(message) and isinstance(plain, str) and plain:
        other.append(plain)
    parts: list[ReasoningPart] = []
    for block in responses:
        summary: list[str] = block["summary"] or [""]
        parts.append(ReasoningPart("\n".join(summary), provider_metadata={gateway: block}))
    parts.extend(anthropic)
    parts.extend(ReasoningPart(text, provider_metadata={gateway: meta}) for text, meta in google)
    parts.extend(ReasoningPart(text) for text in other if text or keep_empty)
    return parts


# ---------------------------------------------------------------------------------------
# Encoding for the next turn


def model_family(model_id: str) -> tuple[Family, str]:
    """The reasoning family a request's model speaks, and the format it is sent back in."""
    if model_id.startswith("anthropic/"):
        return "anthropic", ANTHROPIC_FORMAT
    if model_id.startswith("openai/"):
        return "responses", OPENAI_FORMAT
    if model_id.startswith("xai/"):
        return "responses", XAI_FORMAT
    if model_id.startswith("google/"):
        return "google", GOOGLE_FORMAT
    return "other", "unknown"


def _detail(**fields: Any) -> dict[str, Any]:
    """A detail as the gateways expect it: empty strings left out, ``index`` always there."""
    out = {k: v for k, v in fields.items() if v != "" and v is not None and k != "index"}
    out["index"] = fields.get("index", 0)
    return out


# Where the direct providers keep what a gateway needs back (same keys as ours), so a
# conversation can move from a provider to a gateway without losing its signatures.
_UPSTREAM: dict[Family, tuple[str, str]] = {
    "anthropic": ("anthropic", "signature"),
    "responses": ("openai", "encrypted_content"),
}


def _metadata_for(part: ReasoningPart, gateway: str, family: Family) -> Mapping[str, Any] | None:
    """The part's metadata of ``family``: the gateway's own, else a direct provider's."""
    meta = part.provider_metadata.get(gateway)
    if meta is not None and family_of(str(meta.get("format", ""))) == family:
        return meta
    upstream = _UPSTREAM.get(family)
    if upstream is not None:
        provider, required = upstream
        direct = part.provider_metadata.get(provider)
        if direct is not None and direct.get(required):
            return direct
    return None


def encode_reasoning(part: ReasoningPart, model_id: str, gateway: str) -> dict[str, Any] | str:
    """How one reasoning part goes back on an assistant message.

    A dict: the message fields to set (``reasoning_details``, and for Anthropic also
    ``reasoning``). A string: reasoning the model family cannot take back as details
    (``<thoughts>...</thoughts>``), to be added to the message text.
    """
    family, fmt = model_family(model_id)
    meta = _metadata_for(part, gateway, family)
    has_meta = meta is not None
    meta = meta or {}
    thoughts = f"<thoughts>{part.text}</thoughts>"
    # An Anthropic model's empty reasoning falls through to the generic form, as sent by
    # the reference library (and recorded).
    if family == "anthropic" and part.text:
        if not has_meta:
            return thoughts
        detail = _detail(
            format=fmt, type="reasoning.text", text=part.text, signature=meta.get("signature")
        )
        return {"reasoning_details": [detail], "reasoning": part.text}
    if family == "responses":
        if not has_meta:
            return thoughts
        details = [
            _detail(type="reasoning.summary", format=fmt, summary=summary, index=i)
            for i, summary in enumerate(cast(list[str], meta.get("summary") or []))
            if summary
        ]
        if meta.get("encrypted_content") is not None:
            details.append(
                _detail(
                    type="reasoning.encrypted",
                    format=fmt,
                    data=meta.get("encrypted_content"),
                    id=meta.get("item_id"),
                )
            )
        return {"reasoning_details": details}
    if family == "google":
        if not has_meta:
            return thoughts
        details: list[dict[str, Any]] = []
        if part.text:
            details.append(_detail(type="reasoning.text", format=fmt, text=part.text))
        details.append(
            _detail(
                type="reasoning.encrypted",
                format=fmt,
                data=meta.get("signature"),
                id=meta.get("id"),
            )
        )
        return {"reasoning_details": details}
    return {"reasoning_details": [_detail(type="reasoning.text", text=part.text, format="unknown")]}
