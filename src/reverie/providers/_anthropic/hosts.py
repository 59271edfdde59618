"""Who serves the Messages wire: the Anthropic API, AWS Bedrock, Google Vertex AI.

A host says where a request goes (:meth:`url`), how the body differs (its
:class:`~reverie.providers._anthropic.encode.MessagesDialect`), how the stream is framed
(SSE, or Bedrock's binary event stream) and how to authenticate (:meth:`auth_headers`,
which may refresh a cloud credential, in a worker thread, the first time and when expired).

Cloud SDKs are optional: Bedrock SigV4 signing uses botocore (``pip install
'reverie[bedrock]'``) and Vertex credentials google-auth (``'reverie[vertex]'``, through the
Google provider's :mod:`~reverie.providers._google.auth`); an API key (Bedrock bearer token,
Vertex access token) needs neither.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote

from reverie.errors import ConfigurationError
from reverie.providers import _counting
from reverie.providers._anthropic.encode import MessagesDialect

ANTHROPIC_VERSION = "2023-06-01"


class MessagesHost(Protocol):
    """What :class:`~reverie.providers._anthropic.model.AnthropicModel` needs of a host."""

    @property
    def name(self) -> str: ...

    @property
    def dialect(self) -> MessagesDialect: ...

    @property
    def binary_stream(self) -> bool:
        """True when streams are AWS event-stream frames rather than SSE."""
        ...

    def url(self, model_id: str, *, stream: bool, betas: Sequence[str]) -> str: ...

    def count_request(
        self, model_id: str, body: Mapping[str, Any], betas: Sequence[str]
    ) -> tuple[str, dict[str, Any]]:
        """The URL and body that count ``body``'s input tokens
        (:mod:`reverie.providers._counting`)."""
        ...

    async def auth_headers(
        self, url: str, body: bytes, headers: Mapping[str, str], betas: Sequence[str]
    ) -> dict[str, str]:
        """Headers to add to ``headers`` for this request (auth, version, beta flags)."""
        ...


class AnthropicAPI:
    """``POST {base_url}/v1/messages`` with an ``x-api-key``; beta tools add ``?beta=true``
    and the ``anthropic-beta`` header."""

    binary_stream = False

    def __init__(self, base_url: str, api_key: str | None, *, name: str = "anthropic") -> None:
        # Both "https://api.anthropic.com" and ".../v1" are common ways to write the base.
        self._base = base_url.rstrip("/").removesuffix("/v1")
        self._key = api_key
        self.name = name
        self.dialect = MessagesDialect(name=name)

    def url(self, model_id: str, *, stream: bool, betas: Sequence[str]) -> str:
        return f"{self._base}/v1/messages" + ("?beta=true" if betas else "")

    def count_request(
        self, model_id: str, body: Mapping[str, Any], betas: Sequence[str]
    ) -> tuple[str, dict[str, Any]]:
        url = f"{self._base}/v1/messages/count_tokens" + ("?beta=true" if betas else "")
        return url, _counting.anthropic_body(body)

    async def auth_headers(
        self, url: str, body: bytes, headers: Mapping[str, str], betas: Sequence[str]
    ) -> dict[str, str]:
        out = {"anthropic-version": ANTHROPIC_VERSION}
        if self._key:
            out["x-api-key"] = self._key
        if betas:
            out["anthropic-beta"] = _join_betas(headers, betas)
        return out


def _join_betas(headers: Mapping[str, str], betas: Sequence[str]) -> str:
    """Our beta flags after any the caller already put in an ``anthropic-beta`` header."""
    given = [v for k, v in headers.items() if k.lower() == "anthropic-beta"]
    flags = [f.strip() for v in given for f in v.split(",") if f.strip()]
    return ",".join([*flags, *(b for b in betas if b not in flags)])


class Bedrock:
    """``POST {base_url}/model/{escaped id}/invoke[-with-response-stream]``.

    Authenticates with ``api_key`` as a bearer token (a Bedrock API key) when given, else
    signs each request with AWS SigV4 using botocore's credential chain (environment,
    profile, SSO, instance role).
    """

    binary_stream = True

    def __init__(
        self,
        *,
        region: str,
        base_url: str | None = None,
        api_key: str | None = None,
        name: str = "bedrock",
    ) -> None:
        self._base = (base_url or f"https://bedrock-runtime.{region}.amazonaws.com").rstrip("/")
        self._region = region
        self._key = api_key
        self._credentials: Any = None
        self.name = name
        self.dialect = MessagesDialect(
            name=name,
            model_in_body=False,
            stream_in_body=False,
            anthropic_version="bedrock-2023-05-31",
            parallel_flag=False,
            betas_in_body=True,
        )
        if api_key is None:
            _require("botocore", "bedrock", "or pass api_key=... (AWS_BEARER_TOKEN_BEDROCK)")

    def url(self, model_id: str, *, stream: bool, betas: Sequence[str]) -> str:
        return self.endpoint(model_id, "invoke-with-response-stream" if stream else "invoke")

    def count_request(
        self, model_id: str, body: Mapping[str, Any], betas: Sequence[str]
    ) -> tuple[str, dict[str, Any]]:
        return self.endpoint(model_id, "count-tokens"), _counting.bedrock_invoke_body(body)

    def endpoint(self, model_id: str, action: str) -> str:
        """``{base}/model/{escaped id}/{action}``: every Bedrock Runtime model operation
        (``invoke``, ``converse``, ``converse-stream``, ``count-tokens``) has this form, and
        this host signs them all."""
        return f"{self._base}/model/{quote(model_id, safe='')}/{action}"

    async def auth_headers(
        self, url: str, body: bytes, headers: Mapping[str, str], betas: Sequence[str]
    ) -> dict[str, str]:
        if self._key:
            return {"Authorization": f"Bearer {self._key}"}
        if self._credentials is None:
            # Resolving the chain may read files or call the instance metadata service.
            self._credentials = await asyncio.to_thread(_botocore_credentials)
        return _sigv4_headers(self._credentials, self._region, url, body, headers)


class Vertex:
    """``POST {base_url}/projects/{project}/locations/{location}/publishers/anthropic/models/
    {model}:rawPredict`` (``:streamRawPredict``); ``base_url`` is the endpoint with its API
    version, by default ``https://{location}-aiplatform.googleapis.com/v1``.

    Auth is Google's, shared with the Gemini wire
    (:class:`~reverie.providers._google.auth.VertexAuth`): ``access_token`` (a string, or a
    function returning one; ``""`` sends no header), or a google-auth ``credentials``
    object, else application-default credentials (``pip install 'reverie[vertex]'``).
    """

    binary_stream = False

    def __init__(
        self,
        *,
        project: str,
        location: str,
        base_url: str | None = None,
        access_token: Any = None,
        credentials: Any = None,
        name: str = "vertex-anthropic",
    ) -> None:
        from reverie.providers._google.auth import VertexAuth

        if not project or not location:
            raise ConfigurationError(
                "Vertex AI needs a project and a location: pass project=... and location=... "
                "(or set GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION)"
            )
        host = (
            "https://aiplatform.googleapis.com"
            if location == "global"
            else f"https://{location}-aiplatform.googleapis.com"
        )
        base = (base_url or host).rstrip("/")
        # Claude's rawPredict is served on v1; a base without a version gets it.
        if not re.search(r"/v\d+(?:beta\d*)?$", base):
            base += "/v1"
        self._base = base
        self._project = project
        self._location = location
        self._auth = VertexAuth(access_token=access_token, credentials=credentials)
        self.name = name
        self.dialect = MessagesDialect(
            name=name, model_in_body=False, anthropic_version="vertex-2023-10-16"
        )

    def url(self, model_id: str, *, stream: bool, betas: Sequence[str]) -> str:
        method = "streamRawPredict" if stream else "rawPredict"
        return (
            f"{self._base}/projects/{self._project}/locations/{self._location}"
            f"/publishers/anthropic/models/{model_id}:{method}"
        )

    def count_request(
        self, model_id: str, body: Mapping[str, Any], betas: Sequence[str]
    ) -> tuple[str, dict[str, Any]]:
        url = (
            f"{self._base}/projects/{self._project}/locations/{self._location}"
            "/publishers/anthropic/models/count-tokens:rawPredict"
        )
        return url, {**_counting.anthropic_body(body), "model": model_id}

    async def auth_headers(
        self, url: str, body: bytes, headers: Mapping[str, str], betas: Sequence[str]
    ) -> dict[str, str]:
        out = await self._auth.headers()
        if betas:
            out["anthropic-beta"] = _join_betas(headers, betas)
        return out


def _require(module: str, extra: str, alternative: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ConfigurationError(
            f"{module} is needed for these credentials: pip install 'reverie[{extra}]', "
            f"{alternative}"
        ) from exc


def _botocore_credentials() -> Any:
    session: Any = importlib.import_module("botocore.session").get_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise ConfigurationError(
            "no AWS credentials found for Bedrock: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or a profile), or pass api_key=... (AWS_BEARER_TOKEN_BEDROCK)"
        )
    return credentials


def _sigv4_headers(
    credentials: Any, region: str, url: str, body: bytes, headers: Mapping[str, str]
) -> dict[str, str]:
    auth: Any = importlib.import_module("botocore.auth")
    awsrequest: Any = importlib.import_module("botocore.awsrequest")
    request = awsrequest.AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    auth.SigV4Auth(credentials.get_frozen_credentials(), "bedrock", region).add_auth(request)
    wanted = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")
    return {k: str(v) for k, v in request.headers.items() if k.lower() in wanted}
