"""reverie's client for the official MCP conformance suite (its client scenarios).

The suite starts a scenario's test server and runs ``<this command> <server URL>`` with
``MCP_CONFORMANCE_SCENARIO`` (and, for some, ``MCP_CONFORMANCE_CONTEXT``) set; it judges
what the client sent. Each scenario here is what a reverie user would write: an
:class:`MCPServerHTTP` in an agent whose (scripted) model calls the server's tools, with
OAuth through the SDK's providers passed as ``auth=``. Exit status 0 means the client got
through the scenario; the suite's checks decide the rest.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.auth.extensions.client_credentials import (
    ClientCredentialsOAuthProvider,
    PrivateKeyJWTOAuthProvider,
    SignedJWTParameters,
)
from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider
from mcp.client.auth.utils import build_protected_resource_metadata_discovery_urls
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from reverie import Agent
from reverie.mcp import Elicitation, ElicitationResponse, MCPServerHTTP
from reverie.testing._fake import FakeModel

CALLBACK = "http://localhost:3000/callback"
CIMD_URL = "https://conformance-test.local/client-metadata.json"

Scenario = Callable[[str], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(*names: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        for name in names:
            SCENARIOS[name] = fn
        return fn

    return register


async def run_agent(server: MCPServerHTTP, calls: list[tuple[str, dict[str, Any]]]) -> str:
    """An agent whose scripted model makes ``calls`` on ``server``; the results' text."""
    model = FakeModel([FakeModel.tool_calls(*calls), FakeModel.text("done")])
    result = await Agent(model, tools=[server]).generate("use the tools")
    outputs = [r.output for s in result.steps for r in s.tool_results]
    for output in outputs:
        print(f"tool result: {output}", file=sys.stderr)
    return "\n".join(str(o) for o in outputs)


@scenario("initialize")
async def initialize(url: str) -> None:
    async with MCPServerHTTP(url) as server:
        await server.list_tools()


@scenario("tools_call")
async def tools_call(url: str) -> None:
    text = await run_agent(MCPServerHTTP(url), [("add_numbers", {"a": 2, "b": 3})])
    if "5" not in text:
        raise SystemExit(f"add_numbers did not return the sum: {text}")


@scenario("sse-retry")
async def sse_retry(url: str) -> None:
    await run_agent(MCPServerHTTP(url), [("test_reconnection", {})])


@scenario("elicitation-sep1034-client-defaults")
async def elicitation_defaults(url: str) -> None:
    def accept_as_is(request: Elicitation) -> ElicitationResponse:
        return ElicitationResponse("accept", {})  # reverie fills in the schema's defaults

    server = MCPServerHTTP(url, elicitation=accept_as_is)
    await run_agent(server, [("test_client_elicitation_defaults", {})])


async def with_auth(url: str, auth: httpx2.Auth) -> None:
    """The auth scenarios' common part: list the tools and call the first one."""
    async with MCPServerHTTP(url, auth=auth) as server:
        tools = await server.list_tools()
        if tools:
            await run_agent(server, [(tools[0].name, {})])


@scenario("auth/client-credentials-jwt")
async def client_credentials_jwt(url: str) -> None:
    ctx = context()
    jwt = SignedJWTParameters(
        issuer=ctx["client_id"],
        subject=ctx["client_id"],
        signing_algorithm=ctx.get("signing_algorithm", "ES256"),
        signing_key=ctx["private_key_pem"],
    )
    auth = PrivateKeyJWTOAuthProvider(
        server_url=url,
        storage=MemoryTokens(),
        client_id=ctx["client_id"],
        assertion_provider=jwt.create_assertion_provider(),
    )
    await with_auth(url, auth)


@scenario("auth/client-credentials-basic")
async def client_credentials_basic(url: str) -> None:
    ctx = context()
    auth = ClientCredentialsOAuthProvider(
        server_url=url,
        storage=MemoryTokens(),
        client_id=ctx["client_id"],
        client_secret=ctx["client_secret"],
        token_endpoint_auth_method="client_secret_basic",
    )
    await with_auth(url, auth)


