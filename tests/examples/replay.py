"""Run an example offline, from its cassette: what the test suite does, in a terminal.

    uv run python tests/examples/replay.py stream        # prints what the example prints
    uv run python tests/examples/replay.py --timing 1 stream   # at the recorded pace

The example's ``main`` gets the model it was recorded with (``recorded.py``) on a client
that replays ``tests/examples/cassettes/<example>.yaml``; nothing reaches the network.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "examples"), str(REPO)]

from tests.examples.recorded import RECORDED_WITH  # noqa: E402


async def replay(name: str, timing: float | None) -> None:
    from reverie.testing import CassetteTransport

    transport = CassetteTransport.open(
        HERE / "cassettes" / f"{name}.yaml", mode="replay", timing=timing
    )
    async with transport.client() as http:
        await importlib.import_module(name).main(RECORDED_WITH[name](http))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run an example offline, from its cassette.")
    parser.add_argument("example", choices=sorted(RECORDED_WITH))
    parser.add_argument("--timing", type=float, default=None, help="1.0: the recorded pace")
    args = parser.parse_args()
    asyncio.run(replay(args.example, args.timing))
