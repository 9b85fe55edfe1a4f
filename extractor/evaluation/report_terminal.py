"""The plain-text score table `extract eval` always prints."""

from __future__ import annotations

from extractor.evaluation.metrics import HEADLINE_METRICS, ITEM_FIELDS, LEAD_METRIC
from extractor.evaluation.result import EvalResult


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def lead_ratio(summary: float | None, lead: float | None) -> str:
    """The summary's coverage as a multiple of the lead-3 baseline's ("1.40 x lead-3")."""
    if summary is None or not lead:
        return ""
    return f"summary = {summary / lead:.2f} x lead-3"


def render_table(result: EvalResult) -> str:
    """Headline metrics (micro, macro, baseline, difference, bootstrap CI), details and gaps."""
    scores = result.scores
    lines = [
        f"eval {result.key}: {len(scores.articles)} gold articles, predictions {result.source}",
        "",
        f"{'metric':<22}{'micro':>8}{'macro':>8}{'baseline':>10}{'diff':>8}  95% CI (macro diff)",
    ]
    blessed = result.baseline.scores if result.baseline is not None else {}
    for metric in HEADLINE_METRICS:
        micro = scores.micro.get(metric)
        base = blessed.get(metric)
        diff = micro - base if micro is not None and base is not None else None
        interval = result.intervals.get(metric)
        ci = f"[{interval.low:+.3f}, {interval.high:+.3f}]" if interval is not None else ""
        lines.append(
            f"{metric:<22}{_num(micro):>8}{_num(scores.macro.get(metric)):>8}"
            f"{_num(base):>10}{_num(diff, signed=True):>8}  {ci}".rstrip()
        )
        if metric == "summary.coverage":
            lead = scores.micro.get(LEAD_METRIC)
            lines.append(
                f"{'  lead-3 baseline':<22}{_num(lead):>8}{_num(scores.macro.get(LEAD_METRIC)):>8}"
                f"{'':>10}{'':>8}  {lead_ratio(micro, lead)}".rstrip()
            )
    lines.append("")
    details = [
        f"{name} P {_num(scores.micro.get(f'{name}.precision'))}"
        f" R {_num(scores.micro.get(f'{name}.recall'))}"
        for name in ITEM_FIELDS
    ]
    details.append(f"date mean abs error {_num(scores.micro.get('date.abs_error_days'))} days")
    lines.append("; ".join(details))
    for article in scores.articles:
        if article.status != "ok":
            lines.append(
                f"{article.article}: scored as empty ({article.status}: {article.message})"
            )
    for article_id in result.ignored:
        lines.append(f"{article_id}: prediction has no gold; ignored")
    return "\n".join(lines) + "\n"
