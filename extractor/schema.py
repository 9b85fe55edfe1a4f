"""The event record: one public, typed contract shared by backends, gold and the eval.

Two layers:

* ``EventDraft`` is what a backend produces: facts with verbatim evidence *quotes*.
  It is the part an LLM is asked for, so it must stay valid for OpenAI's strict
  structured outputs (see :func:`llm_json_schema`).
* ``EventRecord`` is what the tool writes: the draft after grounding (every quote
  aligned to character offsets in the article), normalisation (canonical names,
  resolved dates) and provenance.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal[
    "agreement_signed",
    "ceasefire",
    "talks",
    "visit",
    "sanctions",
    "attack",
    "statement",
    "other",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]

PartyType = Literal["state", "organisation", "person", "group"]
PartyRole = Literal["signatory", "participant", "mediator", "representative"]
DatePrecision = Literal["day", "month", "year"]
MatchMethod = Literal["exact", "normalized", "fuzzy", "unverified"]
RecordWarning = Literal["mostly_unverified"]

#: The record's fields that hold one fact with evidence, and those that hold a list of them.
FACT_FIELDS: tuple[str, ...] = ("date", "location")
FACT_LIST_FIELDS: tuple[str, ...] = ("parties", "treaty_terms", "allegations", "denials")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- drafts


class PartyDraft(_Strict):
    name: str = Field(description="Canonical name, e.g. 'North Korea', 'Vladimir Putin'.")
    type: PartyType
    role: PartyRole
    aliases: list[str] = Field(description="Other names the article uses for this party.")
    represents: str | None = Field(description="For a person: the state or body they act for.")
    evidence: str = Field(description="Shortest verbatim quote from the article showing this.")


class TermDraft(_Strict):
    statement: str = Field(description="One provision or agreed measure, as reported.")
    evidence: str


class AllegationDraft(_Strict):
    alleged_by: list[str] = Field(description="Who makes the allegation (canonical names).")
    accused: list[str] = Field(description="Who is accused (canonical names).")
    claim: str = Field(description="What is alleged, as a short statement.")
    evidence: str


class DenialDraft(_Strict):
    denied_by: list[str]
    claim: str = Field(description="What is denied.")
    allegation: int | None = Field(
        description="Index into `allegations` of the allegation this denial answers, or null."
    )
    evidence: str


class DateDraft(_Strict):
    phrase: str = Field(description="The words the date was read from, e.g. 'on Wednesday'.")
    value: str | None = Field(description="ISO date: YYYY-MM-DD, YYYY-MM or YYYY; null if unknown.")
    evidence: str


class LocationDraft(_Strict):
    name: str
    evidence: str


class EventDraft(_Strict):
    """The article's main event, as a backend reports it (quotes not yet grounded)."""

    title: str = Field(description="A short neutral title for the event.")
    summary: str = Field(description="Two to four sentences summarising the event.")
    event_type: EventType
    date: DateDraft | None
    location: LocationDraft | None
    parties: list[PartyDraft]
    treaty_terms: list[TermDraft]
    allegations: list[AllegationDraft]
    denials: list[DenialDraft]

    def evidence_quotes(self) -> list[str]:
        """Every evidence quote of the draft, in field order (as `EventRecord.evidence_items`)."""
        quotes: list[str] = []
        for name in FACT_FIELDS:
            fact = getattr(self, name)
            if fact is not None:
                quotes.append(fact.evidence)
        for name in FACT_LIST_FIELDS:
            quotes.extend(item.evidence for item in getattr(self, name))
        return quotes


# -------------------------------------------------------------------------- records


class Evidence(_Strict):
    """A verbatim quote and where it stands in the article text."""

    quote: str
    start: int | None = None
    end: int | None = None
    verified: bool = False
    method: MatchMethod = "unverified"
    score: float | None = Field(default=None, description="Fuzzy similarity 0-100.")


class Party(_Strict):
    name: str
    type: PartyType
    role: PartyRole
    aliases: list[str] = Field(default_factory=list)
    represents: str | None = None
    evidence: Evidence


class TreatyTerm(_Strict):
    statement: str
    evidence: Evidence


class Allegation(_Strict):
    alleged_by: list[str]
    accused: list[str]
    claim: str
    evidence: Evidence


class Denial(_Strict):
    denied_by: list[str]
    claim: str
    allegation: int | None = None
    evidence: Evidence


class EventDate(_Strict):
    value: str | None = Field(description="ISO date at `precision`; null if unresolvable.")
    precision: DatePrecision | None
    phrase: str
    evidence: Evidence


class Location(_Strict):
    name: str
    evidence: Evidence


class Usage(_Strict):
    """Tokens and calls spent on one article, counted across retries and re-asks."""

    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    retries: int = 0
    reasks: int = 0
    cost_usd: float | None = None

    def __add__(self, other: Usage) -> Usage:
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            requests=self.requests + other.requests,
            retries=self.retries + other.retries,
            reasks=self.reasks + other.reasks,
            cost_usd=cost,
        )


class PromptRef(_Strict):
    name: str
    version: str
    sha256: str


class Provenance(_Strict):
    article_id: str
    article_sha256: str
    backend: str
    model: str
    prompt: PromptRef | None = None
    created_at: str
    usage: Usage = Field(default_factory=Usage)
    cached: bool = False
    chunks: int = 1
    extractor_version: str


