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
