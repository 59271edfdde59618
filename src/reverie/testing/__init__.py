"""Testing agents offline: a scripted model, cassettes (recorded provider traffic) and the
pytest plugin (:mod:`reverie.testing.pytest_plugin`, registered with pytest on install).

- :class:`FakeModel` answers from a script, with no HTTP;
- :class:`CassetteTransport` records and replays a real provider's HTTP traffic;
  :class:`Redactor` decides what never reaches a cassette (its defaults:
  :data:`DEFAULT_HEADERS` kept, :data:`DEFAULT_QUERY_PARAMS` and :data:`DEFAULT_JSON_FIELDS`
  redacted);
- :class:`CassetteSession` is what the ``reverie_cassette`` fixture gives a test.

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
    from reverie.testing._fake import FakeModel
    from reverie.testing._redact import (
        DEFAULT_HEADERS,
        DEFAULT_JSON_FIELDS,
        DEFAULT_QUERY_PARAMS,
        Redactor,
    )
    from reverie.testing._transport import CassetteTransport, RecordMode
    from reverie.testing.pytest_plugin import CassetteSession

_EXPORTS = {
    "Cassette": "reverie.testing._cassette",
    "CassetteSession": "reverie.testing.pytest_plugin",
    "DEFAULT_HEADERS": "reverie.testing._redact",
    "DEFAULT_JSON_FIELDS": "reverie.testing._redact",
    "DEFAULT_QUERY_PARAMS": "reverie.testing._redact",
    "FakeModel": "reverie.testing._fake",
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
    "DEFAULT_HEADERS",
    "DEFAULT_JSON_FIELDS",
    "DEFAULT_QUERY_PARAMS",
    "Cassette",
    "CassetteSession",
    "CassetteTransport",
    "FakeModel",
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
