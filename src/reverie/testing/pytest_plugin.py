"""reverie's pytest plugin: record your agent's provider traffic once, replay it in CI.

Installed with reverie (entry point ``pytest11``), nothing to configure::

    async def test_weather(reverie_cassette):
        model = reverie_cassette.model("openai:gpt-4o")
        agent = Agent(model, tools=[weather])
        assert "Florence" in (await agent.generate("Weather in Florence?")).text

The cassette is ``cassettes/<test module>/<test name>.yaml`` next to the test file. Record it
with ``pytest --record-mode=once`` (or ``REVERIE_RECORD_MODE=once``); afterwards the test
replays it offline. The default mode is ``replay``: a missing cassette or a request that
matches no recording fails the test with the JSON difference to the closest recording.

Fixtures: ``reverie_cassette`` (a :class:`CassetteSession`: ``.model(name, **options)``,
``.client``, ``.transport``, ``.path``, ``.mode``) and ``reverie_http`` (its
``httpx2.AsyncClient``). Per test, ``@pytest.mark.reverie_cassette(...)`` sets ``name``,
``record_mode``, ``match``, ``timing``, ``require_all_played`` and ``redactor``.

Precedence of the mode: the marker, then ``--record-mode``, then ``$REVERIE_RECORD_MODE``,
then ``replay``. A test that fails does not save what it recorded (a broken run should not
become the reference). Importing this module imports only pytest; reverie's HTTP and YAML
code loads when a test first uses a fixture, so pytest's start-up stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

if TYPE_CHECKING:
    import httpx2

    from reverie.model import LanguageModel
    from reverie.testing._transport import CassetteTransport

__all__ = [
    "CassetteSession",
    "reverie_cassette",
    "reverie_http",
]

_MODES = ("replay", "none", "once", "new_episodes", "all", "passthrough")
_FAILED = pytest.StashKey[bool]()
_PATH = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reverie", "reverie cassettes")
    group.addoption(
        "--record-mode",
        choices=_MODES,
        default=None,
        help="how reverie cassettes treat provider traffic: replay (default), once, "
        "new_episodes, all, passthrough. Default: $REVERIE_RECORD_MODE, else replay.",
    )
    parser.addini(
        "reverie_require_all_played",
        type="bool",
        default=False,
        help="fail a test whose cassette has interactions it never requested",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reverie_cassette(name=None, record_mode=None, match='strict', timing=None, "
        "require_all_played=None, redactor=None): configure the test's reverie cassette",
    )


class CassetteSession:
    """One test's cassette: the transport, an HTTP client on it, and a model helper."""

    def __init__(self, transport: CassetteTransport) -> None:
        self.transport = transport
        self._client: httpx2.AsyncClient | None = None

    @property
    def path(self) -> Path | None:
        return self.transport.path

    @property
    def mode(self) -> str:
        return self.transport.mode

    @property
    def client(self) -> httpx2.AsyncClient:
        """An ``httpx2.AsyncClient`` whose every request goes through the cassette."""
        if self._client is None:
            self._client = self.transport.client()
        return self._client

    def model(self, name: str, **options: Any) -> LanguageModel:
        """``get_model(name, **options)`` wired to the cassette.

        When the run only replays, a missing API key is not an error: a placeholder is sent
        (it reaches neither the network nor the file).
        """
        from reverie.errors import ConfigurationError
        from reverie.providers import get_model

        options.setdefault("http_client", self.client)
        try:
            return get_model(name, **options)
        except ConfigurationError:
            if self.transport.recording or self.mode == "passthrough" or "api_key" in options:
                raise
            return get_model(name, api_key="reverie-replay-key", **options)


def _cassette_path(item: pytest.Item) -> Path:
    """``<test dir>/cassettes/<module>/<Class.>test_name.yaml`` (parameters kept, made safe).

    The anyio backend that anyio's plugin parametrizes async tests with (``[asyncio]``,
    ``[trio]``) is left out: the traffic is the same on every backend, so they share one
    cassette, and the file is named as the test is."""
    path = Path(str(item.path))
    cls = getattr(item, "cls", None)
    name = (f"{cls.__name__}." if cls is not None else "") + _without_backend(item)
    name = re.sub(r"[^\w.\-]+", "-", name.replace("]", "")).strip("-")
    return path.parent / "cassettes" / path.stem / f"{name}.yaml"


def _without_backend(item: pytest.Item) -> str:
    """``item.name`` without the anyio backend's id among its parameters."""
    params: dict[str, Any] = getattr(getattr(item, "callspec", None), "params", {})
    backend = params.get("anyio_backend")
    if backend is None:
        return item.name
    backend_id = re.escape(str(backend if isinstance(backend, str) else backend[0]))
    name = re.sub(rf"\[{backend_id}\]$", "", item.name)
    name = re.sub(rf"-{backend_id}\]$", "]", name)
    return re.sub(rf"\[{backend_id}-", "[", name)


@pytest.fixture
def reverie_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteSession]:
    """The test's cassette (see the module docstring)."""
    from reverie.testing._transport import CassetteTransport

    item = request.node
    marker = item.get_closest_marker("reverie_cassette")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    path = _cassette_path(item)
    if settings.get("name"):
        path = path.parent / str(settings["name"])
        if path.suffix not in (".yaml", ".yml"):
            path = path.with_suffix(".yaml")
    mode = settings.get("record_mode") or request.config.getoption("--record-mode")
    strict = settings.get("require_all_played")
    if strict is None:
        strict = bool(request.config.getini("reverie_require_all_played"))
    transport = CassetteTransport.open(
        path,
        mode=mode,
        match=settings.get("match", "strict"),
        redactor=settings.get("redactor"),
        timing=settings.get("timing"),
    )
    item.stash[_PATH] = path
    yield CassetteSession(transport)
    if item.stash.get(_FAILED, False):
        return  # keep a failed run's traffic out of the reference cassette
    transport.save()
    if strict and transport.mode in ("replay", "once", "new_episodes"):
        transport.assert_all_played()


@pytest.fixture
def reverie_http(reverie_cassette: CassetteSession) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` backed by the test's cassette."""
    return reverie_cassette.client


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and _PATH in item.stash:
        item.stash[_FAILED] = report.failed
        miss = _cassette_miss(call)
        if miss is not None and report.failed:
            # The miss explanation is what matters, not the stack through httpx and the agent.
            report.longrepr = f"reverie: no recording in {item.stash[_PATH]} matches\n{miss}"
    return report


def _cassette_miss(call: pytest.CallInfo[None]) -> str | None:
    """The message of a CassetteMissError behind the failure, if there is one."""
    return _find_miss(call.excinfo.value if call.excinfo else None, set())


def _find_miss(exc: BaseException | None, seen: set[int]) -> str | None:
    # By class name: importing reverie.errors here would cost every test run, used or not.
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if any(c.__name__ == "CassetteMissError" for c in type(exc).__mro__):
            return str(exc)
        if isinstance(exc, BaseExceptionGroup):
            group = cast(BaseExceptionGroup[BaseException], exc)
            for inner in group.exceptions:
                found = _find_miss(inner, seen)
                if found is not None:
                    return found
        exc = exc.__cause__ or exc.__context__
    return None
