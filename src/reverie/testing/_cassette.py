"""go-vcr ``version: 2`` cassettes: load them into dataclasses and write them back.

The format (see ``shared/cassettes/README.md``): a top-level mapping with ``version: 2`` and
``interactions``, each with an ``id``, a ``request`` (proto, content_length, host, body, form,
headers, url, method) and a ``response`` (proto, content_length, body, headers, status, code,
duration). Bodies are text, or bytes where YAML says ``!!binary`` (Bedrock's event streams).
Loading is strict about what replay needs and lenient about the rest; a file that is not a
cassette raises :class:`~reverie.errors.CassetteFormatError` naming the file and the problem.

Writing (:func:`dump_cassette`, :func:`save_cassette`) produces what go-vcr writes — the same
field names and order, ``status: 200 OK``, Go duration strings, literal blocks for SSE,
``!!binary`` for bytes — byte for byte, through :mod:`reverie.testing._goyaml`. A file keeps
the indentation it was read with. Every interaction passes through a
:class:`~reverie.testing._redact.Redactor` on the way out: nothing that writes a cassette can
skip redaction. Fields reverie does not model (``trailer``, ``remote_addr`` ...) are kept
from the file they were read from.

PyYAML (with its C loader where available) is imported on first use.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from reverie.errors import CassetteFormatError
from reverie.testing._go import (
    format_go_duration,
    parse_go_duration,
    sorted_map,
    status_text,
)
from reverie.testing._goyaml import GO_VCR, Layout, detect_layout, dump_document
from reverie.testing._redact import Redactor

VERSION = 2
__all__ = [
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "dump_cassette",
    "format_go_duration",
    "interaction_mapping",
    "load_cassette",
    "parse_cassette",
    "parse_go_duration",
    "save_cassette",
    "status_text",
]


@dataclass(slots=True)
class RecordedRequest:
    method: str
    url: str
    body: str | bytes = ""
    headers: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    form: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    proto: str = "HTTP/1.1"
    content_length: int | None = None
    """As recorded; ``None`` writes the body's length."""
    host: str = ""


@dataclass(slots=True)
class RecordedResponse:
    status_code: int
    body: str | bytes = ""
    headers: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    status: str = ""
    """The status line text, e.g. ``"200 OK"``; empty writes the standard one for the code."""
    duration: str = ""
    """A Go duration string (``"415.440041ms"``): how long the provider took."""
    proto: str = "HTTP/1.1"
    content_length: int | None = None
    """``-1`` when the length was not known (streamed); ``None`` writes the body's length."""
    transfer_encoding: list[str] = field(default_factory=list[str])
    uncompressed: bool = False

    @property
    def content_type(self) -> str:
        for key, values in self.headers.items():
            if key.lower() == "content-type" and values:
                return values[0]
        return ""

    @property
    def duration_seconds(self) -> float:
        """The recorded duration in seconds (0 when absent or unreadable)."""
        try:
            return parse_go_duration(self.duration)
        except ValueError:
            return 0.0


@dataclass(slots=True)
class Interaction:
    request: RecordedRequest
    response: RecordedResponse
    raw: dict[str, Any] = field(default_factory=dict[str, Any], repr=False)
    """The mapping this interaction was read from (keeps fields reverie does not model)."""


@dataclass(slots=True)
class Cassette:
    interactions: list[Interaction] = field(default_factory=list[Interaction])
    path: Path | None = None
    layout: Layout = GO_VCR
    """The indentation to write with: go-vcr's, or the one the file was read with."""


# ---------------------------------------------------------------------------------------
# Loading


