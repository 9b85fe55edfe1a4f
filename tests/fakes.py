"""A fake backend for runner and CLI tests: scripted answers and errors, no model, no network."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from extractor.articles import Article
from extractor.backends.base import Capabilities, Extraction
from extractor.schema import EventDraft, PartyDraft, Usage

# What `FakeBackend` can be told to answer: a draft, an exception to raise, a pause (seconds), an
# event to wait for or a function to call before its default answer.
Script = EventDraft | BaseException | float | threading.Event | Callable[[], None]


def draft_for(article: Article, title: str | None = None) -> EventDraft:
    """A valid draft whose evidence quotes are verbatim substrings of the article."""
    text = article.text.strip()
    quote = text[: min(len(text), 40)].strip() or text
    first_word = text.split()[0] if text.split() else text
    return EventDraft(
        title=title or article.title or f"Event in {article.id}",
        summary=quote,
        event_type="statement",
        date=None,
        location=None,
        parties=[
            PartyDraft(
                name=first_word,
                type="state",
                role="participant",
                aliases=[],
                represents=None,
                evidence=first_word,
            )
        ],
        treaty_terms=[],
        allegations=[],
        denials=[],
    )


class FakeBackend:
    """A `Backend` you can script per article id, or globally in call order.

    With nothing scripted it answers `draft_for(article)`. Every call is recorded in `calls`.
    """

    capabilities = Capabilities()

    def __init__(
        self,
        *,
        name: str = "fake",
        model: str = "fake-model",
        version: str = "1",
        context_chars: int | None = None,
        tokens: tuple[int, int] = (100, 20),
    ) -> None:
        self.name = name
        self.model = model
        self.version = version
        self._context_chars = context_chars
        self.tokens = tokens
        self.calls: list[str] = []
        self._queue: deque[Script] = deque()
        self._by_article: dict[str, deque[Script]] = {}
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def context_chars(self) -> int | None:
        return self._context_chars

    def enqueue(self, *scripts: Script, article: str | None = None) -> None:
        """Answer the next calls (for `article` only, if given) with these, in order."""
        with self._lock:
            target = (
                self._queue if article is None else self._by_article.setdefault(article, deque())
            )
            target.extend(scripts)

    def fingerprint(self) -> dict[str, str]:
        return {"backend": self.name, "model": self.model, "version": self.version}

    def extract(self, article: Article) -> Extraction:
        with self._lock:
            self.calls.append(article.id)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            own = self._by_article.get(article.id)
            script: Any = None
            if own:
                script = own.popleft()
            elif self._queue:
                script = self._queue.popleft()
        try:
            if isinstance(script, BaseException):
                raise script
            if isinstance(script, float):
                time.sleep(script)
            if isinstance(script, threading.Event):
                script.wait(timeout=30)
            elif callable(script):
                script()
            draft = script if isinstance(script, EventDraft) else draft_for(article)
            tokens_in, tokens_out = self.tokens
            usage = Usage(input_tokens=tokens_in, output_tokens=tokens_out, requests=1)
            return Extraction(draft=draft, model=self.model, usage=usage)
        finally:
            with self._lock:
                self.in_flight -= 1
