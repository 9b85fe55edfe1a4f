"""`extract run`: articles in, one JSON Lines result per article out."""

from __future__ import annotations

import typer


def run(
    paths: list[str] = typer.Argument(..., help="Files, folders, globs, or - for standard input."),
) -> None:
    """Extract one event record per article (implementation in progress)."""
    typer.echo("not implemented yet", err=True)
    raise typer.Exit(2)
