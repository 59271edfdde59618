"""Tools from typed Python functions.

::

    @tool
    def weather(location: Annotated[str, "the city"]) -> str:
        "Get weather information for a location"
        return "40 C"

The function's name is the tool's name, its docstring's text (without an ``Args:`` section)
the description, and its parameters the JSON schema. A parameter is described by
``Annotated[T, "text"]``, ``Annotated[T, Field(description=...)]`` or a Google-style
``Args:`` / Sphinx ``:param x:`` docstring entry; parameters without defaults are required.
Any type pydantic understands works, pydantic models included. The schema carries no
``title`` keys (providers do not want them and the recorded requests have none).

A tool may be sync (run in a worker thread) or async. It returns text, any JSON-able value
(sent as JSON text), a :class:`~reverie.content.ToolOutput` (media, an error), or a
:class:`ToolResponse` to also end the agent's turn. An exception inside a tool becomes an
error result the model sees; it never crashes the run.

``@tool(timeout=30)`` bounds one call of the tool (the agent's ``tool_timeout`` is the
default for tools without their own; ``float("inf")`` exempts a tool from it): a call still
running then is stopped and answered with an error result the model sees, and the run goes
on. An async tool is cancelled. A sync tool's thread cannot be stopped (no Python thread
can): it is abandoned and runs on until its function returns, its result dropped. Its
thread is a daemon thread of its own, so neither the run, nor ``asyncio.run``, nor the
interpreter's exit waits for it.

Human in the loop: ``@tool(requires_approval=True)`` (or a predicate over the arguments,
``requires_approval=lambda args: args["amount"] > 100``) pauses the run before the call until
it is approved or denied; ``@tool(external=True)`` on a function whose body is never run (its
signature describes the arguments) pauses the run until the caller gives the result, and so
does a tool that raises :class:`CallDeferred`. See :mod:`reverie.approval`.

pydantic is imported when the first tool's schema is built, not when reverie is imported.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    TypeAlias,
    get_args,
    get_origin,
    get_type_hints,
    overload,
)

import orjson

from reverie._deadline import check_timeout
from reverie._jsonschema import strip_titles
from reverie._threads import run_in_thread
from reverie.content import (
    ErrorOutput,
    JsonOutput,
    MediaOutput,
    TextOutput,
    ToolOutput,
)
from reverie.errors import ToolDefinitionError
from reverie.model import ToolSpec

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "ApprovalRule",
    "CallDeferred",
    "FunctionTool",
    "ToolArgumentsError",
    "ToolResponse",
    "tool",
]


@dataclass(frozen=True, slots=True)
class ToolResponse:
    """A tool's result plus control over the run: ``stop_turn`` ends it after this step."""

    output: ToolOutput | str
    stop_turn: bool = False

    @classmethod
    def of(cls, value: Any) -> ToolResponse:
        """Whatever a tool may return, as a response: a ``ToolResponse`` or tool output as
        is, a string as text, a pydantic model or JSON-able value as JSON text, anything
        else as ``str(value)``."""
        return _to_tool_response(value)


_OUTPUT_TYPES = (TextOutput, ErrorOutput, MediaOutput, JsonOutput)


class ToolArgumentsError(Exception):
    """Arguments did not validate against the tool's parameters (shown to the model)."""


class CallDeferred(Exception):
    """Raise from a tool to leave its result to someone outside the run: the run pauses with
    the call pending (``kind="external"``), and the result is given on resume."""


ApprovalRule: TypeAlias = "bool | Callable[[dict[str, Any]], bool]"
"""A tool's ``requires_approval``: always, never, or a predicate over the arguments."""


