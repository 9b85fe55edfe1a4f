"""An event line of `extract events` output, defined once: `EventLine`.

One line per real-world event, merged from the records of every article that reports it: who,
when, where, what was agreed, who alleges and denies what, each fact with the articles that
report it and their evidence, and the points where the articles disagree. Writing
(`EventLine.dumps`), reading (`EventLine.parse`) and the JSON Schema (`events_json_schema`,
``extract schema --events``) all go through this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.schema import EventType, PartyType


class EventLineError(ValueError):
    """Raised by `EventLine.parse` for text that is not an event line; says why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """One report of the event: the article and where it came from."""

    article: str = Field(description="The article's id.")
    outlet: str | None = Field(description="The outlet, e.g. 'Reuters'; null when not given.")
    url: str | None = None
    published: str | None = Field(description="As given: ISO date or ISO interval.")


class SourceEvidence(_Strict):
    """One article's verbatim evidence for a merged fact."""

    article: str
    quote: str
    start: int | None = None
    end: int | None = None
    verified: bool = False


class ValueSupport(_Strict):
    """One value seen for a field, and the articles that report it."""

    value: str
    articles: list[str]


class ChosenValue(_Strict):
    """The value chosen for a one-valued field, why, and every value the articles gave."""

    value: str | None = Field(description="The chosen value; null when no article gives one.")
    why: str = Field(description="Why this value was chosen.")
    values: list[ValueSupport] = Field(description="Each value seen, with its articles.")
    evidence: list[SourceEvidence] = Field(default_factory=list)


class EventParty(_Strict):
    name: str = Field(description="Canonical name (extractor.gazetteer.PartyNames).")
    type: PartyType
    articles: list[str] = Field(description="The articles naming this party.")


class MergedTerm(_Strict):
    statement: str = Field(description="The provision, as its first reporter words it.")
    reported_by: list[str] = Field(description="The articles reporting it.")
    evidence: list[SourceEvidence]


class MergedAllegation(_Strict):
    alleged_by: list[str]
    accused: list[str]
    claim: str
    reported_by: list[str]
    evidence: list[SourceEvidence]


class MergedDenial(_Strict):
    denied_by: list[str]
    claim: str
    reported_by: list[str]
    evidence: list[SourceEvidence]


class Conflict(_Strict):
    """A field on which the articles disagree: the competing values and who reports which."""

    field: str
    values: list[ValueSupport]


class EventLine(_Strict):
    """One real-world event, merged across the articles that report it."""

    event_id: str = Field(description="'ev_' + sha256 of the sorted article ids (first 16 hex).")
    articles: list[str] = Field(description="The ids of the articles reporting this event.")
    sources: list[Source]
    title: str
    event_type: EventType
    date: ChosenValue
    location: ChosenValue
    parties: list[EventParty]
    treaty_terms: list[MergedTerm]
    allegations: list[MergedAllegation]
    denials: list[MergedDenial]
    conflicts: list[Conflict]
    summary: str

    @classmethod
    def parse(cls, raw: str | bytes) -> EventLine:
        """Validate one event line. Raises `EventLineError`."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "line"
            raise EventLineError(f"{where}: {first['msg']}") from None

    def dumps(self) -> str:
        """The line as written: compact JSON on one line, no newline at the end."""
        return self.model_dump_json()


def event_id(articles: Iterable[str]) -> str:
    """The id of the event reported by `articles`: stable under their order."""
    joined = "\n".join(sorted(articles))
    return "ev_" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def events_json_schema() -> dict[str, Any]:
    """JSON Schema of one line of `extract events` output."""
    return EventLine.model_json_schema()
