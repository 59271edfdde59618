"""The Anthropic Messages wire (Claude), on the Anthropic API, AWS Bedrock and Vertex AI.

Modules: :mod:`.encode` (Call → body), :mod:`.decode` (response → Response),
:mod:`.stream` (events → stream events), :mod:`.eventstream` (Bedrock's binary framing),
:mod:`.hosts` (URLs and auth per host), :mod:`.model` (the LanguageModel).
"""