class FunctionTool:
    """A client-side tool: a name, a description, a JSON schema and a Python callable.

    Build one with :func:`tool`, or with :meth:`from_schema` for a hand-written schema.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        schema: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        requires_approval: ApprovalRule = False,
        external: bool = False,
    ) -> None:
        if not callable(fn):
            raise ToolDefinitionError(f"tool expects a function, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "")
        self._check_name(self.name)
        doc = inspect.getdoc(fn) or ""
        self._param_docs = _param_docs(doc)
        self.description = description if description is not None else _summary(doc)
        self._explicit_schema = dict(schema) if schema is not None else None
        self._is_async = inspect.iscoroutinefunction(fn)
        self.timeout = check_timeout(timeout, f"tool {self.name!r}: timeout")
        self.requires_approval: ApprovalRule = requires_approval
        self.external = external
        if self._explicit_schema is None:
            self._check_signature()

    @staticmethod
    def _check_name(name: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise ToolDefinitionError(
                f"tool name {name!r} is not valid: providers accept 1-64 letters, "
                "digits, '_' or '-'; pass name=... to choose another"
            )

    @classmethod
    def from_schema(
        cls,
        name: str,
        description: str,
        schema: Mapping[str, Any],
        fn: Callable[[dict[str, Any]], Any] | None = None,
        *,
        timeout: float | None = None,
        requires_approval: ApprovalRule = False,
    ) -> FunctionTool:
        """A tool whose arguments are checked only against ``schema``'s required keys;
        ``fn`` receives them as one dict. Without ``fn`` the tool is external: the run pauses
        on each call until the caller gives its result."""
        return cls(
            fn or _no_body,
            name=name,
            description=description,
            schema=schema,
            timeout=timeout,
            requires_approval=requires_approval,
            external=fn is None,
        )

    def needs_approval(self, arguments: Mapping[str, Any]) -> bool:
        """Whether a call with ``arguments`` waits for approval (per ``requires_approval``)."""
        rule = self.requires_approval
        return bool(rule(dict(arguments))) if callable(rule) else bool(rule)

    def _check_signature(self) -> None:
        for p in inspect.signature(self.fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
                raise ToolDefinitionError(
                    f"tool {self.name!r}: parameter {p.name!r} must be a plain named "
                    "parameter (no *args, **kwargs or positional-only)"
                )

    @cached_property
    def _model(self) -> type[BaseModel] | None:
        if self._explicit_schema is not None:
            return None
        from pydantic import Field, create_model

        try:
            hints = get_type_hints(self.fn, localns=_closure_names(self.fn), include_extras=True)
        except Exception as exc:
            raise ToolDefinitionError(
                f"tool {self.name!r}: its type hints cannot be resolved ({exc}); define the "
                "types it names at module level"
            ) from exc
        fields: dict[str, Any] = {}
        for p in inspect.signature(self.fn).parameters.values():
            hint: Any = hints.get(p.name, Any)
            doc = self._param_docs.get(p.name)
            if get_origin(hint) is Annotated:
                base, *extras = get_args(hint)
                texts = [e for e in extras if isinstance(e, str)]
                others = [e for e in extras if not isinstance(e, str)]
                if texts:
                    doc = texts[0]
                hint = Annotated[base, *others] if others else base
            default: Any = ... if p.default is p.empty else p.default
            fields[p.name] = (hint, Field(default, description=doc) if doc else default)
        try:
            return create_model(f"{self.name}_arguments", **fields)
        except Exception as exc:
            raise ToolDefinitionError(
                f"tool {self.name!r}: parameters cannot be described as JSON schema ({exc})"
            ) from exc

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments object."""
        if self._explicit_schema is not None:
            return self._explicit_schema
        model = self._model
        assert model is not None
        schema = strip_titles(model.model_json_schema())
        schema.setdefault("properties", {})
        return schema

    def renamed(self, name: str) -> FunctionTool:
        """This tool under another name (the function and schema are shared)."""
        self._check_name(name)
        clone = copy.copy(self)
        clone.name = name
        return clone

    @property
    def spec(self) -> ToolSpec:
        """What a provider is sent."""
        return ToolSpec(self.name, self.description, self.input_schema)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the arguments the schema requires."""
        req: Any = self.input_schema.get("required", ())
        return tuple(str(r) for r in req)

    async def run(self, arguments: Mapping[str, Any]) -> ToolResponse:
        """Validate ``arguments`` and call the function; never raises for the tool's own faults.

        Invalid arguments raise :class:`ToolArgumentsError` (the call is not made); an
        exception from the function becomes an ``ErrorOutput``.
        """
        kwargs = self.validate(arguments)
        try:
            value = await self._call(arguments, kwargs)
        except (asyncio.CancelledError, CallDeferred):
            raise
        except Exception as exc:
            return ToolResponse(ErrorOutput(_describe(exc)))
        return _to_tool_response(value)

    async def invoke(self, arguments: Mapping[str, Any]) -> Any:
        """Validate ``arguments`` and call the function; whatever it returns, as is.

        Unlike :meth:`run`, the function's exceptions propagate (an MCP server maps them
        itself); invalid arguments raise :class:`ToolArgumentsError`.
        """
        return await self._call(arguments, self.validate(arguments))

    async def _call(self, arguments: Mapping[str, Any], kwargs: dict[str, Any]) -> Any:
        if self._explicit_schema is not None:
            value = self.fn(dict(arguments))
        elif self._is_async:
            value = self.fn(**kwargs)
        else:
            value = await run_in_thread(self.fn, **kwargs)
        if inspect.isawaitable(value):
            value = await value
        return value

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments for the function, or :class:`ToolArgumentsError`."""
        model = self._model
        if model is None:
            missing = [k for k in self.required if k not in arguments]
            if missing:
                raise ToolArgumentsError(f"missing required argument(s): {', '.join(missing)}")
            return dict(arguments)
        from pydantic import ValidationError

        try:
            parsed = model.model_validate(dict(arguments))
        except ValidationError as exc:
            raise ToolArgumentsError(_validation_message(exc)) from exc
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}

    async def __call__(self, **kwargs: Any) -> Any:
        """Call the underlying function directly (handy in tests)."""
        value = self.fn(**kwargs)
        return await value if inspect.isawaitable(value) else value

    def __repr__(self) -> str:
        return f"FunctionTool({self.name!r})"


