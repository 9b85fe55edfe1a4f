"""Backend name -> backend instance, built from `Settings`.

Backends are imported inside `create_backend`, not at module import: the offline one loads
spaCy and the LLM one the OpenAI SDK, and neither should slow down ``extract --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from extractor.errors import ConfigError

if TYPE_CHECKING:
    from extractor.backends.base import Backend
    from extractor.pacing import RequestGate
    from extractor.settings import Settings

BACKEND_NAMES = ("offline", "openai")


def create_backend(settings: Settings, gate: RequestGate | None = None) -> Backend:
    """Build the backend `settings.backend` names; a backend that makes requests passes each one
    through `gate`. Raises `ConfigError` for a bad configuration."""
    if settings.backend == "offline":
        from extractor.backends.offline import OfflineBackend

        return OfflineBackend()
    if settings.backend == "openai":
        return _openai_backend(settings, gate)
    raise ConfigError(
        f"unknown backend {settings.backend!r}; choose from {', '.join(BACKEND_NAMES)}"
    )


def _openai_backend(settings: Settings, gate: RequestGate | None) -> Backend:
    from extractor.backends.openai_backend import OpenAIBackend, OpenAIConfig

    given: dict[str, Any] = {
        "model": settings.model,
        "base_url": settings.base_url,
        "api_key": settings.api_key,
        "output_mode": settings.output_mode,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
        "max_reasks": settings.max_reasks,
        "context_chars": settings.context_chars,
    }
    # Unset fields keep the backend's (or the preset's) own defaults.
    overrides = {name: value for name, value in given.items() if value is not None}
    if settings.preset:
        config = OpenAIConfig.from_preset(settings.preset, **overrides)
    else:
        config = OpenAIConfig(**overrides)
    backend: Backend = OpenAIBackend(config, gate=gate)
    return backend