class ArticleInfo(_Strict):
    """Where the record came from: the article's own metadata, as given with the input
    (--source/--published/--url, metadata.json, JSON Lines fields, an HTML page's meta tags,
    a .txt file's headline line)."""

    id: str = Field(description="The article's id in the run (file name, or JSON Lines id).")
    title: str | None = Field(
        default=None,
        description="The article's own headline (the record's `title` is the event's).",
    )
    source: str | None = Field(default=None, description="The outlet, e.g. 'Reuters'.")
    url: str | None = Field(default=None, description="Where the article was published.")
    published: str | None = Field(
        default=None, description="As given: ISO date, or ISO interval 'start/end'."
    )
    published_earliest: str | None = Field(default=None, description="Resolved: first day.")
    published_latest: str | None = Field(default=None, description="Resolved: last day.")


class EventRecord(_Strict):
    """One article's main event, grounded and normalised. The tool's output contract."""

    title: str
    summary: str
    event_type: EventType
    date: EventDate | None = None
    location: Location | None = None
    parties: list[Party] = Field(default_factory=list)
    treaty_terms: list[TreatyTerm] = Field(default_factory=list)
    allegations: list[Allegation] = Field(default_factory=list)
    denials: list[Denial] = Field(default_factory=list)
    warnings: list[RecordWarning] = Field(
        default_factory=list,
        description="mostly_unverified: more than the run's --max-unverified share (default "
        "0.5) of the evidence quotes are not in the article, even after an LLM was re-asked "
        "once with them named; the record may describe another text (a copied prompt "
        "example, say). Counted in the run summary.",
    )
    article: ArticleInfo | None = None
    provenance: Provenance | None = None

    def evidence_items(self) -> list[Evidence]:
        """Every evidence object in the record, in field order."""
        items: list[Evidence] = []
        for name in FACT_FIELDS:
            fact = getattr(self, name)
            if fact is not None:
                items.append(fact.evidence)
        for name in FACT_LIST_FIELDS:
            items.extend(item.evidence for item in getattr(self, name))
        return items


class ErrorInfo(_Strict):
    type: str
    message: str
    #: What the article cost before it failed; absent when nothing was spent (bad input).
    usage: Usage | None = None


# ------------------------------------------------------------- strict LLM schema

# Keywords OpenAI's strict structured outputs reject or ignore; pydantic emits some.
_UNSUPPORTED_KEYWORDS = {"default", "title", "examples", "format", "minLength", "maxLength"}


# Places whose values are maps of *names* to schemas: their keys are never keywords.
_SCHEMA_MAPS = {"properties", "$defs", "definitions", "patternProperties"}


def _strictify(node: Any) -> Any:
    """A strict-mode copy of a schema node: unsupported keywords dropped, objects closed."""
    if isinstance(node, list):
        return [_strictify(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _UNSUPPORTED_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _strictify(sub) for name, sub in value.items()}
        else:
            out[key] = _strictify(value)
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def llm_json_schema(max_items: int | None = None) -> dict[str, Any]:
    """JSON Schema of `EventDraft`, valid for OpenAI strict structured outputs (a fresh copy);
    with `max_items`, bounded as `bounded_schema` says."""
    return copy.deepcopy(_llm_json_schema(max_items))


@cache
def _llm_json_schema(max_items: int | None) -> dict[str, Any]:
    # Built once: regenerating it took a third of the per-request CPU time of an LLM run.
    schema: dict[str, Any] = _strictify(EventDraft.model_json_schema())
    return schema if max_items is None else bounded_schema(schema, max_items)


#: In `bounded_schema`: the longest string each property may hold; strings of the other
#: properties (names, aliases) hold at most `STRING_LIMIT_OTHER` characters. About 1.3 to 3
#: times the longest of each in the hand-labelled gold (evals/gold, evals/real/dev/gold:
#: quotes up to 299 characters, summaries 567, claims 158, terms 124, titles 103, names 59).
STRING_LIMITS: dict[str, int] = {
    "title": 160,
    "summary": 800,
    "evidence": 400,
    "claim": 250,
    "statement": 250,
    "phrase": 60,
    "value": len("YYYY-MM-DD"),
}
STRING_LIMIT_OTHER = 80


def bounded_schema(schema: dict[str, Any], max_items: int) -> dict[str, Any]:
    """A copy of `schema` where every list holds at most `max_items` items (``maxItems``) and
    every string has a length limit (``maxLength``, `STRING_LIMITS`).

    A grammar-constrained server (llama.cpp) enforces both, so a small model that repeats
    itself has to close its lists and strings instead of running to the token limit. OpenAI's
    strict mode has rejected both keywords ("'maxItems' is not permitted"), so the schema is
    sent without them unless a bound is asked for (`--max-items`; the llamacpp preset)."""
    bounded: dict[str, Any] = _bounded(schema, max_items, None)
    return bounded


def _bounded(node: Any, max_items: int, name: str | None) -> Any:
    # `name`: the property the node describes (its items and anyOf branches included).
    if isinstance(node, list):
        return [_bounded(v, max_items, name) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {sub: _bounded(v, max_items, sub) for sub, v in value.items()}
        else:
            out[key] = _bounded(value, max_items, name)
    kind = out.get("type")
    if kind == "array":
        out["maxItems"] = max_items
    elif kind == "string" and "enum" not in out:
        out["maxLength"] = STRING_LIMITS.get(name or "", STRING_LIMIT_OTHER)
    return out


def record_json_schema() -> dict[str, Any]:
    """JSON Schema of the full output record (what `extract schema` prints)."""
    return EventRecord.model_json_schema()
