"""``reverie models``: the providers reverie knows and how each is configured."""

from __future__ import annotations

from reverie.providers import providers


def list_models() -> int:
    rows = [("provider", "key variable", "default endpoint", "")]
    for info in providers():
        rows.append(
            (info.name, info.key_env or "-", info.base_url or "(base_url=...)", info.description)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    print("\nUse a model as 'provider:model-id', e.g. reverie.Agent('openai:gpt-4o').")
    return 0
