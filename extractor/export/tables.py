"""The tables a run is flattened into, and the rows one result line gives.

Every table starts with ``run`` (the run file as given) and ``article_id``; an item of a record
is keyed by its index in the record's list (``party_index``, ``allegation_index``...), so a key
names the same item every time the same run is exported. A list of names (``accused``...) is a
"; "-joined column for reading and one row per name in a ``*_parties`` table for SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from extractor.lines import ResultLine
from extractor.schema import ErrorInfo, EventRecord, Evidence

ColumnType = Literal["text", "integer", "real", "boolean"]
Value = str | int | float | bool | None
Row = tuple[Value, ...]

#: How a list of names is written into one column.
NAME_SEPARATOR = "; "


@dataclass(frozen=True)
class Table:
    """One output table: its name, typed columns, primary key and what a row is."""

    name: str
    description: str
    columns: tuple[tuple[str, ColumnType], ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        """The columns' names, in order."""
        return [name for name, _ in self.columns]


_RUN: tuple[tuple[str, ColumnType], ...] = (("run", "text"), ("article_id", "text"))
_USAGE: tuple[tuple[str, ColumnType], ...] = (
    ("input_tokens", "integer"),
    ("output_tokens", "integer"),
    ("requests", "integer"),
    ("cost_usd", "real"),
)

ARTICLES = Table(
    "articles",
    "one row per article of each run: where it came from, what it gave and what it cost; "
    "error_type is null when the article gave a record",
    (
        *_RUN,
        ("line", "integer"),
        ("source", "text"),
        ("url", "text"),
        ("published", "text"),
        ("published_earliest", "text"),
        ("published_latest", "text"),
        ("headline", "text"),
        ("title", "text"),
        ("summary", "text"),
        ("event_type", "text"),
        ("event_date", "text"),
        ("event_date_precision", "text"),
        ("event_date_phrase", "text"),
        ("location", "text"),
        ("backend", "text"),
        ("model", "text"),
        ("prompt", "text"),
        ("prompt_version", "text"),
        *_USAGE,
        ("cached", "boolean"),
        ("error_type", "text"),
        ("error_message", "text"),
    ),
    ("run", "article_id"),
)
PARTIES = Table(
    "parties",
    "one row per party of a record; aliases joined with '; '",
    (
        *_RUN,
        ("party_index", "integer"),
        ("name", "text"),
        ("type", "text"),
        ("role", "text"),
        ("represents", "text"),
        ("aliases", "text"),
    ),
    ("run", "article_id", "party_index"),
)
TERMS = Table(
    "terms",
    "one row per treaty term of a record",
    (*_RUN, ("term_index", "integer"), ("statement", "text")),
    ("run", "article_id", "term_index"),
)
ALLEGATIONS = Table(
    "allegations",
    "one row per allegation of a record; alleged_by and accused joined with '; '",
    (
        *_RUN,
        ("allegation_index", "integer"),
        ("alleged_by", "text"),
        ("accused", "text"),
        ("claim", "text"),
    ),
    ("run", "article_id", "allegation_index"),
)
ALLEGATION_PARTIES = Table(
    "allegation_parties",
    "one row per name in an allegation's alleged_by (side 'alleged_by') or accused ('accused')",
    (
        *_RUN,
        ("allegation_index", "integer"),
        ("side", "text"),
        ("position", "integer"),
        ("name", "text"),
    ),
    ("run", "article_id", "allegation_index", "side", "position"),
)
DENIALS = Table(
    "denials",
    "one row per denial of a record; answers_allegation is the allegation_index it answers",
    (
        *_RUN,
        ("denial_index", "integer"),
        ("denied_by", "text"),
        ("claim", "text"),
        ("answers_allegation", "integer"),
    ),
    ("run", "article_id", "denial_index"),
)
DENIAL_PARTIES = Table(
    "denial_parties",
    "one row per name in a denial's denied_by",
    (*_RUN, ("denial_index", "integer"), ("position", "integer"), ("name", "text")),
    ("run", "article_id", "denial_index", "position"),
)
EVIDENCE = Table(
    "evidence",
    "one row per evidence span: fact is date, location, parties, terms, allegations or denials, "
    "item_index the item's index there (0 for date and location); start_char/end_char are "
    "character offsets in the article text, null when the quote was not found",
    (
        *_RUN,
        ("fact", "text"),
        ("item_index", "integer"),
        ("quote", "text"),
        ("start_char", "integer"),
        ("end_char", "integer"),
        ("verified", "boolean"),
        ("method", "text"),
        ("score", "real"),
    ),
    ("run", "article_id", "fact", "item_index"),
)
ERRORS = Table(
    "errors",
    "one row per error line, keyed by its line in the run (a duplicate id's line too)",
    (
        ("run", "text"),
        ("line", "integer"),
        ("article_id", "text"),
        ("type", "text"),
        ("message", "text"),
        *_USAGE,
    ),
    ("run", "line"),
)

