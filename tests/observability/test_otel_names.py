"""reverie's telemetry names are the semantic conventions' (checked against the package)."""

from __future__ import annotations

import warnings

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes

from reverie.otel import names

from .semconv import OPERATION_NAMES, SEMCONV, TOKEN_TYPES


def _ours() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(names).items()
        if name.startswith(("GEN_AI_", "ERROR_")) and isinstance(value, str)
    }


def test_every_standard_name_reverie_uses_is_the_conventions_constant_of_that_name() -> None:
    ours = _ours()
    assert len(ours) >= 30
    for name, value in ours.items():
        assert name in SEMCONV, f"{name} is not in opentelemetry-semantic-conventions"
        assert SEMCONV[name] == value, f"{name}: {value!r} != {SEMCONV[name]!r}"


def test_operation_provider_and_token_type_values_are_the_conventions_enum_values() -> None:
    with warnings.catch_warnings():  # the enums are marked deprecated (moved repositories)
        warnings.simplefilter("ignore", DeprecationWarning)
        operations = {e.value for e in gen_ai_attributes.GenAiOperationNameValues}
        providers = {e.value for e in gen_ai_attributes.GenAiProviderNameValues}
        token_types = {e.value for e in gen_ai_attributes.GenAiTokenTypeValues}
    assert {names.CHAT, names.INVOKE_AGENT, names.EXECUTE_TOOL} == OPERATION_NAMES
    assert operations >= OPERATION_NAMES
    assert token_types >= TOKEN_TYPES
    # Each mapped provider is a well-known value; others keep reverie's name, as allowed.
    assert set(names.PROVIDER_NAMES.values()) <= providers
