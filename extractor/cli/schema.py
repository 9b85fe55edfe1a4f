"""`extract schema`: print the JSON Schema of the record or of the LLM's part of it."""

from __future__ import annotations

import json

import typer


def schema(
    llm: bool = typer.Option(
        False, "--llm", help="Print the strict schema the LLM must answer in, not the full record."
    ),
) -> None:
    """Print the JSON Schema of an event record."""
    # Imported on use: building the pydantic models is the slowest part of starting up.
    from extractor.schema import llm_json_schema, record_json_schema

    document = llm_json_schema() if llm else record_json_schema()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
