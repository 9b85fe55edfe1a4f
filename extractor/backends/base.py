"""The one interface every backend implements."""

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


class Backend(Protocol):
    """Turns one article into an `EventDraft`. Raises `ExtractorError` subclasses on failure."""

    #: Registry name, e.g. "offline" or "openai".
    name: str

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


class BackendWrapper:
    """Base of a backend that wraps another to add a policy (pacing, caching, stopping): the
    name, context budget and fingerprint are the wrapped backend's; subclasses override
    `extract`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name

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
