"""Who serves the Messages wire: the Anthropic API, AWS Bedrock, Google Vertex AI.

Each is a :class:`~reverie.providers._host.Host`: it says where a request goes and how to
authenticate it (:meth:`target`, which may refresh a cloud credential, in a worker thread,
the first time and when expired), how the body differs (its :attr:`dialect`, a
:class:`~reverie.providers._anthropic.encode.MessagesDialect` for the
:class:`~reverie.providers._anthropic.wire.MessagesWire`) and how the stream is framed
(SSE, or Bedrock's binary event stream).

Cloud SDKs are optional: Bedrock SigV4 signing uses botocore (``pip install
'reverie[bedrock]'``) and Vertex credentials google-auth (``'reverie[vertex]'``, through the
Google provider's :mod:`~reverie.providers._google.auth`); an API key (Bedrock bearer token,
Vertex access token) needs neither.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from reverie.errors import ConfigurationError
from reverie.providers import _counting
from reverie.providers._anthropic.encode import MessagesDialect
from reverie.providers._eventstream import BedrockFraming
from reverie.providers._host import COUNT_TOKENS, Framing, Host, Request, Target

ANTHROPIC_VERSION = "2023-06-01"


class AnthropicAPI(Host):
    """``POST {base_url}/v1/messages`` (token counts: ``/v1/messages/count_tokens``) with an
    ``x-api-key``; beta tools add ``?beta=true`` and the ``anthropic-beta`` header."""

    def __init__(self, base_url: str, api_key: str | None, *, name: str = "anthropic") -> None:
        # Both "https://api.anthropic.com" and ".../v1" are common ways to write the base.
        self._base = base_url.rstrip("/").removesuffix("/v1")
        self._key = api_key
        self.name = name
        self.dialect = MessagesDialect(name=name)

    async def target(self, request: Request) -> Target:
        path = "/v1/messages/count_tokens" if request.operation == COUNT_TOKENS else "/v1/messages"
        url = self._base + path + ("?beta=true" if request.flags else "")
        out = {"anthropic-version": ANTHROPIC_VERSION, **_betas(request)}
        if self._key:
            out["x-api-key"] = self._key
        return Target(url, out)

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any]:
        return _counting.anthropic_body(body)


def _betas(request: Request) -> dict[str, str]:
    """The ``anthropic-beta`` header for the request's flags, after any beta flags the caller
    already put in one; no header when the request needs none."""
    if not request.flags:
        return {}
    given = [v for k, v in request.headers.items() if k.lower() == "anthropic-beta"]
    flags = [f.strip() for v in given for f in v.split(",") if f.strip()]
    return {"anthropic-beta": ",".join([*flags, *(b for b in request.flags if b not in flags)])}


class Bedrock(Host):
    """``POST {base_url}/model/{escaped id}/invoke[-with-response-stream]``; token counts
    at ``.../count-tokens``, another operation (an embedding model's ``invoke``) at
    ``.../{operation}``.

    Authenticates with ``api_key`` as a bearer token (a Bedrock API key) when given, else
    signs each request with AWS SigV4 using botocore's credential chain (environment,
    profile, SSO, instance role). Every Bedrock Runtime model operation has this URL form
    and this auth: the Converse host (:mod:`reverie.providers._bedrock.host`) differs only
    in its :attr:`actions`, its framing and its counting body.
    """

    actions = ("invoke", "invoke-with-response-stream")
    """The operation of a whole answer, then of a streamed one."""

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

    def endpoint(self, model_id: str, action: str) -> str:
        """``{base}/model/{escaped id}/{action}``."""
        return f"{self._base}/model/{quote(model_id, safe='')}/{action}"

    async def target(self, request: Request) -> Target:
        if request.operation == COUNT_TOKENS:
            action = "count-tokens"
        else:
            action = request.operation or self.actions[request.stream]
        url = self.endpoint(request.model_id, action)
        if self._key:
            return Target(url, {"Authorization": f"Bearer {self._key}"})
        if self._credentials is None:
            # Resolving the chain may read files or call the instance metadata service.
            self._credentials = await asyncio.to_thread(_botocore_credentials)
        signed = _sigv4_headers(self._credentials, self._region, url, request.body, request.headers)
        return Target(url, signed)

    def framing(self) -> Framing:
        """Streams come as AWS event-stream frames, each holding one Anthropic event."""
        return BedrockFraming(self.name)

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any]:
        """CountTokens takes the whole invoke body (base64)."""
        return _counting.bedrock_invoke_body(body)


class Vertex(Host):
    """``POST {base_url}/projects/{project}/locations/{location}/publishers/anthropic/models/
    {model}:rawPredict`` (``:streamRawPredict``); ``base_url`` is the endpoint with its API
    version, by default ``https://{location}-aiplatform.googleapis.com/v1``.

    Auth is Google's, shared with the Gemini wire
    (:class:`~reverie.providers._google.auth.VertexAuth`): ``access_token`` (a string, or a
    function returning one; ``""`` sends no header), or a google-auth ``credentials``
    object, else application-default credentials (``pip install 'reverie[vertex]'``).
    """

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

    async def target(self, request: Request) -> Target:
        if request.operation == COUNT_TOKENS:
            model, method = "count-tokens", "rawPredict"
        else:
            model, method = request.model_id, "streamRawPredict" if request.stream else "rawPredict"
        url = (
            f"{self._base}/projects/{self._project}/locations/{self._location}"
            f"/publishers/anthropic/models/{model}:{method}"
        )
        return Target(url, {**await self._auth.headers(), **_betas(request)})

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any]:
        """Vertex counts at one URL for every Claude model: the model goes in the body."""
        return {**_counting.anthropic_body(body), "model": model_id}


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
