"""`extract eval`: score a backend or a predictions file against gold."""

from __future__ import annotations

import typer


def eval_(
    backend: str | None = typer.Option(None, "--backend", help="Run this backend over the set."),
) -> None:
    """Score extractions against hand-labelled gold (implementation in progress)."""
    typer.echo("not implemented yet", err=True)
    raise typer.Exit(2)
