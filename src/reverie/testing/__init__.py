"""Testing agents offline: cassettes (recorded provider traffic) and the pytest plugin.

The names below load on first use, so ``import reverie.testing`` (which the pytest plugin
does at pytest start-up) pulls in no HTTP or YAML code. See ``docs/testing.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reverie.testing._cassette import (
        Cassette,
        Interaction,
        RecordedRequest,
        RecordedResponse,
        dump_cassette,
        load_cassette,
        save_cassette,
    )
    from reverie.testing._redact import Redactor
    from reverie.testing._transport import CassetteTransport, RecordMode

_EXPORTS = {
    "Cassette": "reverie.testing._cassette",
    "CassetteTransport": "reverie.testing._transport",
    "Interaction": "reverie.testing._cassette",
    "RecordMode": "reverie.testing._transport",
    "RecordedRequest": "reverie.testing._cassette",
    "RecordedResponse": "reverie.testing._cassette",
    "Redactor": "reverie.testing._redact",
    "dump_cassette": "reverie.testing._cassette",
    "load_cassette": "reverie.testing._cassette",
    "save_cassette": "reverie.testing._cassette",
}

__all__ = [
    "Cassette",
    "CassetteTransport",
    "Interaction",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "Redactor",
    "dump_cassette",
    "load_cassette",
    "save_cassette",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reverie.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
