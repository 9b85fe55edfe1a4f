"""`extract eval` without the command line: load, score, compare, report, gate.

`run_eval` is the one entry point; the CLI builds an `EvalRequest` from its options and turns
the outcome's exit code into the process's. Scoring a backend run first is the CLI's job (this
package imports no backend), after which it comes here with the run's predictions file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError
from extractor.evaluation.bootstrap import DiffInterval, paired_bootstrap
from extractor.evaluation.gate import MAX_ERROR_SHARE, Baseline, baseline_key, bless, check
from extractor.evaluation.gold import PredictionSet, load_gold, load_predictions
from extractor.evaluation.metrics import (
    HEADLINE_METRICS,
    LEAD_METRIC,
    ArticleScore,
    aggregate,
    score_article,
)
from extractor.evaluation.report_html import write_html
from extractor.evaluation.report_junit import write_junit
from extractor.evaluation.report_terminal import render_table
from extractor.evaluation.result import EvalResult
from extractor.output_file import write_whole_file

#: Exit codes of `extract eval`: 1 when `--check` finds a regression or `--check`/`--bless` find
#: too many articles without a record (`MAX_ERROR_SHARE`).
EXIT_OK, EXIT_REGRESSION = 0, 1


@dataclass(frozen=True)
class EvalRequest:
    """What to score, against what, and which reports and gate actions to produce."""

    predictions: Path
    articles_dir: Path = Path("seeds")
    gold_dir: Path = Path("evals/gold")
    baseline_path: Path = Path("evals/baseline.json")
    name: str | None = None
    json_out: Path | None = None
    junit_out: Path | None = None
    html_out: Path | None = None
    check: bool = False
    bless: bool = False


@dataclass(frozen=True)
class EvalOutcome:
    """The result, the table for stdout, notes for stderr, and the exit code."""

    result: EvalResult
    report: str
    exit_code: int = EXIT_OK
    notes: list[str] = field(default_factory=list)


def eval_set_name(articles_dir: Path) -> str:
    """The eval set's name: the articles folder's own name (``seeds/`` -> ``seeds``), or below an
    ``evals/`` folder its path from there joined by hyphens (``evals/heldout`` -> ``heldout``,
    ``evals/real/heldout`` -> ``real-heldout``), so two sets with one folder name stay apart."""
    parts = articles_dir.resolve().parts
    if "evals" in parts[:-1]:
        below = parts[len(parts) - parts[::-1].index("evals") :]
        return "-".join(below)
    return parts[-1]


def backend_name(predictions: PredictionSet, override: str | None) -> str:
    """The backend a predictions file came from: `override`, else its records' provenance."""
    if override:
        return override
    names = predictions.backends()
    if len(names) == 1:
        return names[0]
    if not names:
        raise ConfigError(
            f"{predictions.path}: no record names its backend in provenance; pass --name"
        )
    raise ConfigError(
        f"{predictions.path}: records come from several backends {names}; pass --name"
    )


def _intervals(
    run_per_article: dict[str, dict[str, float | None]],
    blessed: dict[str, dict[str, float | None]],
) -> dict[str, DiffInterval]:
    intervals: dict[str, DiffInterval] = {}
    for metric in HEADLINE_METRICS:
        run = {a: m.get(metric) for a, m in run_per_article.items()}
        base = {a: m.get(metric) for a, m in blessed.items()}
        interval = paired_bootstrap(run, base)
        if interval is not None:
            intervals[metric] = interval
    return intervals


def evaluate(request: EvalRequest, baseline: Baseline) -> EvalResult:
    """Score the predictions against the gold and compare with the baseline entry, if any."""
    gold = load_gold(request.gold_dir, request.articles_dir)
    predictions = load_predictions(request.predictions)
    eval_set = eval_set_name(request.articles_dir)
    key = baseline_key(backend_name(predictions, request.name), eval_set)
    scores = aggregate([score_article(g, predictions.items.get(a)) for a, g in gold.items()])
    entry = baseline.entry(key)
    tolerance = {m: baseline.tolerance(entry, m) for m in HEADLINE_METRICS} if entry else {}
    per_article = headline_per_article(scores.articles)
    return EvalResult(
        key=key,
        eval_set=eval_set,
        predictions=predictions,
        gold=gold,
        scores=scores,
        baseline=entry,
        tolerance=tolerance,
        intervals=_intervals(per_article, entry.per_article) if entry else {},
        regressions=check(scores.micro, baseline, entry) if entry else [],
        ignored=sorted(set(predictions.items) - set(gold)),
    )


