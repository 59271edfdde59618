"""The official MCP conformance suite, run against reverie's client and server.

- Client: every client scenario of ``@modelcontextprotocol/conformance`` (``--suite all``:
  initialization, tool calls, SSE reconnection, elicitation defaults, 22 OAuth flows)
  drives ``conformance_client.py``, in which an agent uses the suite's server as an
  ``MCPServerHTTP`` toolset.
- Server: every server scenario runs against ``reverie mcp serve --http`` serving
  ``conformance_tools.py``.

A check that fails (or warns) must be listed with its reason in ``conformance_expected.yaml``;
a listed check that passes fails the test too, so the list only ever shrinks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.mcp_tests import conformance_tools
from tests.mcp_tests.node_env import ensure_packages, env, node

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXPECTED = yaml.safe_load((HERE / "conformance_expected.yaml").read_text())
_STAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


def suite(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cli = ensure_packages() / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    return subprocess.run(
        [node(), str(cli), *args],
        cwd=REPO,
        env={**env(), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_checks(out: Path, prefix: str = "") -> dict[str, list[dict[str, object]]]:
    """scenario -> its checks, from the suite's ``checks.json`` files under ``out``."""
    scenarios: dict[str, list[dict[str, object]]] = {}
    for path in out.rglob("checks.json"):
        name = _STAMP.sub("", path.parent.relative_to(out).as_posix()).removeprefix(prefix)
        scenarios[name] = json.loads(path.read_text())
    return scenarios


def judge(side: str, scenarios: dict[str, list[dict[str, object]]]) -> str:
    """The ways ``scenarios`` differ from the expected failures; "" when they agree."""
    expected: dict[str, dict[str, object]] = EXPECTED.get(side) or {}
    tolerated: dict[str, list[str]] = (EXPECTED.get("load_sensitive") or {}).get(side) or {}
    problems: list[str] = []
    for scenario, checks in sorted(scenarios.items()):
        listed = set(expected.get(scenario, {}).get("checks", []))  # type: ignore[union-attr]
        bad = {str(c["id"]) for c in checks if c["status"] in ("FAILURE", "WARNING")}
        for check in checks:
            cid = str(check["id"])
            if cid in bad and cid not in listed and cid not in tolerated.get(scenario, []):
                message = check.get("errorMessage") or check.get("description")
                problems.append(f"{scenario}: {cid} {check['status']}: {message}")
        for cid in sorted(listed - bad):
            problems.append(f"{scenario}: {cid} now passes; remove it from the expected list")
    for scenario in sorted(set(expected) - set(scenarios)):
        problems.append(f"{scenario}: listed as expected to fail but did not run")
    return "\n".join(problems)


def summary(scenarios: dict[str, list[dict[str, object]]]) -> str:
    counts = {"SUCCESS": 0, "FAILURE": 0, "WARNING": 0}
    for checks in scenarios.values():
        for check in checks:
            if check["status"] in counts:
                counts[str(check["status"])] += 1
    return f"{len(scenarios)} scenarios: " + ", ".join(f"{k} {v}" for k, v in counts.items())


@pytest.fixture
def zygote() -> Iterator[str]:
    """A pre-imported Python that forks a conformance client per scenario (zygote.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "zygote.sock")
        with subprocess.Popen(
            [sys.executable, "-m", "tests.mcp_tests.zygote", path],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        ) as proc:
            try:
                assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
                yield path
            finally:
                proc.kill()


def test_client_passes_the_conformance_suite(zygote: str, tmp_path: Path) -> None:
    shim = HERE / "conformance_shim.py"
    command = f"{sys.executable} -S -I {shim}"
    run = suite(
        "client",
        *("--suite", "all", "--command", command, "--timeout", "90000"),
        *("--output-dir", str(tmp_path)),
        extra_env={"REVERIE_MCP_ZYGOTE": zygote},
    )
    scenarios = read_checks(tmp_path)
    assert len(scenarios) >= 26, f"the suite ran too few scenarios:\n{run.stdout[-3000:]}"
    print(summary(scenarios))
    problems = judge("client", scenarios)
    assert not problems, f"{problems}\n\n{run.stdout[-4000:]}"


@pytest.fixture
def reverie_server() -> Iterator[str]:
    """``reverie mcp serve --http`` on a free loopback port, serving the suite's tools."""
    tools = [f"tests/mcp_tests/conformance_tools.py:{name}" for name in conformance_tools.TOOLS]
    args = [arg for name in tools for arg in ("--tool", name)]
    with subprocess.Popen(
        [sys.executable, "-m", "reverie.cli", "mcp", "serve", "--http", "--port", "0", *args],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            url = re.search(r"http://\S+", line)
            assert url, f"reverie mcp serve did not start: {line}{proc.stderr.read()}"
            yield url.group(0)
        finally:
            proc.terminate()


def test_reverie_mcp_serve_passes_the_conformance_suite(
    reverie_server: str, tmp_path: Path
) -> None:
    run = suite("server", "--url", reverie_server, "--suite", "all", "--output-dir", str(tmp_path))
    scenarios = read_checks(tmp_path, prefix="server-")
    assert len(scenarios) >= 30, f"the suite ran too few scenarios:\n{run.stdout[-3000:]}"
    print(summary(scenarios))
    problems = judge("server", scenarios)
    assert not problems, f"{problems}\n\n{run.stdout[-4000:]}"