def load_cassette(path: str | Path) -> Cassette:
    """Read and check one cassette file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteFormatError(f"{p}: cannot read the cassette: {exc}") from exc
    cassette = parse_cassette(text, source=str(p))
    cassette.path = p
    return cassette


@functools.cache
def _loader() -> Any:
    """PyYAML's C safe loader, reading plain timestamps and ``=`` as text, as go-yaml does
    (go-yaml writes them unquoted; PyYAML's YAML 1.1 resolver would not read them back)."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    as_text = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in as_text]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("CassetteLoader", (base,), {"yaml_implicit_resolvers": resolvers})


def parse_cassette(text: str, *, source: str = "<cassette>") -> Cassette:
    """Parse cassette YAML text."""
    import yaml

    try:
        data: Any = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise CassetteFormatError(f"{source}: not valid YAML: {exc}") from exc
    except (ValueError, TypeError) as exc:  # e.g. bad !!binary payloads
        raise CassetteFormatError(f"{source}: not valid YAML: {exc}") from exc
    doc = _as_mapping(data)
    if doc is None:
        raise CassetteFormatError(f"{source}: expected a mapping with 'version' and 'interactions'")
    version = doc.get("version")
    if version != VERSION:
        raise CassetteFormatError(f"{source}: unsupported cassette version {version!r} (need 2)")
    raw_interactions: Any = doc.get("interactions")
    if raw_interactions is None:  # "interactions:" with nothing after it: an empty cassette
        raw_interactions = []
    if not isinstance(raw_interactions, list):
        raise CassetteFormatError(f"{source}: 'interactions' must be a list")
    items = cast(list[Any], raw_interactions)
    interactions = [_interaction(x, f"{source}: interaction {i}") for i, x in enumerate(items)]
    return Cassette(interactions, layout=detect_layout(text))


def _as_mapping(value: Any) -> dict[str, Any] | None:
    return cast(dict[str, Any], value) if isinstance(value, dict) else None


def _interaction(item: Any, where: str) -> Interaction:
    raw = _as_mapping(item)
    if raw is None:
        raise CassetteFormatError(f"{where}: expected a mapping")
    r = _as_mapping(raw.get("request"))
    s = _as_mapping(raw.get("response"))
    if r is None or s is None:
        raise CassetteFormatError(f"{where}: needs 'request' and 'response' mappings")
    method, url, code = r.get("method"), r.get("url"), s.get("code")
    if not isinstance(method, str) or not isinstance(url, str):
        raise CassetteFormatError(f"{where}: request needs a 'method' and a 'url'")
    if not isinstance(code, int):
        raise CassetteFormatError(f"{where}: response needs an integer 'code'")
    transfer: Any = s.get("transfer_encoding") or []
    return Interaction(
        RecordedRequest(
            method=method,
            url=url,
            body=_body(r.get("body"), f"{where}: request body"),
            headers=_headers(r.get("headers"), f"{where}: request headers"),
            form=_headers(r.get("form"), f"{where}: request form"),
            proto=str(r.get("proto") or "HTTP/1.1"),
            content_length=_int_or_none(r.get("content_length")),
            host=str(r.get("host") or ""),
        ),
        RecordedResponse(
            status_code=code,
            body=_body(s.get("body"), f"{where}: response body"),
            headers=_headers(s.get("headers"), f"{where}: response headers"),
            status=str(s.get("status") or ""),
            duration=str(s.get("duration") or ""),
            proto=str(s.get("proto") or "HTTP/1.1"),
            content_length=_int_or_none(s.get("content_length")),
            transfer_encoding=[str(v) for v in cast(list[Any], transfer)]
            if isinstance(transfer, list)
            else [str(transfer)],
            uncompressed=bool(s.get("uncompressed")),
        ),
        raw=raw,
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _body(value: Any, where: str) -> str | bytes:
    if value is None:
        return ""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, int | float | bool):  # a plain scalar go-yaml would read as text
        return str(value)
    raise CassetteFormatError(f"{where}: expected text or !!binary, got {type(value).__name__}")


def _headers(value: Any, where: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    mapping = _as_mapping(value)
    if mapping is None:
        raise CassetteFormatError(f"{where}: expected a mapping of name to list of values")
    out: dict[str, list[str]] = {}
    for key, values in mapping.items():
        if isinstance(values, list):
            out[str(key)] = [str(v) for v in cast(list[Any], values)]
        else:
            out[str(key)] = [str(values)]
    return out


# ---------------------------------------------------------------------------------------
# Writing

# go-vcr's struct field order; the optional ones are written only when set (omitempty) or
# when the file they were read from had them.
_REQUEST_ORDER = (
    "proto",
    "proto_major",
    "proto_minor",
    "content_length",
    "transfer_encoding",
    "trailer",
    "host",
    "remote_addr",
    "request_uri",
    "body",
    "form",
    "headers",
    "url",
    "method",
)
_RESPONSE_ORDER = (
    "proto",
    "proto_major",
    "proto_minor",
    "transfer_encoding",
    "trailer",
    "content_length",
    "uncompressed",
    "body",
    "headers",
    "status",
    "code",
    "duration",
)
_OPTIONAL = frozenset(
    {"transfer_encoding", "trailer", "remote_addr", "request_uri", "form", "uncompressed"}
)


def dump_cassette(cassette: Cassette, redactor: Redactor | None = None) -> str:
    """The cassette as go-vcr YAML text, every interaction redacted by ``redactor``
    (the default :class:`~reverie.testing._redact.Redactor` when none is given)."""
    items = [interaction_mapping(i, n) for n, i in enumerate(cassette.interactions)]
    items = (redactor or Redactor()).redact_interactions(items)
    return dump_document({"version": VERSION, "interactions": items}, cassette.layout)


def save_cassette(
    cassette: Cassette, path: str | Path | None = None, *, redactor: Redactor | None = None
) -> Path:
    """Write ``cassette`` (redacted) to ``path`` or its own path; returns the path.

    The file is replaced atomically, so an interrupted save never leaves half a cassette.
    """
    target = Path(path) if path is not None else cassette.path
    if target is None:
        raise ValueError("the cassette has no path: pass one to save_cassette")
    text = dump_cassette(cassette, redactor)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    cassette.path = target
    return target


def interaction_mapping(interaction: Interaction, index: int) -> dict[str, Any]:
    """The go-vcr mapping for one interaction (unredacted), ``id`` set to ``index``."""
    raw_req: dict[str, Any] = interaction.raw.get("request") or {}
    raw_resp: dict[str, Any] = interaction.raw.get("response") or {}
    req, resp = interaction.request, interaction.response
    req_major, req_minor = _proto_version(req.proto)
    resp_major, resp_minor = _proto_version(resp.proto)
    request = _ordered(
        {
            "proto": req.proto,
            "proto_major": req_major,
            "proto_minor": req_minor,
            "content_length": _length(req.content_length, req.body),
            "host": req.host,
            "body": req.body,
            "form": sorted_map(req.form),
            "headers": sorted_map(req.headers),
            "url": req.url,
            "method": req.method,
        },
        raw_req,
        _REQUEST_ORDER,
    )
    response = _ordered(
        {
            "proto": resp.proto,
            "proto_major": resp_major,
            "proto_minor": resp_minor,
            "transfer_encoding": list(resp.transfer_encoding),
            "content_length": _length(resp.content_length, resp.body),
            "uncompressed": resp.uncompressed,
            "body": resp.body,
            "headers": sorted_map(resp.headers),
            "status": resp.status or status_text(resp.status_code),
            "code": resp.status_code,
            "duration": resp.duration or "0s",
        },
        raw_resp,
        _RESPONSE_ORDER,
    )
    out: dict[str, Any] = {"id": index, "request": request, "response": response}
    for key, value in interaction.raw.items():
        if key not in out:
            out[key] = value
    return out


def _ordered(values: dict[str, Any], raw: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in order:
        if key in values:
            value = values[key]
            if key in _OPTIONAL and not value and key not in raw:
                continue
            out[key] = value
        elif key in raw:
            out[key] = raw[key]
    for key, value in raw.items():
        if key not in out and key not in values:
            out[key] = value
    return out


def _length(recorded: int | None, body: str | bytes) -> int:
    if recorded is not None:
        return recorded
    return len(body.encode("utf-8") if isinstance(body, str) else body)


def _proto_version(proto: str) -> tuple[int, int]:
    m = re.fullmatch(r"HTTP/(\d+)(?:\.(\d+))?", proto)
    if not m:
        return 1, 1
    return int(m.group(1)), int(m.group(2) or 0)