@overload
def tool(fn: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: ApprovalRule = False,
    external: bool = False,
) -> Callable[[Callable[..., Any]], FunctionTool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: ApprovalRule = False,
    external: bool = False,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Make a :class:`FunctionTool` from a typed function: ``@tool`` or
    ``@tool(name=..., description=..., timeout=seconds)``.

    ``requires_approval`` (True, or a predicate over the arguments dict) pauses the run before
    each such call until it is approved; ``external=True`` never runs the function: the run
    pauses and the caller gives the result (see :mod:`reverie.approval`)."""
    if fn is not None:
        return FunctionTool(
            fn,
            name=name,
            description=description,
            timeout=timeout,
            requires_approval=requires_approval,
            external=external,
        )

    def wrap(f: Callable[..., Any]) -> FunctionTool:
        return FunctionTool(
            f,
            name=name,
            description=description,
            timeout=timeout,
            requires_approval=requires_approval,
            external=external,
        )

    return wrap


def _to_tool_response(value: Any) -> ToolResponse:
    """Turn whatever a tool returned into a :class:`ToolResponse`."""
    if isinstance(value, ToolResponse):
        if isinstance(value.output, str):
            return ToolResponse(TextOutput(value.output), value.stop_turn)
        return value
    if isinstance(value, _OUTPUT_TYPES):
        return ToolResponse(value)
    if isinstance(value, str):
        return ToolResponse(TextOutput(value))
    if hasattr(value, "model_dump_json"):
        return ToolResponse(TextOutput(str(value.model_dump_json())))
    try:
        return ToolResponse(TextOutput(orjson.dumps(value).decode()))
    except TypeError:
        return ToolResponse(TextOutput(str(value)))


def _no_body(arguments: dict[str, Any]) -> Any:  # pragma: no cover - never called
    raise CallDeferred("external tool")


def _closure_names(fn: Callable[..., Any]) -> dict[str, Any]:
    """Names a nested function closes over, so string annotations can refer to them."""
    code = getattr(fn, "__code__", None)
    cells = getattr(fn, "__closure__", None) or ()
    if code is None:
        return {}
    names: dict[str, Any] = {}
    for name, cell in zip(code.co_freevars, cells, strict=False):
        try:
            names[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return names


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _validation_message(exc: Any) -> str:
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(x) for x in err.get("loc", ())) or "arguments"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "invalid arguments: " + "; ".join(parts)


def _summary(doc: str) -> str:
    """The docstring without its parameter section."""
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        if re.match(r"^(Args|Arguments|Parameters|Returns|Raises)\s*:?\s*$", stripped):
            break
        if stripped.startswith((":param", ":return", ":raises")):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def _param_docs(doc: str) -> dict[str, str]:
    """Parameter descriptions from a Google-style ``Args:`` section or ``:param x:`` lines."""
    out: dict[str, str] = {}
    for m in re.finditer(r"^\s*:param\s+(?:\w+\s+)?(\w+)\s*:\s*(.+)$", doc, re.M):
        out[m.group(1)] = m.group(2).strip()
    section = re.search(r"^(?:Args|Arguments|Parameters)\s*:?\s*\n((?:[ \t]+.*\n?)+)", doc, re.M)
    if section:
        current = ""
        for line in section.group(1).splitlines():
            m = re.match(r"^\s+(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
            if m:
                current = m.group(1).lstrip("*")
                out[current] = m.group(2).strip()
            elif current and line.strip():
                out[current] = f"{out[current]} {line.strip()}".strip()
    return out
