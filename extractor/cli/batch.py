"""`extract batch submit | status | collect`: a run through a provider's Batch API (or vLLM's
`run-batch`). Options only: the work is `extractor.batch.submit` and `extractor.batch.collect`
(imported when a command runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from extractor.cli.failures import ExtractorTyper, say
from extractor.errors import ConfigError
from extractor.output_file import write_whole_file
from extractor.settings import Settings

app = ExtractorTyper(
    name="batch",
    help="Run at the Batch API price: submit requests, poll, collect the same output lines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_Text = str | None
_OUT_HELP = "The run's output JSON Lines file; the state is kept beside it (OUT.batch.json)."


@app.command("submit")
def submit(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or globs (not -).")],
    out: Annotated[str, typer.Option("--out", "-o", help=_OUT_HELP)],
    model: Annotated[_Text, typer.Option(help="LLM model (env EXTRACT_MODEL).")] = None,
    base_url: Annotated[
        _Text, typer.Option(help="OpenAI-compatible server URL (env OPENAI_BASE_URL).")
    ] = None,
    preset: Annotated[_Text, typer.Option(help="Local server preset (e.g. vllm).")] = None,
    output_mode: Annotated[
        _Text, typer.Option(help="json_schema (default), json_object_schema or json_object.")
    ] = None,
    max_output_tokens: Annotated[
        int | None, typer.Option(help="Most tokens an answer may take.")
    ] = None,
    max_reasks: Annotated[
        int | None, typer.Option(help="Re-asks (follow-up batches) when an answer is invalid.")
    ] = None,
    max_unverified: Annotated[
        float | None, typer.Option(help="Share of evidence that may be unverified (0.5).")
    ] = None,
    context_chars: Annotated[
        int | None, typer.Option(help="Article characters per request; longer ones are chunked.")
    ] = None,
    max_chars: Annotated[int | None, typer.Option(help="Longest article in characters.")] = None,
    recursive: Annotated[
        bool | None,
        typer.Option("--recursive/--no-recursive", "-r", help="Read sub-folders of folder PATHS."),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file.")] = None,
    file_only: Annotated[
        Path | None,
        typer.Option(
            "--file-only",
            help="Write every request to this file and upload nothing (for vllm run-batch or "
            "a provider's console); collect it with --from-file.",
        ),
    ] = None,
    max_requests_per_file: Annotated[
        int, typer.Option(min=1, help="Requests per uploaded file (provider limit).")
    ] = 50_000,
    max_file_bytes: Annotated[
        int, typer.Option(min=1, help="Bytes per uploaded file (provider limit: 200 MB).")
    ] = 200_000_000,
    completion_window: Annotated[str, typer.Option(help="The batches' completion window.")] = "24h",
) -> None:
    """Build one request per article (per chunk of a long one), exactly as a live run sends it,
    write them in files within the provider's limits, upload them and create the batches; the
    batch ids are in OUT.batch.json before anything polls. Run again after a crash: only what
    was not sent is sent. Exit codes as for every command (2: usage or configuration)."""
    from extractor.batch import submit as batch_submit

    settings = Settings.resolve(
        config=config,
        backend="openai",
        model=model,
        base_url=base_url,
        preset=preset,
        output_mode=output_mode,
        max_output_tokens=max_output_tokens,
        max_reasks=max_reasks,
        max_unverified=max_unverified,
        context_chars=context_chars,
        max_chars=max_chars,
        recursive=recursive,
    )
    limits = batch_submit.Limits(max_requests=max_requests_per_file, max_bytes=max_file_bytes)
    batch_submit.submit(
        paths,
        Path(out),
        settings,
        file_only=file_only,
        limits=limits,
        completion_window=completion_window,
        say=say,
    )


@app.command("status")
def status(
    out: Annotated[str, typer.Option("--out", "-o", help=_OUT_HELP)],
    config: Annotated[Path | None, typer.Option(help="TOML config file.")] = None,
) -> None:
    """Poll every unfinished batch once and print one line per batch: id, status, requests."""
    from extractor.batch import collect as batch_collect
    from extractor.batch.state import StateFiles

    state = batch_collect.status(Path(out), config=config)
    for line in batch_collect.describe(state, StateFiles(Path(out))):
        typer.echo(line)


@app.command("collect")
def collect(
    out: Annotated[str, typer.Option("--out", "-o", help=_OUT_HELP)],
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--once", help="Poll until the batches finish (default), or poll once."
        ),
    ] = True,
    poll_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds before the first re-poll; grows 1.5x.")
    ] = 30.0,
    max_poll_interval: Annotated[
        float, typer.Option(min=0.0, help="Longest wait between polls.")
    ] = 600.0,
    timeout: Annotated[
        float | None, typer.Option(min=0.0, help="Stop waiting after this many seconds (exit 75).")
    ] = None,
    unfinished: Annotated[
        str,
        typer.Option(
            help="Requests an expired, cancelled or failed batch never ran: resubmit (once, "
            "in the follow-up batch) or error (a batch_unfinished error line)."
        ),
    ] = "resubmit",
    reask_live: Annotated[
        bool,
        typer.Option("--reask-live", help="Send re-asks live instead of in a follow-up batch."),
    ] = False,
    from_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-file",
            help="An output file made elsewhere (vllm run-batch, a provider's console); "
            "may be repeated, and is remembered for later collects.",
        ),
    ] = None,
    max_requests_per_file: Annotated[
        int, typer.Option(min=1, help="Requests per follow-up file (provider limit).")
    ] = 50_000,
    max_file_bytes: Annotated[
        int, typer.Option(min=1, help="Bytes per follow-up file (provider limit: 200 MB).")
    ] = 200_000_000,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-j", help="Live re-asks in flight.")
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="Price table JSON (batch_input, batch_output columns).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file.")] = None,
    summary_json: Annotated[
        Path | None, typer.Option(help="Also write the summary to this JSON file.")
    ] = None,
) -> None:
    """Poll, download the output and error files, send what is missing in one follow-up batch
    (invalid answers re-asked; with --unfinished resubmit, requests no batch ran), and once every
    article has its answer write OUT: one line per article, as `extract run` writes it, resumed
    if it exists. Exit codes: those of `extract run` (0, 1, 2, 70, 74), and 75 when a batch is
    not finished (or a --file-only request file waits to be run): collect again later."""
    from extractor.batch import collect as batch_collect
    from extractor.batch.submit import Limits

    if unfinished not in ("resubmit", "error"):
        raise ConfigError(f"--unfinished must be resubmit or error, not {unfinished!r}")
    options = batch_collect.CollectOptions(
        wait=wait,
        poll_interval=poll_interval,
        max_poll_interval=max(max_poll_interval, poll_interval),
        timeout=timeout,
        unfinished=unfinished,
        reask_live=reask_live,
        from_files=list(from_file or []),
        limits=Limits(max_requests=max_requests_per_file, max_bytes=max_file_bytes),
    )
    report = batch_collect.collect(
        Path(out), options, config=config, prices=prices, concurrency=concurrency, say=say
    )
    summary = report.summary
    if summary is None:  # pragma: no cover - collect returns a summary or raises
        raise typer.Exit(0)
    typer.echo(
        f"extract batch collect: {report.batches} batches, {report.follow_up_batches} follow-up "
        f"(re-asks {report.reasks_sent}, resubmitted {report.resubmitted}), malformed output "
        f"lines {report.malformed_output_lines}",
        err=True,
    )
    typer.echo(summary.render().replace("extract run:", "extract batch collect:", 1), err=True)
    if summary_json is not None:
        document = {**summary.to_dict(), "batch": report.to_dict()}
        write_whole_file(summary_json, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    raise typer.Exit(summary.exit_code)
