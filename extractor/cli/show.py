"""`extract show`: read a run's JSON Lines and print each result for a person."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from extractor.schema import ErrorInfo, EventRecord, Evidence, Usage


def _mark(evidence: Evidence) -> str:
    return "✓" if evidence.verified else "✗ unverified"


def render_record(article_id: str, record: EventRecord) -> str:
    """A compact, readable view of one record, each fact with its evidence status."""
    lines = [f"── {article_id}: {record.title}  [{record.event_type}]", f"   {record.summary}"]
    about = record.article
    if about is not None:
        given = [
            ("source", about.source),
            ("published", about.published),
            ("headline", about.title),
            ("url", about.url),
        ]
        shown = ", ".join(f"{name} {value}" for name, value in given if value)
        if shown:
            lines.append(f"   article: {shown}")
    if record.date:
        lines.append(f"   date: {record.date.value or 'unresolved'} ({record.date.phrase!r})")
    if record.location:
        lines.append(f"   location: {record.location.name}")
    for party in record.parties:
        extra = f", for {party.represents}" if party.represents else ""
        kind = f"{party.type}, {party.role}{extra}"
        lines.append(f"   party: {party.name} ({kind}) {_mark(party.evidence)}")
    for term in record.treaty_terms:
        lines.append(f"   term: {term.statement} {_mark(term.evidence)}")
    for a in record.allegations:
        by, against = ", ".join(a.alleged_by) or "?", ", ".join(a.accused) or "?"
        lines.append(f"   allegation: {by} → {against}: {a.claim} {_mark(a.evidence)}")
    for d in record.denials:
        link = f" (answers allegation {d.allegation})" if d.allegation is not None else ""
        who = ", ".join(d.denied_by) or "?"
        lines.append(f"   denial: {who}: {d.claim}{link} {_mark(d.evidence)}")
    return "\n".join(lines)


def render_error(article_id: str, error: ErrorInfo) -> str:
    """An error line for reading, with what the article spent before it failed, if anything."""
    lines = [f"── {article_id}: ERROR {error.type}: {error.message}"]
    if error.usage is not None:
        lines.append(f"   spent before failing: {_spend(error.usage)}")
    return "\n".join(lines)


def _spend(usage: Usage) -> str:
    cost = "unknown" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    return (
        f"{usage.requests} requests ({usage.retries} retries, {usage.reasks} re-asks), "
        f"{usage.input_tokens + usage.output_tokens} tokens, cost {cost}"
    )


def show(
    results: Annotated[Path, typer.Argument(help="A JSON Lines file written by `extract run`.")],
) -> None:
    from extractor.lines import LineError, ResultLine

    try:
        lines = results.read_text(encoding="utf-8").split("\n")  # U+0085 may sit in a record
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
        typer.echo(f"error: cannot read {results}: {reason}", err=True)
        raise typer.Exit(2) from exc
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            line = ResultLine.parse(raw)
        except LineError as exc:
            typer.echo(f"error: {results}:{number}: not a result line ({exc})", err=True)
            raise typer.Exit(2) from exc
        if line.error is not None:
            typer.echo(render_error(line.article, line.error))
        elif line.record is not None:
            typer.echo(render_record(line.article, line.record))


show.__doc__ = "\n\n".join(
    [
        "Print a run for reading: one block per article, facts with ✓/✗ evidence; an error "
        "line shows its type, message and what the article spent before failing.",
        "Exit codes: 0 shown; 2 the file cannot be read or holds a line that is not a result "
        "line; 74 standard output cannot be written.",
        "Examples:",
        "extract show out/seeds.jsonl",
        "extract run seeds/ -o run.jsonl && extract show run.jsonl | less",
    ]
)
