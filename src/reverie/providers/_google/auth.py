"""How requests to Google are authorised.

- Gemini API: the key goes in the ``x-goog-api-key`` header, never in the URL (a URL ends
  up in logs, proxies and error messages).
- Vertex AI: an OAuth access token as ``Authorization: Bearer``. It comes from, in order:
  an explicit ``access_token`` (a string, or a function returning one, possibly async), a
  ``credentials`` object from google-auth, or google-auth's application-default credentials.
  google-auth is an optional extra (``pip install 'reverie[vertex]'``), imported only
  when needed. Replay tests and proxies that need no auth pass ``access_token=""`` (no
  header) or any placeholder token.

Credentials are refreshed in a worker thread (google-auth does blocking I/O), one refresh
at a time, and only when the current token is missing or expired.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from reverie.errors import AuthenticationError, ConfigurationError

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

TokenFunction = Callable[[], "str | Awaitable[str]"]


def api_key_headers(api_key: str) -> dict[str, str]:
    """The Gemini API's key header."""
    return {"x-goog-api-key": api_key}


class VertexAuth:
    """Produces the ``Authorization`` header for a Vertex request.

    ``access_token``: a fixed token or a function returning one (sync or async); an empty
    string sends no header at all (for local proxies and replay). ``credentials``: a
    google-auth credentials object. Neither: application-default credentials, resolved on
    the first request.
    """

    __slots__ = ("_credentials", "_lock", "_request_factory", "_token")

    def __init__(
        self,
        *,
        access_token: str | TokenFunction | None = None,
        credentials: Any = None,
        request_factory: Callable[[], Any] | None = None,
    ) -> None:
        if access_token is not None and credentials is not None:
            raise ConfigurationError("pass either access_token or credentials for Vertex, not both")
        self._token = access_token
        self._credentials = credentials
        self._request_factory = request_factory
        self._lock = threading.Lock()

    async def headers(self) -> dict[str, str]:
        """The header to send (``{}`` when auth is explicitly off)."""
        token = self._token
        if token is not None:
            if callable(token):
                value = token()
                token = await value if inspect.isawaitable(value) else value
            return {"Authorization": f"Bearer {token}"} if token else {}
        return {"Authorization": f"Bearer {await asyncio.to_thread(self._refreshed_token)}"}

    def _refreshed_token(self) -> str:
        with self._lock:
            if self._credentials is None:
                self._credentials = _default_credentials()
            creds = self._credentials
            if not getattr(creds, "valid", False) or not getattr(creds, "token", None):
                request = (self._request_factory or _transport_request)()
                try:
                    creds.refresh(request)
                except Exception as exc:
                    raise AuthenticationError(
                        f"vertex: refreshing Google credentials failed ({type(exc).__name__}: "
                        f"{exc}); run 'gcloud auth application-default login' or pass "
                        "access_token=...",
                        provider="vertex",
                    ) from exc
            token = getattr(creds, "token", None)
            if not isinstance(token, str) or not token:
                raise AuthenticationError(
                    "vertex: the Google credentials gave no access token", provider="vertex"
                )
            return token


def _google_auth() -> Any:
    try:
        import importlib

        return importlib.import_module("google.auth")
    except ImportError as exc:
        raise ConfigurationError(
            "Vertex AI needs Google credentials: install the extra with "
            "`pip install 'reverie[vertex]'` (google-auth), or pass access_token=..."
        ) from exc


def _default_credentials() -> Any:
    google_auth = _google_auth()
    try:
        credentials, _project = google_auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    except Exception as exc:
        raise ConfigurationError(
            f"no Google application-default credentials ({exc}); run "
            "'gcloud auth application-default login', set GOOGLE_APPLICATION_CREDENTIALS, "
            "or pass access_token=... / credentials=..."
        ) from exc
    return credentials


def _transport_request() -> Any:
    import importlib

    _google_auth()
    try:
        module = importlib.import_module("google.auth.transport.requests")
    except ImportError as exc:
        raise ConfigurationError(
            "refreshing Google credentials needs the 'requests' package: "
            "`pip install 'reverie[vertex]'`"
        ) from exc
    return module.Request()
