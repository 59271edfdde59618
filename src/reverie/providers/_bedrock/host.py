"""The Bedrock host as the registry builds it from a provider's options and environment;
shared by the chat factories (invoke and Converse) and the embedding factory."""

from __future__ import annotations

import os

from reverie.providers._anthropic.hosts import Bedrock
from reverie.providers._registry import resolve_key


def bedrock_host(
    name: str, api_key: str | None, base_url: str | None, region: str | None
) -> Bedrock:
    """The Bedrock host: a bearer API key (``AWS_BEARER_TOKEN_BEDROCK``) when there is one,
    else SigV4 with the AWS credential chain (needs botocore: ``pip install
    'reverie[bedrock]'``)."""
    region = (
        region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    key = resolve_key(name, "AWS_BEARER_TOKEN_BEDROCK", api_key, False)
    url = base_url or os.environ.get("BEDROCK_BASE_URL")
    return Bedrock(region=region, base_url=url, api_key=key, name=name)