def headline_per_article(
    articles: Sequence[ArticleScore],
) -> dict[str, dict[str, float | None]]:
    """Each article's headline metrics, as stored in a baseline's `per_article`."""
    out: dict[str, dict[str, float | None]] = {}
    for article in articles:
        metrics = article.metrics()
        out[article.article] = {m: metrics.get(m) for m in HEADLINE_METRICS}
    return out


def lead3_json(result: EvalResult) -> dict[str, float | None]:
    """The lead-3 baseline's coverage beside the summary's, and their ratio (micro)."""
    micro = result.scores.micro
    summary, lead = micro.get("summary.coverage"), micro.get(LEAD_METRIC)
    return {
        "summary_coverage": summary,
        "lead3_coverage": lead,
        "lead3_coverage_macro": result.scores.macro.get(LEAD_METRIC),
        "summary_over_lead3": summary / lead if summary is not None and lead else None,
    }


def result_json(result: EvalResult) -> dict[str, Any]:
    """Every score and every per-item decision, as written by ``--json``."""
    return {
        "key": result.key,
        "eval_set": result.eval_set,
        "predictions": str(result.source),
        "micro": result.scores.micro,
        "macro": result.scores.macro,
        "lead3": lead3_json(result),
        "baseline": asdict(result.baseline) if result.baseline is not None else None,
        "intervals": {m: asdict(i) for m, i in result.intervals.items()},
        "regressions": [asdict(r) for r in result.regressions],
        "error_share": result.error_share,
        "ignored_predictions": result.ignored,
        "articles": [
            {
                "article": a.article,
                "status": a.status,
                "message": a.message,
                "metrics": a.metrics(),
                "decisions": [asdict(d) for d in a.decisions],
            }
            for a in result.scores.articles
        ],
    }


def _too_many_failures(result: EvalResult) -> str | None:
    """Why the run cannot be gated or blessed (too many articles without a record), or None."""
    failed, total = len(result.failed()), len(result.scores.articles)
    if result.error_share <= MAX_ERROR_SHARE:
        return None
    if failed == total:
        return (
            f"all {total} gold articles are error lines or missing: the run extracted nothing"
        )
    return (
        f"{failed} of {total} gold articles ({result.error_share:.0%}) are error lines or "
        f"missing, above the {MAX_ERROR_SHARE:.0%} the gate accepts"
    )


def run_eval(request: EvalRequest) -> EvalOutcome:
    """Score, write the requested reports, then gate (`check`) or bless; never both.

    Neither passes a run in which more than `MAX_ERROR_SHARE` of the gold articles has no record.
    """
    if request.check and request.bless:
        raise ConfigError("--check and --bless exclude each other: bless, then check")
    baseline = Baseline.load(request.baseline_path)
    result = evaluate(request, baseline)
    if request.json_out is not None:
        document = json.dumps(result_json(result), indent=2, ensure_ascii=False) + "\n"
        write_whole_file(request.json_out, document)
    if request.junit_out is not None:
        write_junit(result, request.junit_out)
    if request.html_out is not None:
        write_html(result, request.html_out)
    notes: list[str] = []
    exit_code = EXIT_OK
    failed = _too_many_failures(result)
    if request.bless:
        if failed is not None:
            notes.append(f"not blessed: {failed}")
            exit_code = EXIT_REGRESSION
        else:
            per_article = headline_per_article(result.scores.articles)
            headline = {m: result.scores.micro.get(m) for m in HEADLINE_METRICS}
            bless(baseline, result.key, headline, per_article)
            notes.append(f"blessed {result.key} in {request.baseline_path}")
    elif request.check:
        notes.extend(f"regression: {r.message()}" for r in result.regressions)
        if failed is not None:
            notes.append(f"check failed: {failed}")
            exit_code = EXIT_REGRESSION
        elif result.regressions:
            exit_code = EXIT_REGRESSION
        elif result.baseline is None or not result.baseline.scores:
            notes.append(
                f"no baseline scores for {result.key} in {request.baseline_path}: nothing to "
                "check (bless one with --bless)"
            )
        else:
            notes.append(f"no regression against {result.key}")
    return EvalOutcome(result=result, report=render_table(result), exit_code=exit_code, notes=notes)
