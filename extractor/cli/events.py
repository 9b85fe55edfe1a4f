"""`extract events`: group runs' records into events and write one line per event."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor.errors import ConfigError


def events(
    runs: Annotated[list[Path], typer.Argument(help="`extract run` JSONL files.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the event lines here (with --update: default its file)."),
    ] = None,
    update: Annotated[
        Path | None,
        typer.Option(
            "--update",
            help="Add the runs' records to this events file: only the events they touch are "
            "regrouped (the result is the same as building from every run at once).",
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a page per event: a column per source."),
    ] = None,
    articles: Annotated[
        list[Path] | None,
        typer.Option(
            "--articles",
            help="With --html: the runs' articles (files or folders, as given to `extract run`); "
            "each is shown with its evidence marked.",
        ),
    ] = None,
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
    from extractor.events.build import build_events, update_events, write_events
    from extractor.events.grouping import GROUPINGS

    if grouping not in GROUPINGS:
        raise ConfigError(f"--grouping must be one of {', '.join(GROUPINGS)}")
    if update is not None:
        if grouping != "scored":
            raise ConfigError("--update regroups with the scored grouping only")
        result = update_events(update, runs)
        out = out or update
        added = f"{result.records} new records"
    elif out is None:
        raise ConfigError("give --out FILE (or --update EVENTS)")
    else:
        result = build_events(runs, grouping)  # type: ignore[arg-type]
        added = f"{result.records} records"
    write_events(result, out)
    if html is not None:
        from extractor.events.report_html import write_events_html

        write_events_html(result.events, html, _article_texts(articles or []))
    typer.echo(
        f"{added} into {len(result.events)} events in {out}; "
        f"{result.error_lines} error lines and {len(result.duplicates)} repeated article ids "
        "left out",
        err=True,
    )


def _article_texts(paths: list[Path]) -> dict[str, str]:
    """The text of every article `paths` hold, by id (unreadable inputs are skipped)."""
    from extractor.articles import Article
    from extractor.inputs import read_articles

    if not paths:
        return {}
    _, reader = read_articles([str(path) for path in paths])
    return {item.id: item.text for item in reader if isinstance(item, Article)}


events.__doc__ = "\n\n".join(
    [
        "Group the records of one or more runs into events, merged with per-source "
        "provenance.",
        "Exit codes: 0 written; 2 a file that is not a run, or a bad --grouping or --update.",
        "Examples:",
        "extract run seeds/ -o s.jsonl && extract events s.jsonl --out events.jsonl",
        "extract events run1.jsonl run2.jsonl --out events.jsonl   (error lines are left out)",
        "extract events s.jsonl --out base.jsonl --grouping date-parties   (a baseline)",
        "extract events new.jsonl --update events.jsonl   (regroup only the events it touches)",
        "extract events s.jsonl --out e.jsonl --html events.html --articles seeds/   (the view)",
    ]
)
