"""`extract serve` (the HTTP service) and `extract keys` (its API keys).

Options only: extraction settings are resolved by `Settings` as for `extract run`, the
service's own by `ServiceSettings`; the work is `extractor.service` (imported when the command
runs: it needs the ``serve`` extra).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from extractor.cli.failures import ExtractorTyper
from extractor.errors import ConfigError
from extractor.settings import ServiceSettings, Settings

if TYPE_CHECKING:
    from extractor.service.store import Store

_Text = str | None

_SERVE_HELP = "\n\n".join(
    [
        "Serve the extraction API over HTTP (FastAPI on uvicorn): POST /v1/extract, /v1/jobs, "
        "GET /v1/jobs/{id} and /v1/jobs/{id}/results, DELETE /v1/jobs/{id}, POST /v1/eval, "
        "/healthz, /readyz, /metrics; OpenAPI at /docs and /openapi.json; the web view at /.",
        "Binds 127.0.0.1 unless --host says otherwise. Every /v1 request needs "
        "Authorization: Bearer KEY (create one with `extract keys create`).",
        "Extraction uses the settings, backends, cache and prompts `extract run` uses (flag > "
        "environment > config file > default). Jobs, result lines and keys live in --db "
        "(env EXTRACT_DB; default sqlite:///extract-service.sqlite; Postgres: "
        "postgresql+psycopg://USER@HOST:PORT/DB). SIGTERM or Ctrl-C stops leasing, lets the "
        "articles under way finish (--drain-seconds) and write their lines; queued articles "
        "wait in the database for the next server.",
        "Exit codes: once drained, SIGTERM ends the process by that signal (143 in a shell), "
        "Ctrl-C with 130; 2 a bad setting, a database that cannot be opened, or the serve "
        "extra not installed (before anything listens); 70 internal error.",
    ]
)


def serve(
    host: Annotated[_Text, typer.Option(help="Address to bind (env EXTRACT_HOST; default "
                                        "127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (env EXTRACT_PORT; default 8000).")] = None,
    db: Annotated[_Text, typer.Option(help="Database URL (env EXTRACT_DB).")] = None,
    wait: Annotated[
        float | None,
        typer.Option(help="Seconds POST /v1/extract waits before answering 202 with a job "
                     "(env EXTRACT_SERVE_WAIT; default 30)."),
    ] = None,
    max_body_bytes: Annotated[
        int | None, typer.Option(help="Largest request body (default 10000000); over it: 413.")
    ] = None,
    lease_seconds: Annotated[
        float | None,
        typer.Option(help="Seconds an article stays leased without a heartbeat (default 60)."),
    ] = None,
    drain_seconds: Annotated[
        float | None,
        typer.Option(help="Seconds shutdown waits for articles under way (default 60)."),
    ] = None,
    backend: Annotated[_Text, typer.Option(help="offline or openai (default: offline).")] = None,
    model: Annotated[_Text, typer.Option(help="LLM model (env EXTRACT_MODEL).")] = None,
    base_url: Annotated[_Text, typer.Option(help="OpenAI-compatible server URL.")] = None,
    preset: Annotated[_Text, typer.Option(help="ollama, vllm, llamacpp, lmstudio.")] = None,
    output_mode: Annotated[_Text, typer.Option(help="json_schema, json_object_schema, "
                                               "json_object.")] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-j", help="LLM requests in flight.")
    ] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute to the LLM.")] = None,
    tpm: Annotated[int | None, typer.Option(help="Tokens per minute to the LLM.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per LLM request.")] = None,
    max_retries: Annotated[int | None, typer.Option(help="Transport retries.")] = None,
    max_reasks: Annotated[int | None, typer.Option(help="Validation re-asks.")] = None,
    max_output_tokens: Annotated[int | None, typer.Option(help="LLM answer limit.")] = None,
    context_chars: Annotated[int | None, typer.Option(help="LLM characters per call.")] = None,
    cache: Annotated[
        bool | None, typer.Option("--cache/--no-cache", help="Reuse stored backend answers.")
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Answer cache folder.")] = None,
    prices: Annotated[Path | None, typer.Option(help="Price table JSON.")] = None,
    max_chars: Annotated[int | None, typer.Option(help="Longest article in characters.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file.")] = None,
) -> None:
    _need_serve_extra()
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
        context_chars=context_chars,
        cache=cache,
        cache_dir=cache_dir,
        prices=prices,
        max_chars=max_chars,
    )
    service = ServiceSettings.resolve(
        host=host,
        port=port,
        db=db,
        wait=wait,
        max_body_bytes=max_body_bytes,
        lease_seconds=lease_seconds,
        drain_seconds=drain_seconds,
    )
    from extractor.service.server import run_server

    run_server(settings, service)


serve.__doc__ = _SERVE_HELP

keys = ExtractorTyper(
    name="keys",
    help="API keys of `extract serve`: the database keeps only their hashes.",
    no_args_is_help=True,
)


@keys.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="Who the key is for (shown in `keys list`).")],
    rpm: Annotated[
        int | None, typer.Option(min=1, help="Requests per minute this key may make.")
    ] = None,
    budget_usd: Annotated[
        float | None,
        typer.Option(min=0, help="USD this key may spend on model calls, in total."),
    ] = None,
    db: Annotated[_Text, typer.Option(help="Database URL (env EXTRACT_DB).")] = None,
) -> None:
    """Create a key and print it, once: it cannot be shown again (only its hash is stored).

    Exit codes: 0 created; 2 a bad option, a database that cannot be opened, or the serve extra
    not installed.
    """
    if not name.strip():
        raise ConfigError("--name must not be empty")
    store = _store(db)
    key = store.create_key(name.strip(), rpm=rpm, budget_usd=budget_usd)
    typer.echo(key)
    limits = [f"{rpm} requests/min" if rpm else "no rate limit",
              f"budget ${budget_usd:g}" if budget_usd is not None else "no budget"]
    typer.echo(f"key {name.strip()!r} created ({', '.join(limits)}); it is shown only this once",
               err=True)


@keys.command("list")
def list_keys(db: Annotated[_Text, typer.Option(help="Database URL (env EXTRACT_DB).")] = None,
              ) -> None:
    """List keys: name, rate limit, budget, spent and held (never the key itself)."""
    for key in _store(db).list_keys():
        rpm = str(key.rpm) if key.rpm else "-"
        budget = f"{key.budget_usd:.4f}" if key.budget_usd is not None else "-"
        typer.echo(f"{key.id}\t{key.name}\trpm={rpm}\tbudget_usd={budget}\t"
                   f"spent_usd={key.spent_usd:.4f}\treserved_usd={key.reserved_usd:.4f}")


def _store(db: str | None) -> Store:
    _need_serve_extra()
    from extractor.service.db import open_database
    from extractor.service.store import Store

    return Store(open_database(ServiceSettings.resolve(db=db).db))


def _need_serve_extra() -> None:
    missing = [name for name in ("fastapi", "uvicorn", "sqlalchemy", "jinja2")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"the service needs {', '.join(missing)}: pip install 'extractor[serve]'"
        )
