"""go-vcr ``version: 2`` cassettes: load them into plain dataclasses.

The format (see ``shared/cassettes/README.md``): a top-level mapping with ``version: 2`` and
``interactions``, each with a ``request`` (method, url, body, headers) and a ``response``
(body, headers, status, code, duration). Bodies are text, or bytes where YAML says
``!!binary`` (Bedrock's event streams). Loading is strict about what replay needs and
lenient about the rest; a file that is not a cassette raises
:class:`~reverie.errors.CassetteFormatError` naming the file and the problem.

PyYAML (with its C loader where available) is imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from reverie.errors import CassetteFormatError


@dataclass(slots=True)
class RecordedRequest:
    method: str
    url: str
    body: str | bytes = ""
    headers: dict[str, list[str]] = field(default_factory=dict[str, list[str]])


@dataclass(slots=True)
class RecordedResponse:
    status_code: int
    body: str | bytes = ""
    headers: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    status: str = ""
    duration: str = ""

    @property
    def content_type(self) -> str:
        for key, values in self.headers.items():
            if key.lower() == "content-type" and values:
                return values[0]
        return ""


@dataclass(slots=True)
class Interaction:
    request: RecordedRequest
    response: RecordedResponse
    raw: dict[str, Any] = field(default_factory=dict[str, Any], repr=False)


@dataclass(slots=True)
class Cassette:
    interactions: list[Interaction]
    path: Path | None = None


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


def parse_cassette(text: str, *, source: str = "<cassette>") -> Cassette:
    """Parse cassette YAML text."""
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data: Any = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise CassetteFormatError(f"{source}: not valid YAML: {exc}") from exc
    except (ValueError, TypeError) as exc:  # e.g. bad !!binary payloads
        raise CassetteFormatError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CassetteFormatError(f"{source}: expected a mapping with 'version' and 'interactions'")
    data = cast(dict[str, Any], data)
    version: Any = data.get("version")
    if version != 2:
        raise CassetteFormatError(f"{source}: unsupported cassette version {version!r} (need 2)")
    raw_interactions: Any = data.get("interactions")
    if not isinstance(raw_interactions, list):
        raise CassetteFormatError(f"{source}: 'interactions' must be a list")
    interactions: list[Interaction] = []
    for i, item in enumerate(cast(list[Any], raw_interactions)):
        interactions.append(_interaction(item, f"{source}: interaction {i}"))
    return Cassette(interactions)


def _interaction(item: Any, where: str) -> Interaction:
    if not isinstance(item, dict):
        raise CassetteFormatError(f"{where}: expected a mapping")
    item = cast(dict[str, Any], item)
    req: Any = item.get("request")
    resp: Any = item.get("response")
    if not isinstance(req, dict) or not isinstance(resp, dict):
        raise CassetteFormatError(f"{where}: needs 'request' and 'response' mappings")
    req, resp = cast(dict[str, Any], req), cast(dict[str, Any], resp)
    method: Any = req.get("method")
    url: Any = req.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise CassetteFormatError(f"{where}: request needs a 'method' and a 'url'")
    code: Any = resp.get("code")
    if not isinstance(code, int):
        raise CassetteFormatError(f"{where}: response needs an integer 'code'")
    return Interaction(
        RecordedRequest(
            method=method,
            url=url,
            body=_body(req.get("body"), f"{where}: request body"),
            headers=_headers(req.get("headers"), f"{where}: request headers"),
        ),
        RecordedResponse(
            status_code=code,
            body=_body(resp.get("body"), f"{where}: response body"),
            headers=_headers(resp.get("headers"), f"{where}: response headers"),
            status=str(resp.get("status") or ""),
            duration=str(resp.get("duration") or ""),
        ),
        raw=item,
    )


def _body(value: Any, where: str) -> str | bytes:
    if value is None:
        return ""
    if isinstance(value, str | bytes):
        return value
    raise CassetteFormatError(f"{where}: expected text or !!binary, got {type(value).__name__}")


def _headers(value: Any, where: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CassetteFormatError(f"{where}: expected a mapping of name to list of values")
    out: dict[str, list[str]] = {}
    for key, values in cast(dict[Any, Any], value).items():
        if isinstance(values, list):
            out[str(key)] = [str(v) for v in cast(list[Any], values)]
        else:
            out[str(key)] = [str(values)]
    return out
