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
) -> None:
    """Print the JSON Schema of an event record (or of the LLM's answer, or of a result line)."""
    if llm and line:
        typer.echo("extract schema: --llm and --line are exclusive", err=True)
        raise typer.Exit(2)
    # Imported on use: building the pydantic models is the slowest part of starting up.
    from extractor.lines import line_json_schema
    from extractor.schema import llm_json_schema, record_json_schema

    if llm:
        document = llm_json_schema()
    elif line:
        document = line_json_schema()
    else:
        document = record_json_schema()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
