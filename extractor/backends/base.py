"""The one interface every backend implements, and the capabilities it declares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from extractor.articles import Article
from extractor.schema import EventDraft, PromptRef, Usage


@dataclass(frozen=True)
class Extraction:
    """A backend's answer for one article (or one chunk of it)."""

    draft: EventDraft
    model: str
    usage: Usage = field(default_factory=Usage)
    prompt: PromptRef | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a run needs to know to schedule a backend, declared by the backend's class (the
    runner never asks for a backend by name)."""

    #: Uses the API key; a backend that does not is built without it.
    needs_key: bool = False
    #: CPU-bound in this process: one thread at a time, or worker processes over the cores,
    #: each building its own backend from the settings.
    runs_in_processes: bool = False
    #: Passes each of its requests through the run's `RequestGate` itself (so a slot is held
    #: per HTTP request); any other backend the run paces by holding a slot per article.
    paced_by_gate: bool = False
    #: Holds resources (connections) to release with `close()` when the run ends.
    has_close: bool = False


class Backend(Protocol):
    """Turns one article into an `EventDraft`. Raises `ExtractorError` subclasses on failure."""

    #: Registry name, e.g. "offline" or "openai".
    name: str
    capabilities: Capabilities

    @property
    def context_chars(self) -> int | None:
        """Longest article text (in characters) the backend takes in one call; None for no limit."""
        ...

    def fingerprint(self) -> dict[str, str]:
        """Everything that changes the output: model, parameters, prompt hash, rules version."""
        ...

    def extract(self, article: Article) -> Extraction:
        """Extract the article's main event."""
        ...


class ClosableBackend(Backend, Protocol):
    """A backend that declares `Capabilities.has_close`."""

    def close(self) -> None:
        """Release what the backend holds (connection pools)."""
        ...


class BackendWrapper:
    """Base of a backend that wraps another to add a policy (pacing, caching, stopping): the
    name, context budget and fingerprint are the wrapped backend's; subclasses override
    `extract`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name
        self.capabilities = backend.capabilities

    @property
    def context_chars(self) -> int | None:
        """The wrapped backend's context budget."""
        return self.backend.context_chars

    def fingerprint(self) -> dict[str, str]:
        """The wrapped backend's fingerprint: the policy does not change answers."""
        return self.backend.fingerprint()

    def extract(self, article: Article) -> Extraction:
        """The wrapped backend's answer."""
        return self.backend.extract(article)
