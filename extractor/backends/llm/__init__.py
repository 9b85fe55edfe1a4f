"""The OpenAI-compatible LLM backend: config, transport retries, and the backend itself."""

from extractor.backends.llm.backend import OpenAIBackend
from extractor.backends.llm.config import PRESETS, OpenAIConfig

__all__ = ["PRESETS", "OpenAIBackend", "OpenAIConfig"]
