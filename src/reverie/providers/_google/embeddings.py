"""Google's embedding wires, pure: the Gemini API and Vertex AI.

Gemini API (``{base}/models/{model}``, the chat models' host): one text → ``:embedContent``
``{"content": {"parts": [{"text"}]}, "taskType"?, "title"?, "outputDimensionality"?}``
answered with ``{"embedding": {"values"}}``; several → ``:batchEmbedContents``
``{"requests": [...]}`` (each request as above plus ``"model": "models/<id>"``, at most 100)
answered with ``{"embeddings": [{"values"}]}``. Usage, when the answer has
``usageMetadata``.

Vertex AI (``.../publishers/google/models/{model}``): ``:predict`` ``{"instances":
[{"content", "task_type"?, "title"?}], "parameters": {"outputDimensionality"?,
"autoTruncate"?}}`` answered with ``predictions[].embeddings`` (``values`` and
``statistics.token_count``, summed as usage); at most 250 instances, and one for the
``gemini-embedding`` models.

Options (``provider_options["google"]``, and the provider's own name): ``title`` (for
``RETRIEVAL_DOCUMENT``), ``task_type`` (instead of the setting), ``auto_truncate`` (Vertex).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie._embedding_model import EmbeddingBatch, EmbedSettings
from reverie._redact import excerpt
from reverie.errors import ProtocolError
from reverie.model import CallWarning, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._embedding import option, vectors_of

GEMINI_BATCH = 100
VERTEX_BATCH = 250


def _missing(provider: str, what: str, data: Mapping[str, Any]) -> ProtocolError:
    shown = excerpt(str(dict(data)), 300)
    return ProtocolError(f"{provider}: the answer has no {what}: {shown}", line=shown)


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [cast(dict[str, Any], v) for v in cast(list[Any], value) if isinstance(v, dict)]


class GeminiEmbeddingWire:
    """The Gemini API's ``embedContent`` / ``batchEmbedContents``."""

    max_batch_size = GEMINI_BATCH

    def __init__(self, model_id: str, name: str = "google") -> None:
        self.model_id = model_id.removeprefix("models/")
        self.name = name

    def _request(self, text: str, settings: EmbedSettings) -> dict[str, Any]:
        names = (self.name, "google")
        request: dict[str, Any] = {"content": {"parts": [{"text": text}]}}
        task = option(settings, names, "task_type") or settings.task_type
        if task:
            request["taskType"] = task
        title = option(settings, names, "title")
        if title:
            request["title"] = title
        if settings.dimensions is not None:
            request["outputDimensionality"] = settings.dimensions
        return request

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        if len(texts) == 1:
            return "embedContent", self._request(texts[0], settings)
        model = f"models/{self.model_id}"
        requests = [{"model": model, **self._request(t, settings)} for t in texts]
        return "batchEmbedContents", {"requests": requests}

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        single: Any = data.get("embedding")
        if isinstance(single, dict):
            rows = [cast(dict[str, Any], single)]
        elif isinstance(data.get("embeddings"), list):
            rows = _dicts(data["embeddings"])
        else:
            raise _missing(self.name, "embeddings", data)
        vectors = [vectors_of(r.get("values"), "an embedding", self.name) for r in rows]
        usage = untrusted.mapping(data.get("usageMetadata"))
        tokens = untrusted.count(usage.get("promptTokenCount"))
        return EmbeddingBatch(vectors, Usage(input_tokens=tokens, total_tokens=tokens))


class VertexEmbeddingWire:
    """Vertex AI's ``predict`` for the text embedding models."""

    def __init__(self, model_id: str, name: str = "vertex") -> None:
        self.model_id = model_id
        self.name = name
        # Vertex serves the gemini-embedding models one text per request.
        self.max_batch_size = 1 if "gemini-embedding" in model_id else VERTEX_BATCH

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        names = (self.name, "google")
        task = option(settings, names, "task_type") or settings.task_type
        title = option(settings, names, "title")
        instances: list[dict[str, Any]] = []
        for text in texts:
            instance: dict[str, Any] = {"content": text}
            if task:
                instance["task_type"] = task
            if title:
                instance["title"] = title
            instances.append(instance)
        body: dict[str, Any] = {"instances": instances}
        parameters: dict[str, Any] = {}
        if settings.dimensions is not None:
            parameters["outputDimensionality"] = settings.dimensions
        truncate = option(settings, names, "auto_truncate")
        if truncate is not None:
            parameters["autoTruncate"] = bool(truncate)
        if parameters:
            body["parameters"] = parameters
        return "predict", body

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        predictions = data.get("predictions")
        if not isinstance(predictions, list):
            raise _missing(self.name, "predictions", data)
        vectors: list[list[float]] = []
        tokens = 0
        truncated = 0
        for prediction in _dicts(predictions):
            embedding = untrusted.mapping(prediction.get("embeddings"))
            vectors.append(vectors_of(embedding.get("values"), "an embedding", self.name))
            stats = untrusted.mapping(embedding.get("statistics"))
            tokens += untrusted.count(stats.get("token_count"))
            truncated += stats.get("truncated") is True
        meta: dict[str, Any] = {}
        metadata: Any = data.get("metadata")
        if isinstance(metadata, dict) and "billableCharacterCount" in metadata:
            meta["billable_character_count"] = cast(dict[str, Any], metadata)[
                "billableCharacterCount"
            ]
        if truncated:
            meta["truncated_inputs"] = truncated
        return EmbeddingBatch(
            vectors,
            Usage(input_tokens=tokens, total_tokens=tokens),
            provider_metadata={self.name: meta} if meta else {},
        )
