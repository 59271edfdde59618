"""What may reach a cassette file: redaction, applied by the writer to every interaction.

The writer (:func:`reverie.testing._cassette.dump_cassette`) runs every interaction through a
:class:`Redactor` on its way to text, so nothing that saves a cassette — a recording, a
partial replay that recorded new episodes, a user rewriting a file — can skip it. It:

* keeps only allow-listed headers (``Accept``, ``Content-Type``, ``User-Agent`` by default,
  as go-vcr's recorder did for the corpus), on requests and responses;
* replaces the value of secret query parameters (``?key=...``, ``api_key`` ...) in URLs and
  in the recorded ``form``;
* replaces the value of secret fields in JSON text (``"api_key": "..."`` ...), wherever it
  appears in a body, without re-serialising the JSON;
* replaces every occurrence of a secret *value* anywhere in the file: values the caller
  configured, the values of the credential headers it drops (``Authorization: Bearer sk-...``
  makes ``sk-...`` a secret for the whole cassette), and — unless turned off — the values of
  environment variables that name a key or token (``OPENAI_API_KEY``, ``HF_TOKEN`` ...).

Replay applies the same URL and body rules to the live request before matching it, so a
request that carried a key still matches its redacted recording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote

from reverie._redact import env_secrets

PLACEHOLDER = "REDACTED"
DEFAULT_HEADERS: tuple[str, ...] = ("Accept", "Content-Type", "User-Agent")
DEFAULT_QUERY_PARAMS: tuple[str, ...] = (
    "key",
    "api_key",
    "apikey",
    "api-key",
    "access_token",
    "token",
)
DEFAULT_JSON_FIELDS: tuple[str, ...] = (
    "api_key",
    "apiKey",
    "api-key",
    "x-api-key",
    "access_token",
    "accessToken",
    "client_secret",
    "secret_key",
)
# Headers whose values are credentials: dropped (unless allow-listed) and scrubbed everywhere.
_CREDENTIAL_HEADER = re.compile(r"auth|key|token|secret|signature|credential", re.IGNORECASE)
_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|Key)\s+", re.IGNORECASE)
# Shorter values are too likely to occur by chance (and too weak to be real keys).
MIN_SECRET_LENGTH = 8


@dataclass(frozen=True)
class Redactor:
    """The redaction rules. Extend the defaults rather than replace them::

    Redactor(keep_headers=(*DEFAULT_HEADERS, "X-Request-Id"), secrets=[my_key])
    """

    keep_headers: tuple[str, ...] = DEFAULT_HEADERS
    query_params: tuple[str, ...] = DEFAULT_QUERY_PARAMS
    json_fields: tuple[str, ...] = DEFAULT_JSON_FIELDS
    secrets: tuple[str, ...] = ()
    secrets_from_env: bool = True
    placeholder: str = PLACEHOLDER
    _keep: frozenset[str] = field(init=False, repr=False, compare=False)
    _query: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _json: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keep", frozenset(h.lower() for h in self.keep_headers))
        query = "|".join(re.escape(p) for p in self.query_params)
        object.__setattr__(
            self,
            "_query",
            re.compile(rf"([?&;](?:{query})=)[^&#;]*", re.IGNORECASE) if query else None,
        )
        names = "|".join(re.escape(f) for f in self.json_fields)
        # "name": "value" in JSON text (escaped quotes inside the value included).
        object.__setattr__(
            self,
            "_json",
            re.compile(rf'("(?:{names})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
            if names
            else None,
        )

    # -- pieces ---------------------------------------------------------------------------

    def keeps_header(self, name: str) -> bool:
        return name.lower() in self._keep

    def credential_values(self, headers: Mapping[str, Iterable[str]]) -> list[str]:
        """The secrets carried by the credential headers among ``headers``."""
        found: list[str] = []
        for name, values in headers.items():
            if self.keeps_header(name) or not _CREDENTIAL_HEADER.search(name):
                continue
            for value in values:
                secret = _SCHEME.sub("", value.strip())
                if len(secret) >= MIN_SECRET_LENGTH:
                    found.append(secret)
        return found

    def all_secrets(self, extra: Iterable[str] = ()) -> list[str]:
        """Configured, extra and (if enabled) environment secrets, longest first, so a key
        that contains another is replaced whole."""
        values = {s for s in (*self.secrets, *extra) if s}
        if self.secrets_from_env:
            values.update(env_secrets())
        variants = set(values)
        for s in values:
            variants.add(quote(s, safe=""))  # as it would appear URL-encoded
        return sorted(variants, key=len, reverse=True)

    def redact_url(self, url: str) -> str:
        return self._query.sub(rf"\g<1>{self.placeholder}", url) if self._query else url

    def redact_text(self, text: str, secrets: Iterable[str] = ()) -> str:
        """Secret JSON fields, then secret values, replaced in ``text``."""
        if self._json is not None and '"' in text:
            text = self._json.sub(rf'\g<1>"{self.placeholder}"', text)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, self.placeholder)
        return text

    def redact_body(self, body: str | bytes, secrets: Iterable[str] = ()) -> str | bytes:
        if isinstance(body, str):
            return self.redact_text(body, secrets)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            placeholder = self.placeholder.encode()
            for secret in secrets:
                body = body.replace(secret.encode(), placeholder)
            return body
        redacted = self.redact_text(text, secrets)
        return body if redacted == text else redacted.encode("utf-8")

    def scrub(self, value: Any, secrets: list[str]) -> Any:
        """``value`` (any YAML tree) with every secret value replaced."""
        if isinstance(value, str):
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, self.placeholder)
            return value
        if isinstance(value, bytes):
            return self.redact_body(value, secrets) if secrets else value
        if isinstance(value, dict):
            return {k: self.scrub(v, secrets) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, list):
            return [self.scrub(v, secrets) for v in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    # -- whole interactions (as the YAML mappings the writer builds) ----------------------

    def redact_interactions(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Redacted copies of go-vcr interaction mappings (``{"id", "request", "response"}``).

        Secrets found in any interaction's credential headers are scrubbed from all of them.
        """
        found: list[str] = []
        for item in items:
            for part in ("request", "response"):
                headers = item.get(part, {}).get("headers")
                if isinstance(headers, dict):
                    found.extend(self.credential_values(_header_lists(headers)))  # pyright: ignore[reportUnknownArgumentType]
        secrets = self.all_secrets(found)
        return [self._redact_item(item, secrets) for item in items]

    def _placeholders(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.placeholder] * len(cast(list[Any], value))
        return self.placeholder

    def _redact_item(self, item: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
        out = dict(item)
        secret_params = {p.lower() for p in self.query_params}
        for part in ("request", "response"):
            original: Any = item.get(part)
            if not isinstance(original, dict):
                continue
            section = dict(cast(dict[str, Any], original))
            for key in ("headers", "trailer"):
                headers: Any = section.get(key)
                if isinstance(headers, dict):
                    kept = cast(dict[str, Any], headers)
                    section[key] = {k: v for k, v in kept.items() if self.keeps_header(str(k))}
            for key in ("url", "request_uri"):
                value: Any = section.get(key)
                if isinstance(value, str):
                    section[key] = self.redact_url(value)
            form: Any = section.get("form")
            if isinstance(form, dict):
                section["form"] = {
                    k: self._placeholders(v) if str(k).lower() in secret_params else v
                    for k, v in cast(dict[str, Any], form).items()
                }
            body: Any = section.get("body")
            if isinstance(body, str | bytes):
                section["body"] = self.redact_body(body)
            out[part] = self.scrub(section, secrets)
        return out


def _header_lists(headers: Mapping[Any, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in headers.items():
        if isinstance(values, list):
            out[str(key)] = [str(v) for v in cast(list[Any], values)]
        else:
            out[str(key)] = [str(values)]
    return out
