"""AWS Bedrock's own wires: Converse / ConverseStream (every chat model on Bedrock, one
request shape; :mod:`.wire`) and the embedding models' invoke bodies (Titan, Cohere).

Claude's Anthropic-shaped invoke body stays in :mod:`reverie.providers._anthropic`. Every
module here is pure; the hosts (:mod:`.host`: the Bedrock host and the Converse one, which
sign alike) say where requests go, and the generic models send them.
"""