#: Every table, in the order they are written.
TABLES: tuple[Table, ...] = (
    ARTICLES,
    PARTIES,
    TERMS,
    ALLEGATIONS,
    ALLEGATION_PARTIES,
    DENIALS,
    DENIAL_PARTIES,
    EVIDENCE,
    ERRORS,
)

#: The `evidence.fact` of each list field of a record (``treaty_terms`` is the terms table).
_LIST_FACTS = {
    "parties": "parties",
    "treaty_terms": "terms",
    "allegations": "allegations",
    "denials": "denials",
}


def _joined(names: list[str]) -> str:
    return NAME_SEPARATOR.join(names)


def _article_row(run: str, number: int, line: ResultLine) -> Row:
    record, error = line.record, line.error
    info = record.article if record is not None else None
    provenance = record.provenance if record is not None else None
    usage = line.usage
    date = record.date if record is not None else None
    prompt = provenance.prompt if provenance is not None else None
    return (
        run,
        line.article,
        number,
        info.source if info else None,
        info.url if info else None,
        info.published if info else None,
        info.published_earliest if info else None,
        info.published_latest if info else None,
        info.title if info else None,
        record.title if record else None,
        record.summary if record else None,
        record.event_type if record else None,
        date.value if date else None,
        date.precision if date else None,
        date.phrase if date else None,
        record.location.name if record and record.location else None,
        provenance.backend if provenance else None,
        provenance.model if provenance else None,
        prompt.name if prompt else None,
        prompt.version if prompt else None,
        usage.input_tokens if usage else None,
        usage.output_tokens if usage else None,
        usage.requests if usage else None,
        usage.cost_usd if usage else None,
        provenance.cached if provenance else None,
        error.type if error else None,
        error.message if error else None,
    )


def _evidence_row(run: str, article: str, fact: str, index: int, evidence: Evidence) -> Row:
    return (
        run,
        article,
        fact,
        index,
        evidence.quote,
        evidence.start,
        evidence.end,
        evidence.verified,
        evidence.method,
        evidence.score,
    )


def _record_rows(run: str, article: str, record: EventRecord) -> Iterator[tuple[Table, Row]]:
    key = (run, article)
    for i, party in enumerate(record.parties):
        aliases = _joined(party.aliases)
        yield PARTIES, (*key, i, party.name, party.type, party.role, party.represents, aliases)
    for i, term in enumerate(record.treaty_terms):
        yield TERMS, (*key, i, term.statement)
    for i, allegation in enumerate(record.allegations):
        by, accused = allegation.alleged_by, allegation.accused
        yield ALLEGATIONS, (*key, i, _joined(by), _joined(accused), allegation.claim)
        for side, names in (("alleged_by", by), ("accused", accused)):
            for position, name in enumerate(names):
                yield ALLEGATION_PARTIES, (*key, i, side, position, name)
    for i, denial in enumerate(record.denials):
        row = (*key, i, _joined(denial.denied_by), denial.claim, denial.allegation)
        yield DENIALS, row
        for position, name in enumerate(denial.denied_by):
            yield DENIAL_PARTIES, (*key, i, position, name)
    if record.date is not None:
        yield EVIDENCE, _evidence_row(run, article, "date", 0, record.date.evidence)
    if record.location is not None:
        yield EVIDENCE, _evidence_row(run, article, "location", 0, record.location.evidence)
    for field, fact in _LIST_FACTS.items():
        for i, item in enumerate(getattr(record, field)):
            yield EVIDENCE, _evidence_row(run, article, fact, i, item.evidence)


def _error_row(run: str, number: int, article: str, error: ErrorInfo) -> Row:
    usage = error.usage
    return (
        run,
        number,
        article,
        error.type,
        error.message,
        usage.input_tokens if usage else None,
        usage.output_tokens if usage else None,
        usage.requests if usage else None,
        usage.cost_usd if usage else None,
    )


def line_rows(
    run: str, number: int, line: ResultLine, *, first_for_article: bool = True
) -> Iterator[tuple[Table, Row]]:
    """The rows of line `number` of `run`: its article's row (the first line for an article
    gives it) and the record's items, or its error row."""
    if first_for_article:
        yield ARTICLES, _article_row(run, number, line)
    if line.record is not None:
        yield from _record_rows(run, line.article, line.record)
    elif line.error is not None:
        yield ERRORS, _error_row(run, number, line.article, line.error)
