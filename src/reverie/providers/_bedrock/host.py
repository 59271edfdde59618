"""Bedrock's hosts as the registry builds them from a provider's options and environment:
the invoke host (Claude's Anthropic body, the embedding models) and the Converse host,
which signs the same way and differs in its operations, its stream framing and its token
counting body."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reverie.providers import _counting
from reverie.providers._anthropic.hosts import Bedrock
from reverie.providers._eventstream import ConverseFraming
from reverie.providers._host import Framing
from reverie.providers._registry import resolve_key


class ConverseHost(Bedrock):
    """``POST {base_url}/model/{escaped id}/converse`` (``/converse-stream``), authorised
    as every Bedrock request is (:class:`~reverie.providers._anthropic.hosts.Bedrock`)."""

    actions = ("converse", "converse-stream")

    def framing(self) -> Framing:
        """ConverseStream frames name their event in a header: ``{event type: payload}``."""
        return ConverseFraming(self.name)

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any]:
        """CountTokens takes the Converse fields that make the input."""
        return _counting.converse_body(body)


def bedrock_host(
    name: str,
    api_key: str | None,
    base_url: str | None,
    region: str | None,
    *,
    converse: bool = False,
) -> Bedrock:
    """The Bedrock host (``converse``: the Converse one): a bearer API key
    (``AWS_BEARER_TOKEN_BEDROCK``) when there is one, else SigV4 with the AWS credential
    chain (needs botocore: ``pip install 'reverie[bedrock]'``). The region is ``region``,
    else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, ``us-east-1``."""
    region = (
        region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    key = resolve_key(name, "AWS_BEARER_TOKEN_BEDROCK", api_key, False)
    url = base_url or os.environ.get("BEDROCK_BASE_URL")
    kind = ConverseHost if converse else Bedrock
    return kind(region=region, base_url=url, api_key=key, name=name)
