"""`extract run`: articles in, one JSON Lines result per article out.

Options only: settings are resolved in `extractor.settings`, the work is `extractor.runner.run`
(imported when the command runs, so ``extract --help`` stays fast).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from extractor.errors import ConfigError
from extractor.output_file import write_whole_file
from extractor.settings import Settings

_HELP = "\n\n".join(
    [
        "Extract one event record per article, as JSON Lines, in input order.",
        "PATHS are files (.txt, .html, .htm, .jsonl), folders (their article files, sorted by "
        "name; sub-folders with --recursive), globs, or - for standard input (JSON Lines if it "
        'starts with "{", else one plain-text article with id "stdin").',
        'Every input article gives exactly one line: {"article", "record", "fingerprint"} or '
        '{"article", "error": {"type", "message", "usage"?}, "fingerprint"} (usage: what an '
        "article that failed at the model had spent). Unreadable, empty, binary or "
        "oversized input, a malformed JSON line (id FILE:LINE), a duplicate id (type "
        "duplicate_id; the first keeps it) and a PATH that does not exist (id = PATH as typed) "
        "each get an error line, and the run goes on. If no PATH names anything readable, "
        "nothing runs (exit 2).",
        "--source, --published and --url give one input's metadata (a file, or - for standard "
        "input; for JSON Lines every article in it) and beat what the input says; an HTML page's "
        "<title>, og:site_name, og:url and article:published_time meta tags are read, and a "
        "folder's metadata.json beats them.",
        "With --out FILE, an existing FILE is resumed: lines whose article and fingerprint "
        "(article text and metadata, model, prompt, parameters) match are kept, the rest are "
        "redone, and FILE ends with one line per article, in input order. FILE is locked for "
        "the run: a second run on it exits 2 (or waits, with --wait-lock). A device, a pipe or "
        "/dev/stdout is written to as a stream, never read, resumed or replaced; a symlink is "
        "written through.",
        "Settings: flag > environment > config file (--config, $EXTRACT_CONFIG or "
        "./extract.toml) > default. The API key is read from OPENAI_API_KEY only.",
        "Exit codes: 0 every article extracted; 1 some have error lines; 2 usage or "
        "configuration error (also one the backend reports mid-run: later articles get "
        "config_error lines; another run is writing --out); 70 internal error (a bug, also "
        "in one article: the message names the log file with the traceback); 74 the output "
        "could not be written (disk full, read-only, closed standard output); 130 interrupted; "
        "141 the reader of standard output went away.",
        "Examples:",
        "extract run seeds/ --out out/seeds.jsonl   (offline backend: no key, no network)",
        "extract run articles/*.html feed.jsonl -o run.jsonl   (files, globs, JSON Lines)",
        "curl -s URL | extract run - --source Reuters --published 2024-06-19 > run.jsonl",
        "OPENAI_API_KEY=sk-... extract run seeds/ --backend openai --model gpt-4o-mini "
        "-o run.jsonl",
        "extract run seeds/ --preset llamacpp -o run.jsonl   (llama.cpp's llama-server on "
        "localhost:8080; also ollama, vllm, lmstudio)",
        "extract run seeds/ -o run.jsonl --retry-errors   (resume, redoing the error lines)",
    ]
)

_Text = str | None


def run(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders, globs, or - for standard input.")
    ],
    out: Annotated[
        _Text,
        typer.Option(
            "--out", "-o", help="Output JSON Lines file, resumed if it exists (default: stdout)."
        ),
    ] = None,
    backend: Annotated[
        _Text,
        typer.Option(help="offline or openai (env EXTRACT_BACKEND; default: offline)."),
    ] = None,
    model: Annotated[_Text, typer.Option(help="LLM model (env EXTRACT_MODEL).")] = None,
    base_url: Annotated[
        _Text, typer.Option(help="OpenAI-compatible server URL (env OPENAI_BASE_URL).")
    ] = None,
    preset: Annotated[
        _Text, typer.Option(help="Local server preset: ollama, vllm, llamacpp, lmstudio.")
    ] = None,
    output_mode: Annotated[
        _Text,
        typer.Option(
            help="json_schema (strict schema; default), json_object_schema (json_object with "
            "the schema: llama.cpp servers) or json_object (schema in the prompt only)."
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-j",
            help="Requests in flight for LLMs (default 8); worker processes offline (default: "
            "cores).",
        ),
    ] = None,
    rpm: Annotated[int | None, typer.Option(help="Client-side requests-per-minute limit.")] = None,
    tpm: Annotated[int | None, typer.Option(help="Client-side tokens-per-minute limit.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per LLM request.")] = None,
    max_retries: Annotated[
        int | None, typer.Option(help="Transport retries per request (429, 5xx, timeouts).")
    ] = None,
    max_reasks: Annotated[
        int | None, typer.Option(help="Re-asks when an answer fails validation.")
    ] = None,
    max_output_tokens: Annotated[
        int | None,
        typer.Option(
            help="LLM: most tokens an answer may take (max_tokens; max_completion_tokens for "
            "OpenAI). Default 4096, 2048 with a preset."
        ),
    ] = None,
    max_items: Annotated[
        int | None,
        typer.Option(
            help="LLM: longest list the schema sent allows (maxItems), strings length-limited "
            "too; for grammar-constrained servers (llama.cpp; its preset: 8). Default: none "
            "(OpenAI rejects these keywords)."
        ),
    ] = None,
    max_unverified: Annotated[
        float | None,
        typer.Option(
            help="Share of a record's evidence that may be unverified (default 0.5); above it "
            "an LLM is re-asked once, and a record still so gets the warning mostly_unverified."
        ),
    ] = None,
    context_chars: Annotated[
        int | None,
        typer.Option(help="LLM: article characters per call; longer ones are chunked."),
    ] = None,
    cache: Annotated[
        bool | None,
        typer.Option("--cache/--no-cache", help="Reuse stored backend answers (default: on)."),
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Answer cache folder (default: .extract-cache).")
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="Price table JSON (USD per 1M tokens per model).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file.")] = None,
    recursive: Annotated[
        bool | None,
        typer.Option("--recursive/--no-recursive", "-r", help="Read sub-folders of folder PATHS."),
    ] = None,
    max_chars: Annotated[
        int | None, typer.Option(help="Longest article in characters (default: 2000000).")
    ] = None,
    retry_errors: Annotated[
        bool,
        typer.Option(
            "--retry-errors", help="When resuming, redo the articles that have error lines."
        ),
    ] = False,
    progress: Annotated[
        bool,
        typer.Option("--progress", help="Show progress on stderr even when it is not a terminal."),
    ] = False,
    summary_json: Annotated[
        Path | None, typer.Option(help="Also write the run summary to this JSON file.")
    ] = None,
    wait_lock: Annotated[
        bool,
        typer.Option(
            "--wait-lock",
            help="If another run is writing --out, wait for it to finish (default: exit 2).",
        ),
    ] = False,
    source: Annotated[
        _Text, typer.Option(help="One input only: the outlet, e.g. Reuters (beats the input's).")
    ] = None,
    published: Annotated[
        _Text,
        typer.Option(help="One input only: publication date, ISO YYYY-MM-DD or an interval."),
    ] = None,
    url: Annotated[_Text, typer.Option(help="One input only: the article's URL.")] = None,
) -> None:
    settings = Settings.resolve(
        config=config,
        backend=backend,
        model=model,
        base_url=base_url,
        preset=preset,
        output_mode=output_mode,
        concurrency=concurrency,
        rpm=rpm,
        tpm=tpm,
        timeout=timeout,
        max_retries=max_retries,
        max_reasks=max_reasks,
        max_output_tokens=max_output_tokens,
        max_items=max_items,
        max_unverified=max_unverified,
        context_chars=context_chars,
        cache=cache,
        cache_dir=cache_dir,
        prices=prices,
        recursive=recursive,
        max_chars=max_chars,
    )
    given = {"source": source, "published": published, "url": url}
    metadata = {name: value for name, value in given.items() if value is not None}
    if metadata and (len(paths) != 1 or (paths[0] != "-" and not Path(paths[0]).is_file())):
        flags = ", ".join(f"--{name}" for name in metadata)
        raise ConfigError(f"{flags}: give one input (a file or -), not {' '.join(paths)}")
    from extractor import runner

    target = None if out in (None, "-") else Path(out)
    if target is None:
        # JSON Lines are UTF-8 whatever the locale (PYTHONIOENCODING=latin-1 included).
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if callable(reconfigure) and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
            reconfigure(encoding="utf-8")
    summary = runner.run(
        paths,
        target,
        settings,
        retry_errors=retry_errors,
        progress=progress,
        metadata=metadata,
        wait_lock=wait_lock,
    )
    typer.echo(summary.render(), err=True)
    if summary_json is not None:
        document = json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n"
        write_whole_file(summary_json, document)
    raise typer.Exit(summary.exit_code)


run.__doc__ = _HELP
