"""The embedding model contract: what :func:`reverie.embeddings.embed_many` asks of a model,
and what one request gives back. Public through :mod:`reverie.embeddings`; here, below the
providers, so that their wires can build these types without importing the public module
that resolves providers by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from reverie.content import ProviderData
from reverie.model import CallWarning, Usage

__all__ = ["EmbedSettings", "EmbeddingBatch", "EmbeddingModel"]


@dataclass(frozen=True, slots=True)
class EmbedSettings:
    """What one embedding request asks for besides the texts (None: not set, left out)."""

    dimensions: int | None = None
    task_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    provider_options: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


@dataclass(frozen=True, slots=True)
class EmbeddingBatch:
    """One request's answer: a vector per text, in order, and what it cost."""

    vectors: list[list[float]]
    usage: Usage = field(default_factory=Usage)
    warnings: tuple[CallWarning, ...] = ()
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


@runtime_checkable
class EmbeddingModel(Protocol):
    """What :func:`embed_many` needs: a name, a batch limit, and one request's worth."""

    @property
    def provider(self) -> str: ...

    @property
    def model_id(self) -> str: ...

    @property
    def max_batch_size(self) -> int:
        """The most texts one request may carry."""
        ...

    async def embed_batch(self, texts: Sequence[str], settings: EmbedSettings) -> EmbeddingBatch:
        """Embed at most :attr:`max_batch_size` texts in one request; failures raise
        ``ReverieError``."""
        ...
