"""What a batch runs: a :class:`BatchSpec` (JSON, so a worker anywhere can rebuild the agent),
its rows, and what each row gives back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from reverie._loading import load_attribute, load_tool
from reverie.agent import Agent
from reverie.batch._limits import LimitedModel, limiter_for
from reverie.errors import ConfigurationError, DataFormatError
from reverie.retry import RetryPolicy
from reverie.run_state import RunResult

__all__ = ["BatchSpec", "Row", "read_rows", "result_line", "row_key"]


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """The agent every row of a batch runs, as JSON values.

    ``model`` is ``provider:model``; ``tools`` are ``module:function`` or
    ``/path/file.py:function``; ``output_type`` is ``module:Class`` / ``file.py:Class`` (a
    pydantic model, dataclass or TypedDict) or a ``.json`` file holding a JSON schema.
    ``requests_per_second`` and ``tokens_per_minute`` limit each process's calls to the
    model's provider; ``retries`` is how many times a failed model call is tried again
    (transient failures only, see :mod:`reverie.retry`). Keys come from the environment.
    """

    model: str
    system: str | None = None
    tools: tuple[str, ...] = ()
    output_type: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    base_url: str | None = None
    requests_per_second: float | None = None
    tokens_per_minute: int | None = None
    retries: int = 2
    extra: Mapping[str, Any] = field(default_factory=dict[str, Any])

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ConfigurationError("retries must be 0 or more")

    def to_value(self) -> dict[str, Any]:
        value = asdict(self)
        value["tools"] = list(self.tools)
        value["extra"] = dict(self.extra)
        return value

    @classmethod
    def from_value(cls, value: Mapping[str, Any]) -> BatchSpec:
        known = set(cls.__dataclass_fields__)
        data = {k: v for k, v in value.items() if k in known}
        data["tools"] = tuple(data.get("tools", ()))
        return cls(**data)

    def agent(self, api_key: str | None = None) -> Agent:
        """The agent, built as in every process that runs this batch."""
        from reverie.providers import get_model

        tools = [load_tool(t) for t in self.tools]  # the user's own files fail first
        output_type = _output_type(self.output_type) if self.output_type else None
        options: dict[str, Any] = {}
        if self.base_url:
            options["base_url"] = self.base_url
        if api_key:
            options["api_key"] = api_key
        model: Any = get_model(self.model, **options)
        limiter = limiter_for(model.provider, self.requests_per_second, self.tokens_per_minute)
        if limiter is not None:
            model = LimitedModel(model, limiter)
        return Agent(
            model,
            system=self.system,
            tools=tools,
            max_output_tokens=self.max_tokens,
            temperature=self.temperature,
            output_type=output_type,
            retry=RetryPolicy(attempts=self.retries + 1),
        )

    def fingerprint(self) -> str:
        """A short hash of the spec (part of a default batch id)."""
        text = json.dumps(self.to_value(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def _output_type(spec: str) -> Any:
    if spec.endswith(".json"):
        try:
            return json.loads(Path(spec).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"--output-type {spec}: not a JSON schema file ({exc})"
            ) from exc
    return load_attribute(spec, "--output-type")[0]


@dataclass(frozen=True, slots=True)
class Row:
    """One input row: its key (the ``id`` field, else its line number) and its prompt."""

    key: str
    prompt: str


def row_key(value: Any, line: int) -> str:
    if isinstance(value, dict):
        given = cast(dict[str, Any], value).get("id")
        if given is not None and str(given):
            return str(given)
    return str(line)


def read_rows(path: str | Path) -> Iterator[Row]:
    """The rows of a JSONL file: each line a JSON string (the prompt) or an object with
    ``prompt`` (or ``input``) and an optional ``id``. Blank lines are skipped; a bad line is
    a :class:`~reverie.errors.DataFormatError` naming it."""
    seen: set[str] = set()
    try:
        handle = Path(path).open(encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise ConfigurationError(f"cannot read the batch input {path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                raise DataFormatError(f"{path}:{number}: not JSON ({exc})") from exc
            if isinstance(value, str):
                prompt = value
            elif isinstance(value, dict):
                obj = cast(dict[str, Any], value)
                prompt = obj.get("prompt", obj.get("input"))
                if not isinstance(prompt, str):
                    raise DataFormatError(f'{path}:{number}: the row has no "prompt" string')
            else:
                raise DataFormatError(f"{path}:{number}: a row is a string or an object")
            key = row_key(value, number)
            if key in seen:
                raise DataFormatError(f"{path}:{number}: the row id {key!r} was used before")
            seen.add(key)
            yield Row(key, prompt)


def result_line(key: str, result: RunResult | None, error: BaseException | None) -> dict[str, Any]:
    """What RESULTS.jsonl holds for a row: ``id``, then ``text`` (and ``output``, ``usage``,
    ``steps``, ``cost_usd`` when the price is known), or ``error`` (``kind``, ``message``)."""
    from reverie.durable._errors import failure_value

    if result is None:
        assert error is not None
        return {"id": key, "error": failure_value(error)}
    line: dict[str, Any] = {"id": key, "text": result.text}
    if result.output is not None:
        dump = getattr(result.output, "model_dump", None)
        line["output"] = dump(mode="json") if callable(dump) else result.output
    usage = result.usage
    line["usage"] = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    line["steps"] = len(result.steps)
    cost = result.cost
    if cost is not None:
        line["cost_usd"] = float(cost.total)
    return line
