"""`extract events`: group runs' records into events and write one line per event."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor.errors import ConfigError


def events(
    runs: Annotated[list[Path], typer.Argument(help="`extract run` JSONL files.")],
    out: Annotated[Path, typer.Option("--out", help="Write the event lines here.")],
    grouping: Annotated[
        str,
        typer.Option(
            "--grouping",
            help="scored (default), or a baseline: date-parties (same day and party set), "
            "text (TF-IDF cosine alone).",
        ),
    ] = "scored",
) -> None:
    """Group the records of one or more runs into events, merged with per-source provenance."""
    # Imported on use, so that `extract --help` does not pay for scipy.
    from extractor.events.build import build_events, write_events
    from extractor.events.grouping import GROUPINGS

    if grouping not in GROUPINGS:
        raise ConfigError(f"--grouping must be one of {', '.join(GROUPINGS)}")
    result = build_events(runs, grouping)  # type: ignore[arg-type]
    write_events(result.events, out)
    typer.echo(
        f"{result.records} records into {len(result.events)} events in {out}; "
        f"{result.error_lines} error lines and {len(result.duplicates)} repeated article ids "
        "left out",
        err=True,
    )
