"""The `extract` command line. Parses options and calls library functions; nothing imports it.

Exit codes (every command):
  0  success
  1  some articles failed (`run`), or a score fell below its baseline (`eval --check`)
  2  usage, configuration, gold or predictions error
"""

from __future__ import annotations

import typer

from extractor.cli import eval as eval_cmd
from extractor.cli import events as events_cmd
from extractor.cli import run as run_cmd
from extractor.cli import schema as schema_cmd
from extractor.cli import show as show_cmd

app = typer.Typer(
    name="extract",
    help="Turn news articles into typed, evidence-grounded event records; score them against gold.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_cmd.run)
app.command("eval")(eval_cmd.eval_)
app.command("events")(events_cmd.events)
app.command("schema")(schema_cmd.schema)
app.command("show")(show_cmd.show)


def main() -> None:
    """Console-script entry point."""
    app()
