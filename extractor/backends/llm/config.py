"""Settings of the OpenAI-compatible backend, and presets for common local servers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from extractor.errors import ConfigError

if TYPE_CHECKING:
    from extractor.settings import Settings

#: How the answer's structure is asked for (README, "Output modes"):
#: ``json_schema``: ``{"type": "json_schema", "json_schema": {"strict": true, "schema": ...}}``;
#: ``json_object_schema``: ``{"type": "json_object", "schema": ...}`` (llama.cpp's servers),
#: with the schema in the prompt too; ``json_object``: ``{"type": "json_object"}``, the schema
#: in the prompt only.
OutputMode = Literal["json_schema", "json_object_schema", "json_object"]
OUTPUT_MODES: tuple[str, ...] = ("json_schema", "json_object_schema", "json_object")


@dataclass(frozen=True)
class OpenAIConfig:
    """Everything the backend needs; one object, validated on construction."""

    model: str = "gpt-4o-mini"
    #: None -> api.openai.com (the environment is read by `Settings`, never here).
    base_url: str | None = None
    #: None -> no key: an error for api.openai.com; a local server gets a placeholder.
    api_key: str | None = field(default=None, repr=False)
    output_mode: OutputMode = "json_schema"
    timeout: float = 60.0
    #: Transport retries (429, 5xx, timeouts, dropped connections).
    max_retries: int = 5
    #: Validation re-asks, counted apart from transport retries.
    max_reasks: int = 2
    temperature: float = 0.0
    max_output_tokens: int = 4096
    #: Longest list the schema sent allows, with length limits on its strings
    #: (`extractor.schema.bounded_schema`); None sends no such bounds (OpenAI rejects them).
    max_items: int | None = None
    #: Article characters per call; longer articles are chunked by the pipeline.
    context_chars: int = 48_000
    prompt_name: str = "event_record"
    prompt_version: str | None = None
    #: Prompt templates looked up here before the bundled ones.
    prompts_dir: Path | None = None
    #: Longest wait between transport retries, also the cap on a server's Retry-After.
    max_retry_wait: float = 30.0
    #: An answer with more than this share of its evidence quotes not in the article is
    #: re-asked once, naming them (`extractor.grounding.MAX_UNVERIFIED_SHARE`).
    max_unverified: float = 0.5

    def __post_init__(self) -> None:
        if self.output_mode not in OUTPUT_MODES:
            raise ConfigError(
                f"output_mode must be one of {OUTPUT_MODES}, not {self.output_mode!r}"
            )
        if not self.model:
            raise ConfigError("model must be set")
        numbers = {
            "timeout": self.timeout,
            "max_output_tokens": self.max_output_tokens,
            "context_chars": self.context_chars,
        }
        if self.max_items is not None:
            numbers["max_items"] = self.max_items
        for name, value in numbers.items():
            if value <= 0:
                raise ConfigError(f"{name} must be positive, not {value}")
        counts = {"max_retries": self.max_retries, "max_reasks": self.max_reasks}
        for name, value in counts.items():
            if value < 0:
                raise ConfigError(f"{name} must be zero or more, not {value}")
        if not 0.0 <= self.max_unverified <= 1.0:
            raise ConfigError(f"max_unverified must be between 0 and 1, not {self.max_unverified}")
        if self.max_retry_wait < 0:
            raise ConfigError(f"max_retry_wait must be zero or more, not {self.max_retry_wait}")

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIConfig:
        """The config `settings` describe (which already hold the preset's values where it
        wins); what they leave unset keeps the preset's or this class's default."""
        given: dict[str, Any] = {
            "model": settings.model,
            "base_url": settings.base_url,
            "api_key": settings.api_key,
            "output_mode": settings.output_mode,
            "timeout": settings.timeout,
            "max_retries": settings.max_retries,
            "max_reasks": settings.max_reasks,
            "max_output_tokens": settings.max_output_tokens,
            "max_items": settings.max_items,
            "max_unverified": settings.max_unverified,
            "context_chars": settings.context_chars,
            "prompts_dir": settings.prompts_dir,
        }
        overrides = {name: value for name, value in given.items() if value is not None}
        if settings.preset:
            return cls.from_preset(settings.preset, **overrides)
        return cls(**overrides)

    @classmethod
    def from_preset(cls, preset: str, **overrides: Any) -> OpenAIConfig:
        """A config for a named local server (see `PRESETS`), with explicit overrides on top."""
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown OpenAI settings {sorted(unknown)}")
        return cls(**{**PRESETS[preset], **overrides})


# Local OpenAI-compatible servers at their default ports. Their models run with small context
# windows by default (Ollama: 4k tokens unless num_ctx is raised), hence the smaller chunks.
# Ollama, vLLM and LM Studio take `response_format: json_schema`; llama.cpp's `llama-server`
# takes it too, but `llama-cpp-python`'s server does not (HTTP 500), and both take
# `json_object` with a `schema`, so the llamacpp preset uses that mode. llama.cpp turns
# `maxItems`/`maxLength` into grammar bounds, so its preset sends them: a small model that
# repeats itself is made to close its lists instead of running to the token limit.
PRESETS: dict[str, dict[str, Any]] = {
    "ollama": {
        "base_url": "http://localhost:11434/v1",
        "model": "qwen2.5:7b-instruct",
        "context_chars": 8_000,
        "max_output_tokens": 2048,
        "timeout": 300.0,
    },
    "vllm": {
        "base_url": "http://localhost:8000/v1",
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "context_chars": 24_000,
        "max_output_tokens": 2048,
        "timeout": 300.0,
    },
    "llamacpp": {
        "base_url": "http://localhost:8080/v1",
        "model": "local",
        "output_mode": "json_object_schema",
        "max_items": 8,
        "context_chars": 8_000,
        "max_output_tokens": 2048,
        "timeout": 600.0,
    },
    "lmstudio": {
        "base_url": "http://localhost:1234/v1",
        "model": "local-model",
        "context_chars": 12_000,
        "max_output_tokens": 2048,
        "timeout": 300.0,
    },
}
