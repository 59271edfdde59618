"""What ``module:name`` and ``file.py:name`` specs load (reverie._loading): the one loader of
``--tool``, ``--output-type``, ``--agent``, batches and durable runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie._loading import absolute_spec, load_attribute, load_tool
from reverie.batch._spec import BatchSpec
from reverie.errors import ConfigurationError
from reverie.output import object_schema

TOOLS = """
RUNS = []
RUNS.append(1)

def add(a: int, b: int) -> int:
    "Add two numbers."
    return a + b

def multiply(a: int, b: int) -> int:
    "Multiply two numbers."
    return a * b
"""

SHAPES = """
from __future__ import annotations
from dataclasses import dataclass

@dataclass
class Answer:
    city: str
    detail: Detail | None = None

@dataclass
class Detail:
    population: int
"""


def test_a_file_named_by_several_specs_runs_once(tmp_path: Path) -> None:
    path = tmp_path / "tools.py"
    path.write_text(TOOLS)
    add, multiply = load_tool(f"{path}:add"), load_tool(f"{path}:multiply")
    assert (add.name, multiply.name) == ("add", "multiply")
    runs, _ = load_attribute(f"{path}:RUNS", "--tool")
    assert runs == [1]  # module-level code ran once for three specs


def test_a_relative_and_an_absolute_spec_name_the_same_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tools.py").write_text(TOOLS)
    monkeypatch.chdir(tmp_path)
    relative, _ = load_attribute("tools.py:add", "--tool")
    absolute, _ = load_attribute(absolute_spec("tools.py:add"), "--tool")
    assert relative is absolute
    assert absolute_spec("tools.py:add") == f"{tmp_path / 'tools.py'}:add"
    assert absolute_spec("pkg.mod:add") == "pkg.mod:add"
    assert absolute_spec("schema.json") == str(tmp_path / "schema.json")


def test_a_dataclass_with_postponed_annotations_is_an_output_type(tmp_path: Path) -> None:
    # Its annotations are strings, resolved through sys.modules[cls.__module__]: the loader
    # registers a file's module there, as an import would.
    path = tmp_path / "shapes.py"
    path.write_text(SHAPES)
    answer, _ = load_attribute(f"{path}:Answer", "--output-type")
    schema = object_schema(answer).json_schema
    assert schema["required"] == ["city"]
    assert "population" in str(schema["properties"]["detail"])
    agent = BatchSpec("openai:gpt-4o", output_type=f"{path}:Answer").agent("sk-test-0123456789")
    assert agent.output is not None and agent.output.schema.target is answer


def test_a_file_that_failed_is_loaded_again_once_fixed(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def add(a: int) -> int\n    return a\n")
    with pytest.raises(ConfigurationError, match="failed at line 1: SyntaxError"):
        load_tool(f"{path}:add")
    path.write_text("def add(a: int) -> int:\n    'Add.'\n    return a\n")
    assert load_tool(f"{path}:add").name == "add"


def test_an_import_time_error_names_the_users_line(tmp_path: Path) -> None:
    path = tmp_path / "boom.py"
    path.write_text("import json\nraise RuntimeError('no database')\n")
    with pytest.raises(ConfigurationError) as caught:
        load_attribute(f"{path}:add", "--agent")
    message = str(caught.value)
    assert message.startswith(f"--agent '{path}:add': {path} failed to import")
    assert f"{path}:2" in message and "RuntimeError: no database" in message