@scenario("auth/cross-app-access-complete-flow")
async def cross_app_access(url: str) -> None:
    """Enterprise-managed authorization (SEP-990): the enterprise IdP's ID token is exchanged
    for an ID-JAG (RFC 8693), which the MCP authorization server takes as a JWT bearer grant
    (RFC 7523). The issuer is configuration in real use; here the PRM document names it."""
    ctx = context()
    prm_url = build_protected_resource_metadata_discovery_urls(None, url)[0]
    async with httpx2.AsyncClient(timeout=30.0) as http:
        issuer = (await http.get(prm_url)).raise_for_status().json()["authorization_servers"][0]

    async def id_jag(audience: str, resource: str) -> str:
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "requested_token_type": "urn:ietf:params:oauth:token-type:id-jag",
            "subject_token": ctx["idp_id_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "audience": audience,
            "resource": resource,
            "client_id": ctx["idp_client_id"],
        }
        async with httpx2.AsyncClient(timeout=30.0) as http:
            response = await http.post(ctx["idp_token_endpoint"], data=form)
        return response.raise_for_status().json()["access_token"]

    auth = IdentityAssertionOAuthProvider(
        server_url=url,
        storage=MemoryTokens(),
        client_id=ctx["client_id"],
        client_secret=ctx["client_secret"],
        issuer=issuer,
        assertion_provider=id_jag,
        token_endpoint_auth_method="client_secret_basic",
    )
    await with_auth(url, auth)


async def authorization_code(url: str) -> None:
    """Every other auth scenario: the authorization-code flow with PKCE, the browser step
    done by following the authorization server's redirect."""
    storage = MemoryTokens()
    ctx = context(required=False)
    if ctx.get("client_id"):  # pre-registered client
        storage.client = OAuthClientInformationFull(
            client_id=ctx["client_id"],
            client_secret=ctx.get("client_secret"),
            redirect_uris=[AnyUrl(CALLBACK)],
            token_endpoint_auth_method="client_secret_basic"
            if ctx.get("client_secret")
            else "none",
        )
    browser = HeadlessBrowser()
    auth = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="reverie-conformance",
            redirect_uris=[AnyUrl(CALLBACK)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=browser.visit,
        callback_handler=browser.callback,
        client_metadata_url=CIMD_URL,
    )
    await with_auth(url, auth)


class MemoryTokens(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class HeadlessBrowser:
    """Stands in for the user's browser: the test authorization server approves at once
    and redirects to the callback with the code."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None

    async def visit(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient() as http:
            response = await http.get(authorization_url, follow_redirects=False)
        location = response.headers.get("location", "")
        query = parse_qs(urlsplit(location).query)
        if "code" not in query:
            raise RuntimeError(f"no code in the authorization redirect ({response.status_code})")
        state = query.get("state", [None])[0]
        iss = query.get("iss", [None])[0]
        self.result = AuthorizationCodeResult(code=query["code"][0], state=state, iss=iss)

    async def callback(self) -> AuthorizationCodeResult:
        if self.result is None:
            raise RuntimeError("the callback came before the authorization redirect")
        result, self.result = self.result, None
        return result


def context(*, required: bool = True) -> dict[str, Any]:
    raw = os.environ.get("MCP_CONFORMANCE_CONTEXT")
    if not raw:
        if required:
            raise SystemExit("MCP_CONFORMANCE_CONTEXT is not set")
        return {}
    return json.loads(raw)


def main(argv: list[str]) -> int:
    name = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    if len(argv) != 1 or not name:
        print("usage: MCP_CONFORMANCE_SCENARIO=<name> conformance_client.py <url>", file=sys.stderr)
        return 2
    run = SCENARIOS.get(name)
    if run is None:
        if not name.startswith("auth/"):
            print(f"unknown scenario {name!r}", file=sys.stderr)
            return 2
        run = authorization_code
    asyncio.run(run(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
