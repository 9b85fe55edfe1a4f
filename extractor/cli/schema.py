"""`extract schema`: print the JSON Schema of the record, of the LLM's part of it, or of a line."""

from __future__ import annotations

import json

import typer


def schema(
    llm: bool = typer.Option(
        False, "--llm", help="Print the strict schema the LLM must answer in, not the full record."
    ),
    line: bool = typer.Option(
        False, "--line", help="Print the schema of a whole line of `extract run` output."
    ),
    events: bool = typer.Option(
        False, "--events", help="Print the schema of a line of `extract events` output."
    ),
    max_items: int | None = typer.Option(
        None,
        "--max-items",
        min=1,
        help="With --llm: the schema as sent with `extract run --max-items N` (lists and "
        "strings bounded).",
    ),
) -> None:
    if llm + line + events > 1:
        typer.echo("extract schema: --llm, --line and --events are exclusive", err=True)
        raise typer.Exit(2)
    if max_items is not None and not llm:
        typer.echo("extract schema: --max-items goes with --llm", err=True)
        raise typer.Exit(2)
    # Imported on use: building the pydantic models is the slowest part of starting up.
    from extractor.lines import line_json_schema
    from extractor.schema import llm_json_schema, record_json_schema

    if events:
        from extractor.events.model import events_json_schema

        document = events_json_schema()
    elif llm:
        document = llm_json_schema(max_items)
    elif line:
        document = line_json_schema()
    else:
        document = record_json_schema()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


schema.__doc__ = "\n\n".join(
    [
        "Print the JSON Schema of an event record (or of the LLM's answer, a result or event "
        "line).",
        "Examples:",
        "extract schema > record.schema.json   (a record, as `extract run` writes it)",
        "extract schema --llm   (what an LLM is asked to answer: OpenAI strict mode)",
        "extract schema --llm --max-items 8   (as the llamacpp preset sends it: lists and "
        "strings bounded)",
        "extract schema --line   (a whole line of `extract run`: record or error)",
        "extract schema --events   (a line of `extract events`)",
    ]
)
