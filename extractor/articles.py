"""The article: text plus optional metadata, as every backend receives it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from extractor.errors import InputError


@dataclass(frozen=True)
class PublicationDate:
    """When an article was published: one day, or a window when only that is known.

    Written as ISO ``2024-06-19`` or as an ISO interval ``2024-06-19/2024-06-20``.
    A relative date ("on Wednesday") is resolved only if it gives the same day at
    both ends of the window.
    """

    earliest: date
    latest: date

    @classmethod
    def parse(cls, text: str) -> PublicationDate:
        raw = text.strip()
        try:
            if "/" in raw:
                first, last = raw.split("/", 1)
                earliest, latest = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
            else:
                earliest = latest = date.fromisoformat(raw[:10])
        except ValueError as exc:
            raise InputError(f"published date {text!r} is not ISO YYYY-MM-DD[/YYYY-MM-DD]") from exc
        if latest < earliest:
            raise InputError(f"published window {text!r} ends before it starts")
        return cls(earliest, latest)

    def __str__(self) -> str:
        if self.earliest == self.latest:
            return self.earliest.isoformat()
        return f"{self.earliest.isoformat()}/{self.latest.isoformat()}"


@dataclass(frozen=True)
class Article:
    """One news article. `id` is unique within a run; everything but `text` is optional."""

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    published: PublicationDate | None = None
    url: str | None = None
    sha256: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.text.encode("utf-8")).hexdigest())

    @property
    def input_sha256(self) -> str:
        """Hash of everything a backend sees: the text and the metadata (the publication date
        resolves relative dates; an LLM's prompt shows title, source and date)."""
        parts = [self.sha256, self.title, self.source, str(self.published or ""), self.url]
        return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
