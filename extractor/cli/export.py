"""`extract export`: a run's JSON Lines as flat tables (SQLite, CSV, DuckDB, Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_HELP = "\n\n".join(
    [
        "Write the records and errors of one or more runs as flat tables, to query with SQL "
        "or open in a spreadsheet.",
        "Tables: articles (outlet, url, publication date, headline, backend, model, cost, "
        "error type), parties, terms, allegations, allegation_parties (one row per accuser or "
        "accused), denials, denial_parties, evidence (quotes and character spans) and errors. "
        "Keys: run (the run file as given) + article_id + the item's index in the record.",
        "--to picks the format by its name: out.sqlite (or .sqlite3, .db; standard library), "
        "out.duckdb (needs the duckdb extra), out.parquet (a folder of one .parquet file per "
        "table; needs the parquet extra, pyarrow), or a folder (one UTF-8 .csv file per "
        "table). An existing output is replaced, and only once every line has been read.",
        "Exit codes: 0 exported; 2 a run is missing or holds a line that is not a result "
        "line, an unknown --to format or one that cannot be written, or the optional package "
        "for it is not installed (the message names the pip install).",
        "Examples:",
        "extract export out/seeds.jsonl --to out/seeds.sqlite   (then: sqlite3 "
        "out/seeds.sqlite)",
        "extract export shard1.jsonl shard2.jsonl --to tables/   (CSV, one file per table)",
        "extract export run.jsonl --to run.duckdb   (needs the duckdb extra)",
    ]
)


def export(
    runs: Annotated[list[Path], typer.Argument(help="JSON Lines files written by `extract run`.")],
    to: Annotated[
        Path,
        typer.Option("--to", help="out.sqlite, out.duckdb, out.parquet, or a folder for CSV."),
    ],
) -> None:
    # Imported on use, so that `extract --help` stays fast.
    from extractor.export import export_runs

    summary = export_runs(runs, to)
    typer.echo(summary.describe(), err=True)


export.__doc__ = _HELP
