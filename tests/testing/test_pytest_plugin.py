"""The pytest plugin, as a user meets it: record once against a (loopback) provider, replay
offline afterwards, and a clear failure when the agent's request changes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml  # noqa: F401  # pyright: ignore[reportUnusedImport]

# Imported here so pytester's in-process runs find them already loaded: PyYAML's C parser
# cannot be re-imported (it keeps the node classes of its first import).
import reverie.testing._transport  # noqa: F401  # pyright: ignore[reportUnusedImport]
from tests.testing.fake_openai import FakeOpenAI

pytest_plugins = ("pytester",)

TEST_FILE = '''
import pytest
from reverie import Agent

BASE_URL = "{base_url}"
PROMPT = "{prompt}"


def weather(location: str) -> str:
    """Get weather information for a location"""
    return "40 C"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_weather(reverie_cassette):
    model = reverie_cassette.model("openai:gpt-4o", base_url=BASE_URL)
    agent = Agent(model, system="You are a helpful assistant", tools=[weather])
    result = await agent.generate(PROMPT)
    assert "40 C" in result.text
    {extra}
'''


def _write(pytester: pytest.Pytester, base_url: str, prompt: str, extra: str = "") -> None:
    pytester.makepyfile(test_agent=TEST_FILE.format(base_url=base_url, prompt=prompt, extra=extra))


def test_record_once_then_replay_offline_then_fail_clearly_on_a_change(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REVERIE_RECORD_MODE", raising=False)
    with FakeOpenAI() as server:
        _write(pytester, server.base_url, "Weather in Florence?")

        # No cassette yet, default mode replay: a setup error that says how to record.
        result = pytester.runpytest("-q", "-W", "error", "-p", "no:cacheprovider")
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*no cassette at*--record-mode=once*"])

        monkeypatch.setenv("OPENAI_API_KEY", "sk-user-real-key-0123456789")
        result = pytester.runpytest("-q", "-W", "error", "--record-mode=once")
        result.assert_outcomes(passed=1)
        assert len(server.requests) == 2
        cassette = pytester.path / "cassettes" / "test_agent" / "test_weather.yaml"
        text = cassette.read_text()
        assert text.startswith("---\nversion: 2\ninteractions:\n- id: 0\n")
        assert "sk-user-real-key" not in text

        # Replay: no key in the environment, and no request reaches the server.
        monkeypatch.delenv("OPENAI_API_KEY")
        result = pytester.runpytest("-q", "-W", "error")
        result.assert_outcomes(passed=1)
        assert len(server.requests) == 2

        # The agent now asks something else: the failure shows the JSON difference.
        _write(pytester, server.base_url, "Weather in Paris?")
        result = pytester.runpytest("-q", "-W", "error")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*reverie: no recording in*test_weather.yaml matches*",
                '*$.messages?1?.content: "Weather in Florence?" -> "Weather in Paris?"*',
                "*--record-mode*",
            ]
        )
        assert len(server.requests) == 2


def test_a_failing_test_does_not_save_its_recording(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user-real-key-0123456789")
    with FakeOpenAI() as server:
        _write(pytester, server.base_url, "Weather in Florence?", extra="assert False")
        result = pytester.runpytest("-q", "-W", "error", "--record-mode=once")
        result.assert_outcomes(failed=1)
        assert len(server.requests) == 2
    assert not (pytester.path / "cassettes").exists()


def test_the_environment_variable_and_markers_choose_the_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user-real-key-0123456789")
    monkeypatch.setenv("REVERIE_RECORD_MODE", "once")
    with FakeOpenAI() as server:
        _write(pytester, server.base_url, "Weather in Florence?")
        pytester.runpytest("-q", "-W", "error").assert_outcomes(passed=1)
        assert len(server.requests) == 2
        # A marker that names another file in passthrough mode: calls the server, saves nothing.
        pytester.makepyfile(
            test_other=textwrap.dedent(
                f'''
                import pytest

                @pytest.fixture
                def anyio_backend():
                    return "asyncio"

                @pytest.mark.anyio
                @pytest.mark.reverie_cassette(name="custom", record_mode="passthrough")
                async def test_raw(reverie_http, reverie_cassette):
                    r = await reverie_http.post("{server.base_url}/echo", json={{"a": 1}})
                    assert r.json()["path"] == "/v1/echo"
                    assert reverie_cassette.path.name == "custom.yaml"
                '''
            )
        )
        pytester.runpytest("-q", "-W", "error", "test_other.py").assert_outcomes(passed=1)
        assert len(server.requests) == 3
    assert not (pytester.path / "cassettes" / "test_other").exists()


def test_require_all_played_fails_a_test_that_makes_fewer_calls(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user-real-key-0123456789")
    with FakeOpenAI() as server:
        _write(pytester, server.base_url, "Weather in Florence?")
        pytester.runpytest("-q", "-W", "error", "--record-mode=once").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nreverie_require_all_played = true\n")
    pytester.makepyfile(
        test_agent=TEST_FILE.format(base_url="http://127.0.0.1:9/v1", prompt="x", extra="").replace(
            "async def test_weather(reverie_cassette):",
            "async def test_weather(reverie_cassette):\n    return",
        )
    )
    result = pytester.runpytest("-q", "-W", "error")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*2 recorded interaction(s)*were never requested*"])


def test_loading_the_plugin_does_not_import_reverie_http_or_yaml_code() -> None:
    code = (
        "import sys, reverie.testing.pytest_plugin;"
        "bad = [m for m in ('httpx2', 'yaml', 'pydantic', 'reverie.testing._transport',"
        " 'reverie.testing._cassette') if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cassette_is_named_as_the_test_whatever_the_anyio_backend(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As docs/testing.md writes the test: no anyio_backend fixture of the user's, so anyio's
    # plugin parametrizes it ("test_weather[asyncio]"); the file is still test_weather.yaml.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user-real-key-0123456789")
    with FakeOpenAI() as server:
        source = TEST_FILE.format(base_url=server.base_url, prompt="Weather?", extra="")
        source = source.replace('@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n', "")
        source += textwrap.dedent(
            """
            @pytest.mark.anyio
            @pytest.mark.parametrize("city", ["Rome"])
            async def test_city(reverie_cassette, city):
                model = reverie_cassette.model("openai:gpt-4o", base_url=BASE_URL)
                await Agent(model).generate(city)
            """
        )
        pytester.makepyfile(test_agent=source)
        result = pytester.runpytest("-q", "-p", "no:cacheprovider", "--record-mode=once")
        result.assert_outcomes(passed=2)
    written = sorted(p.name for p in (pytester.path / "cassettes" / "test_agent").iterdir())
    assert written == ["test_city-Rome.yaml", "test_weather.yaml"]
