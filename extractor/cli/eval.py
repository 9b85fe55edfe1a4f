"""`extract eval`: score a backend or a predictions file against gold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from extractor.errors import ConfigError
from extractor.output_file import write_whole_file

_OUT_DIR = Path("out")


def _run_backend(
    backend: str, model: str | None, base_url: str | None, no_cache: bool, articles: Path
) -> Path:
    """Run `backend` over the articles into ``out/eval-<backend>-<set>.jsonl``; return that path."""
    # Imported on use: only this path needs the runner and, through it, the backends.
    from extractor.evaluation.command import eval_set_name
    from extractor.runner import run
    from extractor.settings import Settings

    settings = Settings.resolve(
        backend=backend, model=model, base_url=base_url, cache=False if no_cache else None
    )
    out = _OUT_DIR / f"eval-{backend}-{eval_set_name(articles)}.jsonl"
    if no_cache:
        # The runner resumes from lines with the same fingerprint; a fresh run must not.
        out.unlink(missing_ok=True)
    summary = run([str(articles)], out, settings, retry_errors=True)
    if summary.exit_code == 2:
        # Scoring a run whose backend was misconfigured would score empty answers (and could
        # bless them as the baseline).
        reason = summary.config_failure or "see the error lines"
        typer.echo(f"extract eval: {backend} backend configuration error: {reason}", err=True)
        raise typer.Exit(2)
    typer.echo(
        f"ran {backend} over {summary.articles} articles into {out}: {summary.records} records, "
        f"{summary.resumed} resumed, {summary.cache_hits} cache hits",
        err=True,
    )
    return out


def eval_(
    backend: Annotated[
        str | None, typer.Option("--backend", help="Run this backend over the set, then score it.")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="Score this `extract run` JSONL file.")
    ] = None,
    articles: Annotated[
        Path, typer.Option("--articles", help="Folder of <article-id>.txt files.")
    ] = Path("seeds"),
    gold: Annotated[
        Path, typer.Option("--gold", help="Folder of <article-id>.json gold records.")
    ] = Path("evals/gold"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write all scores and match decisions here.")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Write JUnit XML (article x field cases).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if a score fell below its baseline.")
    ] = False,
    bless: Annotated[
        bool, typer.Option("--bless", help="Store these scores as the baseline.")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Baseline scores file (default evals/baseline.json; with --events "
            "evals/events/baseline.json).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Backend name for the baseline key (default: provenance)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="With --backend: ignore the response cache.")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="With --backend: model name.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="With --backend: OpenAI-compatible URL.")
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option("--events", help="Score this `extract events` file (with --gold-events)."),
    ] = None,
    gold_events: Annotated[
        Path | None, typer.Option("--gold-events", help="Gold events JSONL (evals/README.md).")
    ] = None,
) -> None:
    """Score extractions against hand-labelled gold; print the table; gate or bless."""
    if events is not None or gold_events is not None:
        _eval_events(
            events,
            gold_events,
            json_out,
            other=backend or predictions,
            html=html,
            gate=_EventsGate(
                check=check,
                bless=bless,
                baseline=baseline or Path("evals/events/baseline.json"),
                name=name,
            ),
        )
        return
    # Imported on use, so that `extract --help` does not pay for scipy.
    from extractor.evaluation.command import EvalRequest, run_eval

    if (backend is None) == (predictions is None):
        raise ConfigError("give exactly one of --backend NAME and --predictions RUN.jsonl")
    if backend is not None:
        predictions = _run_backend(backend, model, base_url, no_cache, articles)
    if predictions is None:
        raise ConfigError("no predictions to score")
    outcome = run_eval(
        EvalRequest(
            predictions=predictions,
            articles_dir=articles,
            gold_dir=gold,
            baseline_path=baseline or Path("evals/baseline.json"),
            name=name or backend,
            json_out=json_out,
            junit_out=junit,
            html_out=html,
            check=check,
            bless=bless,
        )
    )
    typer.echo(outcome.report, nl=False)
    for note in outcome.notes:
        typer.echo(note, err=True)
    raise typer.Exit(outcome.exit_code)


@dataclass(frozen=True)
class _EventsGate:
    check: bool
    bless: bool
    baseline: Path
    name: str | None


def _eval_events(
    events: Path | None,
    gold_events: Path | None,
    json_out: Path | None,
    other: object,
    html: Path | None,
    gate: _EventsGate,
) -> None:
    """`extract eval --events E --gold-events G`: clustering, field and conflict scores; with
    `--check`/`--bless`, gated against entry ``<name>@events-<gold stem>`` of the baseline."""
    import json

    from extractor.evaluation.gate import Baseline, baseline_key, bless, check
    from extractor.events.build import read_events
    from extractor.events.scoring import read_gold_events, render_terminal, score_events

    if events is None or gold_events is None:
        raise ConfigError("--events and --gold-events go together")
    if other is not None:
        raise ConfigError("--events is scored on its own: no --backend or --predictions")
    if gate.check and gate.bless:
        raise ConfigError("--check and --bless are exclusive")
    try:
        gold_text = gold_events.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{gold_events}: cannot read: {exc}") from None
    lines = read_events(events)
    scores = score_events(lines, read_gold_events(gold_text, str(gold_events)))
    if json_out is not None:
        write_whole_file(json_out, json.dumps(scores.as_dict(), indent=2) + "\n")
    if html is not None:
        from extractor.events.report_html import write_scores_html

        write_scores_html(scores, lines, html)
    typer.echo(render_terminal(scores), nl=False)
    if not (gate.check or gate.bless):
        return
    baseline = Baseline.load(gate.baseline)
    key = baseline_key(gate.name or "offline", f"events-{gold_events.stem}")
    if gate.bless:
        bless(baseline, key, scores.gate_scores(), {})
        typer.echo(f"blessed {key} in {gate.baseline}", err=True)
        return
    entry = baseline.entry(key)
    if entry is None:
        raise ConfigError(f"{gate.baseline}: no baseline {key} to check against (--bless first)")
    regressions = check(scores.gate_scores(), baseline, entry)
    for regression in regressions:
        typer.echo(f"regression: {regression.message()}", err=True)
    if regressions:
        raise typer.Exit(1)


eval_.__doc__ = "\n\n".join(
    [
        "Score extractions against hand-labelled gold; print the table; gate or bless.",
        "Exit codes: 0 scored (with --check: no field fell below its baseline); 1 with "
        "--check a field regressed, or with --check/--bless over 5% of the gold articles are "
        "error lines or missing; 2 invalid or unreadable gold, predictions or baseline, or a "
        "backend configuration error; 74 a report or the baseline could not be written.",
        "Examples:",
        "extract eval --predictions out/seeds.jsonl --html report.html",
        "extract eval --backend offline --check   (run, score, exit 1 on a regression)",
        "extract eval --backend offline --bless   (accept the scores as the baseline)",
        "extract eval --backend offline --articles evals/real/heldout --gold "
        "evals/real/heldout/gold --check",
        "extract eval --events events.jsonl --gold-events evals/events/seeds.jsonl --check",
    ]
)
