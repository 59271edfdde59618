"""Bedrock's embedding models, pure: the invoke bodies of Titan and Cohere embed.

``POST /model/{id}/invoke`` (signed like every Bedrock request by the ``Bedrock`` host).

- Amazon Titan Text Embeddings (``amazon.titan-embed-text-v1`` / ``-v2:0``): one text per
  request, ``{"inputText", "dimensions"?, "normalize"?}`` (dimensions and normalize on v2
  only: 256, 512 or 1024) → ``{"embedding", "inputTextTokenCount"}``.
- Cohere Embed (``cohere.embed-english-v3``, ``-multilingual-v3``, ``cohere.embed-v4:0``): up
  to 96 texts, ``{"texts", "input_type", "truncate"?, "embedding_types": ["float"],
  "output_dimension"? (v4)}`` → ``{"embeddings": {"float": [...]}}`` (or a bare list of
  vectors). ``input_type`` is required: the ``task_type`` setting maps to it
  (``RETRIEVAL_QUERY`` → ``search_query``, ``CLASSIFICATION`` → ``classification``,
  ``CLUSTERING`` → ``clustering``, anything else → ``search_document``), or the option
  ``input_type`` sets it. Token counts, which Bedrock reports for Cohere only in a response
  header, are read from ``meta.billed_units`` when the body has them.

Options (``provider_options["bedrock"]``): ``normalize`` (Titan v2), ``input_type`` and
``truncate`` (Cohere).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie._embedding_model import EmbeddingBatch, EmbedSettings
from reverie._redact import excerpt
from reverie.errors import ConfigurationError, ProtocolError
from reverie.model import CallWarning, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._embedding import option, vectors_of

COHERE_BATCH = 96
_COHERE_TYPES = {
    "RETRIEVAL_QUERY": "search_query",
    "QUESTION_ANSWERING": "search_query",
    "CODE_RETRIEVAL_QUERY": "search_query",
    "CLASSIFICATION": "classification",
    "CLUSTERING": "clustering",
}


class TitanEmbeddingWire:
    max_batch_size = 1

    def __init__(self, model_id: str, name: str = "bedrock") -> None:
        self.model_id = model_id
        self.name = name
        self.v2 = "titan-embed-text-v2" in model_id

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"inputText": texts[0]}
        normalize = option(settings, (self.name, "bedrock"), "normalize")
        for setting, value in (("dimensions", settings.dimensions), ("normalize", normalize)):
            if value is None:
                continue
            if self.v2:
                body[setting] = value
            else:
                warnings.append(_unsupported(setting, f"{self.model_id} takes no {setting}"))
        if settings.task_type is not None:
            warnings.append(_unsupported("task_type", "Titan embeddings take no task_type"))
        return "invoke", body

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        vector = vectors_of(data.get("embedding"), "the embedding", self.name)
        tokens = untrusted.count(data.get("inputTextTokenCount"))
        return EmbeddingBatch([vector], Usage(input_tokens=tokens, total_tokens=tokens))


class CohereEmbeddingWire:
    max_batch_size = COHERE_BATCH

    def __init__(self, model_id: str, name: str = "bedrock") -> None:
        self.model_id = model_id
        self.name = name

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        names = (self.name, "bedrock")
        input_type = option(settings, names, "input_type") or _COHERE_TYPES.get(
            (settings.task_type or "").upper(), "search_document"
        )
        body: dict[str, Any] = {
            "texts": list(texts),
            "input_type": input_type,
            "embedding_types": ["float"],
        }
        truncate = option(settings, names, "truncate")
        if truncate is not None:
            body["truncate"] = truncate
        if settings.dimensions is not None:
            if "embed-v4" in self.model_id:
                body["output_dimension"] = settings.dimensions
            else:
                warnings.append(_unsupported("dimensions", f"{self.model_id} takes no dimensions"))
        return "invoke", body

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        embeddings: Any = data.get("embeddings")
        if isinstance(embeddings, dict):
            embeddings = cast(dict[str, Any], embeddings).get("float")
        if not isinstance(embeddings, list):
            shown = excerpt(str(dict(data)), 300)
            raise ProtocolError(
                f"{self.name}: the answer has no float embeddings: {shown}", line=shown
            )
        vectors = [vectors_of(v, "an embedding", self.name) for v in cast(list[Any], embeddings)]
        billed = untrusted.mapping(untrusted.mapping(data.get("meta")).get("billed_units"))
        tokens = untrusted.count(billed.get("input_tokens"))
        extra = {"id": data["id"]} if data.get("id") else {}
        return EmbeddingBatch(
            vectors,
            Usage(input_tokens=tokens, total_tokens=tokens),
            provider_metadata={self.name: extra} if extra else {},
        )


def bedrock_embedding_wire(
    model_id: str, name: str = "bedrock"
) -> TitanEmbeddingWire | CohereEmbeddingWire:
    """The wire of a Bedrock embedding model id (inference profiles and ARNs included)."""
    lowered = model_id.lower()
    if "titan-embed-text" in lowered:
        return TitanEmbeddingWire(model_id, name)
    if "cohere.embed" in lowered:
        return CohereEmbeddingWire(model_id, name)
    raise ConfigurationError(
        f"{model_id!r} is not a Bedrock embedding model reverie knows: use an Amazon Titan "
        "text embeddings model (amazon.titan-embed-text-v2:0) or Cohere Embed "
        "(cohere.embed-english-v3, cohere.embed-multilingual-v3, cohere.embed-v4:0)"
    )


def _unsupported(setting: str, message: str) -> CallWarning:
    return CallWarning("unsupported-setting", message + "; ignored", setting)
