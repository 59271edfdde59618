"""The conformance suite: replay every recorded conversation through the real agent.

For each cassette, the runner reads only what a user would configure — which provider
(from the recorded URL), its endpoint and the model id — and builds everything it sends
from the scenario's inputs (``shared/cassettes/README.md``): prompts, tools, options. The
request reverie builds must match the recorded one; the response is checked the way the
scenario says. Nothing is taken from the recorded request bodies but the model id.

Scenarios come from the file name (``tool_streaming.yaml``) or, for the image-upload,
web-search and computer-use tests, from the folder. Options come from the test folder.
A provider or scenario reverie does not support yet is *skipped* with that reason.
"""

from reverie.testing._conformance.checks import check
from reverie.testing._conformance.runner import (
    SCREENSHOT_PNG,
    find_cassettes,
    find_image,
    run_all,
    run_cassette,
    summarize,
)
from reverie.testing._conformance.scenarios import (
    SCENARIOS,
    CheckResult,
    Failure,
    Scenario,
    Skip,
    add,
    multiply,
    parse_scenario,
    weather,
)
from reverie.testing._conformance.targets import (
    Target,
    anthropic_cache_control,
    build_model,
    folder_options,
    infer_target,
)

__all__ = [
    "SCENARIOS",
    "SCREENSHOT_PNG",
    "CheckResult",
    "Failure",
    "Scenario",
    "Skip",
    "Target",
    "add",
    "anthropic_cache_control",
    "build_model",
    "check",
    "find_cassettes",
    "find_image",
    "folder_options",
    "infer_target",
    "multiply",
    "parse_scenario",
    "run_all",
    "run_cassette",
    "summarize",
    "weather",
]
