"""The Anthropic Messages wire (Claude), on the Anthropic API, AWS Bedrock and Vertex AI.

Modules: :mod:`.encode` (Call → body), :mod:`.decode` (response → Response),
:mod:`.stream` (events → stream events), :mod:`.wire` (the three as one
:class:`~reverie.providers._wire.Wire`), :mod:`.hosts` (URLs, auth and stream framing per
host). Bedrock's binary framing is :mod:`reverie.providers._eventstream`.
"""
