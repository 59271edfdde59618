"""The batch runner's common parts: the results file, progress, and the in-process run."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.agent import Agent
from reverie.batch._spec import BatchSpec, Row, read_rows, result_line
from reverie.errors import ConfigurationError

__all__ = ["BatchProgress", "BatchSummary", "Results", "run_batch"]


@dataclass
class BatchProgress:
    """Where a batch stands: ``total`` rows, ``done`` (this run, errors included),
    ``skipped`` (done by an earlier run), ``errors``, ``tokens`` used, and ``cost`` in US
    dollars of the rows whose price is known (:mod:`reverie.cost`; None when none is)."""

    total: int
    skipped: int = 0
    done: int = 0
    errors: int = 0
    tokens: int = 0
    cost: float | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Rows per second so far (this run)."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def finished(self) -> bool:
        return self.skipped + self.done >= self.total

    def count(self, line: dict[str, Any]) -> None:
        self.done += 1
        if "error" in line:
            self.errors += 1
        usage: dict[str, Any] = line.get("usage") or {}
        self.tokens += int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
        if "cost_usd" in line:
            self.cost = (self.cost or 0.0) + float(line["cost_usd"])


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """A batch run's end: as :class:`BatchProgress`, frozen."""

    total: int
    skipped: int
    done: int
    errors: int
    tokens: int
    seconds: float
    cost: float | None = None


ProgressCallback = Callable[[BatchProgress], None]


def summary(progress: BatchProgress) -> BatchSummary:
    return BatchSummary(
        progress.total,
        progress.skipped,
        progress.done,
        progress.errors,
        progress.tokens,
        progress.seconds,
        progress.cost,
    )


class Results:
    """RESULTS.jsonl: one line per row (see :func:`~reverie.batch._spec.result_line`), in
    the order rows finish. Opening it keeps the rows done without error and drops the lines
    of rows that failed, which are run again; so a rerun skips exactly the rows done."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.done: set[str] = set()
        kept: list[str] = []
        if self.path.exists():
            for raw in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # a line cut short when the process died
                if isinstance(line, dict) and "error" not in line and "id" in line:
                    self.done.add(str(line["id"]))  # pyright: ignore[reportUnknownArgumentType]
                    kept.append(raw)
            self.path.write_text("".join(f"{k}\n" for k in kept), encoding="utf-8")
        try:
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot write the results to {path}: {exc.strerror}") from exc

    def write(self, line: dict[str, Any]) -> None:
        self._file.write(json.dumps(line, ensure_ascii=False, default=_plain) + "\n")
        self._file.flush()
        if "error" not in line:
            self.done.add(str(line["id"]))

    def close(self) -> None:
        self._file.close()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


async def run_batch(
    agent: Agent | BatchSpec,
    rows: str | Path | Sequence[Row],
    out: str | Path,
    *,
    concurrency: int = 8,
    progress: ProgressCallback | None = None,
) -> BatchSummary:
    """Run every row not yet in ``out`` through ``agent`` in this process, at most
    ``concurrency`` at a time, and append each row's line to ``out`` as it finishes.

    ``rows`` is a JSONL file (:func:`~reverie.batch.read_rows`) or rows. A row that fails
    (after the model call's retries) gets an ``error`` line and the batch goes on; running
    the batch again runs the failed rows again and skips the others. ``progress`` is called
    after each row. Limits per provider come from a :class:`BatchSpec`."""
    if concurrency < 1:
        raise ConfigurationError("concurrency must be at least 1")
    runner = agent.agent() if isinstance(agent, BatchSpec) else agent
    listed = list(read_rows(rows)) if isinstance(rows, str | Path) else list(rows)
    results = Results(out)
    todo = [r for r in listed if r.key not in results.done]
    state = BatchProgress(len(listed), skipped=len(listed) - len(todo))
    queue: asyncio.Queue[Row] = asyncio.Queue()
    for row in todo:
        queue.put_nowait(row)

    async def worker() -> None:
        while not queue.empty():
            row = queue.get_nowait()
            try:
                line = result_line(row.key, await runner.generate(row.prompt), None)
            except Exception as exc:
                line = result_line(row.key, None, exc)
            results.write(line)
            state.count(line)
            if progress is not None:
                progress(state)

    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(todo)) or 1)))
    finally:
        results.close()
    return summary(state)
