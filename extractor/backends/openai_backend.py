"""Public import path of the OpenAI-compatible backend (implemented in `extractor.backends.llm`)."""

from extractor.backends.llm import PRESETS, OpenAIBackend, OpenAIConfig

__all__ = ["PRESETS", "OpenAIBackend", "OpenAIConfig"]
