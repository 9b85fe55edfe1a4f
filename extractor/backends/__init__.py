"""Backends: the offline rules pipeline and OpenAI-compatible LLMs."""
