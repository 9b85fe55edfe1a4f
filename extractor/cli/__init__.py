"""The `extract` command line. Parses options and calls library functions; nothing imports it.

Exit codes are the same for every command: see `extractor.cli.failures` (and README.md).
"""

from __future__ import annotations

import sys

import typer

from extractor import __version__
from extractor.cli import batch as batch_cmd
from extractor.cli import eval as eval_cmd
from extractor.cli import events as events_cmd
from extractor.cli import export as export_cmd
from extractor.cli import run as run_cmd
from extractor.cli import schema as schema_cmd
from extractor.cli import serve as serve_cmd
from extractor.cli import show as show_cmd
from extractor.cli.failures import ExtractorTyper, exit_code_for
from extractor.cli.streams import finish_stdout, repair_standard_streams

_HELP = (
    "Turn news articles into typed, evidence-grounded event records; score them against gold."
    "\n\nStart with: extract run seeds/ --out out/seeds.jsonl, then extract show "
    "out/seeds.jsonl and extract eval --predictions out/seeds.jsonl. Each command's --help "
    "gives its options, exit codes and examples; README.md the rest."
)

app = ExtractorTyper(
    name="extract",
    help=_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"extract {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Turn news articles into typed, evidence-grounded event records; score them against gold."""


app.command("run")(run_cmd.run)
app.command("eval")(eval_cmd.eval_)
app.command("events")(events_cmd.events)
app.command("schema")(schema_cmd.schema)
app.command("show")(show_cmd.show)
app.command("export")(export_cmd.export)
app.add_typer(batch_cmd.app, name="batch")
app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.keys, name="keys")


def main() -> None:
    """Console-script entry point: safe standard streams, one exit code per outcome."""
    repair_standard_streams()
    code: int
    try:
        app()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException as exc:  # what escapes a command: click's own output, say
        code = exit_code_for("", exc)
    sys.exit(finish_stdout(code))
