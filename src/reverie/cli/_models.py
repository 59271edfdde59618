"""``reverie models``: the providers reverie knows and how each is configured."""

from __future__ import annotations

import argparse
import os

from reverie.cli._main import cli_hint
from reverie.providers import ProviderInfo, providers


def _endpoint(info: ProviderInfo) -> str:
    if info.name == "local":
        from reverie.providers._local.files import engine_available, find_model

        ready = engine_available() and find_model("smollm2") is not None
        return "in-process llama.cpp" + ("" if ready else " (not installed: uv sync)")
    env_url = os.environ.get(info.base_url_env) if info.base_url_env else None
    if env_url or info.base_url:
        return env_url or info.base_url or ""
    return f"(--base-url or {info.base_url_env})" if info.base_url_env else "(--base-url)"


def _key(info: ProviderInfo) -> str:
    if not info.key_env:
        return "- (none needed)" if info.name == "local" else "-"
    return info.key_env + (" (set)" if os.environ.get(info.key_env) else "")


def _extras(info: ProviderInfo) -> str:
    """``embed`` when the provider has embedding models, ``count`` when it counts tokens."""
    marks = ["embed" if info.embedding_factory else "", "count" if info.token_counting else ""]
    return " ".join(m for m in marks if m) or "-"


def list_models() -> int:
    rows = [("provider", "key variable", "endpoint", "also", "")]
    rows += [
        (i.name, _key(i), _endpoint(i), _extras(i), cli_hint(i.description)) for i in providers()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    print(
        "\nUse a model as 'provider:model-id': reverie.Agent('openai:gpt-4o'), or\n"
        'reverie run -m openai:gpt-4o "...". With no -m, reverie run uses $REVERIE_MODEL, a\n'
        "provider whose key is set, else local:smollm2 (no key, no network).\n"
        "also: embed = embedding models (reverie.embeddings.embed); count = a token counting\n"
        "endpoint (reverie.tokens.count_tokens; elsewhere counts are local estimates)."
    )
    return 0


def main(args: argparse.Namespace) -> int:
    return list_models()
