"""Backend name -> backend class, and building one from `Settings`.

A new backend is one module with a class that implements `Backend`, declares its
`Capabilities` and builds itself with ``from_settings(settings, gate)``, plus one entry here.
Classes are imported on first use, not at module import: the offline one loads spaCy and the
LLM one the OpenAI SDK, and neither should slow down ``extract --help``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from extractor.errors import ConfigError

if TYPE_CHECKING:
    from extractor.backends.base import Backend, Capabilities
    from extractor.pacing import RequestGate
    from extractor.settings import Settings

#: Name -> "module:Class".
REGISTRY: dict[str, str] = {
    "offline": "extractor.backends.offline:OfflineBackend",
    "openai": "extractor.backends.llm.backend:OpenAIBackend",
}
BACKEND_NAMES: tuple[str, ...] = tuple(REGISTRY)


class BackendClass(Protocol):
    """What a registered backend class offers before it is built."""

    capabilities: Capabilities

    def from_settings(self, settings: Settings, gate: RequestGate | None) -> Backend:
        """A backend configured by `settings`; requests pass through `gate` if it is paced."""
        ...


def backend_class(name: str) -> BackendClass:
    """The class registered as `name`. Raises `ConfigError` for an unknown name."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown backend {name!r}; choose from {', '.join(BACKEND_NAMES)}")
    module, _, attribute = REGISTRY[name].partition(":")
    found: BackendClass = getattr(importlib.import_module(module), attribute)
    return found


def create_backend(settings: Settings, gate: RequestGate | None = None) -> Backend:
    """Build the backend `settings.backend` names; a backend that makes requests passes each one
    through `gate`. Raises `ConfigError` for a bad configuration."""
    chosen = backend_class(settings.backend)
    declared = chosen.capabilities
    if not declared.needs_key:
        settings = settings.with_changes(api_key=None)  # a backend that needs none never sees it
    return chosen.from_settings(settings, gate if declared.paced_by_gate else None)
