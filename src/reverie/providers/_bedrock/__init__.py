"""AWS Bedrock's own wires: Converse / ConverseStream (every chat model on Bedrock, one
request shape) and the embedding models' invoke bodies (Titan, Cohere).

Claude's Anthropic-shaped invoke body stays in :mod:`reverie.providers._anthropic` (its
``Bedrock`` host signs for both). The wire modules here are pure; the model classes do the
I/O through :mod:`reverie.providers._http`.
"""
