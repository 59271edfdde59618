"""The OpenAI embeddings wire, pure: ``POST {base}/embeddings``.

Spoken by OpenAI, Azure OpenAI (``/openai/v1/embeddings``, the deployment name as
``model``) and every OpenAI-compatible server (llama.cpp, vLLM, Ollama, LM Studio, Mistral,
Together, ...). Request: ``{"model", "input": [texts], "dimensions"?}`` plus the options
``user`` and ``extra_body``. Answer: ``data[].embedding`` (put back in ``index`` order; a
base64 string of little-endian float32, which some servers send, is decoded too) and
``usage.prompt_tokens``. OpenAI takes up to 2048 inputs per request.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie._embedding_model import EmbeddingBatch, EmbedSettings
from reverie._redact import excerpt
from reverie.errors import ProtocolError
from reverie.model import CallWarning, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._embedding import option, vectors_of

MAX_INPUTS = 2048


class OpenAIEmbeddingWire:
    """``name`` keys the provider options read (also ``"openai"``) and the metadata."""

    def __init__(self, model_id: str, name: str = "openai", max_batch_size: int = MAX_INPUTS):
        self.model_id = model_id
        self.name = name
        self.max_batch_size = max_batch_size

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"model": self.model_id, "input": list(texts)}
        if settings.dimensions is not None:
            body["dimensions"] = settings.dimensions
        if settings.task_type is not None:
            warnings.append(
                CallWarning(
                    "unsupported-setting",
                    f"{self.name} embeddings take no task_type; ignored",
                    "task_type",
                )
            )
        names = (self.name, "openai")
        user = option(settings, names, "user")
        if user is not None:
            body["user"] = user
        extra = option(settings, names, "extra_body")
        if isinstance(extra, Mapping):
            body.update(cast(Mapping[str, Any], extra))
        return "embeddings", body

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        items: Any = data.get("data")
        if not isinstance(items, list):
            shown = excerpt(str(dict(data)), 300)
            raise ProtocolError(f"{self.name}: the answer has no embeddings: {shown}", line=shown)
        rows = [cast(dict[str, Any], i) for i in cast(list[Any], items) if isinstance(i, dict)]
        rows.sort(key=lambda row: untrusted.index(row.get("index")) or 0)
        vectors = [self._vector(row.get("embedding")) for row in rows]
        usage = untrusted.mapping(data.get("usage"))
        tokens = untrusted.count(usage.get("prompt_tokens"))
        total = untrusted.count(usage.get("total_tokens")) or tokens
        meta = {"model": data["model"]} if data.get("model") else {}
        return EmbeddingBatch(
            vectors,
            Usage(input_tokens=tokens, total_tokens=total),
            provider_metadata={self.name: meta} if meta else {},
        )

    def _vector(self, value: Any) -> list[float]:
        if isinstance(value, str):
            try:
                raw = base64.b64decode(value, validate=True)
            except binascii.Error:
                # Raised outside the except: the error would chain the whole vector's text.
                raw = None
            if raw is None:
                raise ProtocolError(f"{self.name}: an embedding is not base64")
            if len(raw) % 4:
                raise ProtocolError(f"{self.name}: a base64 embedding is not float32 values")
            return list(struct.unpack(f"<{len(raw) // 4}f", raw))
        return vectors_of(value, "an embedding", self.name)
