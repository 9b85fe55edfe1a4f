"""A self-contained HTML report: per article, gold and prediction side by side, every decision,
and the evidence marked in the article text. Inline CSS only; no scripts, no external assets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from itertools import pairwise
from pathlib import Path

from extractor.evaluation.metrics import HEADLINE_METRICS, LEAD_METRIC, ArticleScore, Highlight
from extractor.evaluation.report_terminal import lead_ratio
from extractor.evaluation.result import EvalResult
from extractor.output_file import write_whole_file
from extractor.schema import EventRecord

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-top: 1px solid #ccc;
  padding-top: 1em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ddd; padding: 2px 6px; vertical-align: top; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.side td { width: 45%; }
.json { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .5em; font-size: 12px; margin: 0; }
.text { white-space: pre-wrap; background: #fcfcfc; border: 1px solid #ddd; padding: .75em; }
mark.gold { background: #ffe58a; }
mark.pred { background: #bde0ff; }
mark.gold.pred { background: #b8ecb0; }
tr.matched td:first-child { border-left: 4px solid #3a3; }
tr.missed td:first-child { border-left: 4px solid #d33; }
tr.spurious td:first-child { border-left: 4px solid #e90; }
.bad { color: #b00; font-weight: 600; }
.legend mark { padding: 0 .4em; }
"""


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def mark_text(text: str, highlights: Sequence[Highlight]) -> str:
    """The article text, HTML-escaped, with each evidence span in a <mark> (classes gold/pred)."""
    cuts = {0, len(text)}
    for h in highlights:
        cuts.update((max(0, h.start), min(len(text), h.end)))
    bounds = sorted(cuts)
    parts: list[str] = []
    for lo, hi in pairwise(bounds):
        if lo >= hi:
            continue
        covering = [h for h in highlights if h.start <= lo and hi <= h.end]
        chunk = escape(text[lo:hi])
        if not covering:
            parts.append(chunk)
            continue
        classes = " ".join(sorted({h.source for h in covering}))
        title = "; ".join(sorted({f"{h.source}: {h.label}" for h in covering}))
        parts.append(f'<mark class="{classes}" title="{escape(title)}">{chunk}</mark>')
    return "".join(parts)


_ROWS = ("title", "summary", "event_type", "date", "location", "parties", "treaty_terms",
         "allegations", "denials")


def _record_lines(record: EventRecord | None) -> dict[str, list[str]]:
    """Each field of a record as short lines, for the side-by-side table."""
    if record is None:
        return {}
    date = record.date
    return {
        "title": [record.title],
        "summary": [record.summary],
        "event_type": [record.event_type],
        "date": [f"{date.value} ({date.precision}; {date.phrase!r})"] if date else [],
        "location": [record.location.name] if record.location else [],
        "parties": [f"{p.name} ({p.type}, {p.role})" for p in record.parties],
        "treaty_terms": [t.statement for t in record.treaty_terms],
        "allegations": [
            f"{', '.join(a.alleged_by)} → {', '.join(a.accused)}: {a.claim}"
            for a in record.allegations
        ],
        "denials": [f"{', '.join(d.denied_by)}: {d.claim}" for d in record.denials],
    }


def _side_by_side(gold: EventRecord, pred: EventRecord | None) -> str:
    left, right = _record_lines(gold), _record_lines(pred)

    def cell(lines: list[str]) -> str:
        return "<br>".join(f"{i}. {escape(x)}" if len(lines) > 1 else escape(x)
                           for i, x in enumerate(lines))

    rows = "".join(
        f"<tr><th>{name}</th><td>{cell(left.get(name, []))}</td>"
        f"<td>{cell(right.get(name, []))}</td></tr>"
        for name in _ROWS
    )
    return f"<table class='side'><tr><th></th><th>Gold</th><th>Prediction</th></tr>{rows}</table>"


def _record_json(record: EventRecord | None) -> str:
    if record is None:
        return "(no record)"
    return json.dumps(
        record.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False
    )


def _article_section(result: EvalResult, article: ArticleScore) -> str:
    gold = result.gold[article.article]
    prediction = result.predictions.items.get(article.article)
    pred_record = prediction.record if prediction is not None else None
    metrics = article.metrics()
    below = result.article_regressions(article)
    rows = "".join(
        f'<tr><td>{m}</td><td class="num{" bad" if m in below else ""}">{_fmt(metrics.get(m))}'
        "</td></tr>"
        for m in (*HEADLINE_METRICS, LEAD_METRIC)
    )
    decisions = "".join(
        f'<tr class="{d.kind}"><td>{escape(d.field)}</td><td>{d.kind}</td>'
        f'<td class="num">{d.credit:g}</td><td>{escape(d.gold or "")}</td>'
        f"<td>{escape(d.pred or '')}</td><td>{escape(d.reason)}</td></tr>"
        for d in article.decisions
    )
    status = "" if article.status == "ok" else (
        f'<p class="bad">Scored as an empty prediction ({article.status}: '
        f"{escape(article.message or '')})</p>"
    )
    return f"""
<section id="{escape(article.article)}">
<h2>{escape(article.article)}</h2>
{status}
<table><tr><th>metric</th><th>score</th></tr>{rows}</table>
<h3>Gold and prediction</h3>
{_side_by_side(gold.record, pred_record)}
<details><summary>Records as JSON</summary><div class="json">
<pre>{escape(_record_json(gold.record))}</pre><pre>{escape(_record_json(pred_record))}</pre>
</div></details>
<h3>Decisions</h3>
<table><tr><th>field</th><th>decision</th><th>credit</th><th>gold</th><th>prediction</th>
<th>reason</th></tr>{decisions}</table>
<h3>Article with evidence</h3>
<p class="legend"><mark class="gold">gold</mark> <mark class="pred">prediction</mark>
<mark class="gold pred">both</mark></p>
<div class="text">{mark_text(gold.text, article.highlights)}</div>
</section>"""


def render_html(result: EvalResult) -> str:
    """The whole report as one HTML document."""
    scores = result.scores
    blessed = result.baseline.scores if result.baseline is not None else {}
    rows = "".join(
        f"<tr><td>{m}</td><td class='num'>{_fmt(scores.micro.get(m))}</td>"
        f"<td class='num'>{_fmt(scores.macro.get(m))}</td>"
        f"<td class='num'>{_fmt(blessed.get(m))}</td></tr>"
        for m in (*HEADLINE_METRICS, LEAD_METRIC)
    )
    ratio = lead_ratio(scores.micro.get("summary.coverage"), scores.micro.get(LEAD_METRIC))
    lead_note = (
        f"<p>{LEAD_METRIC}: the key-fact coverage of the article's first three body sentences, "
        f"scored like the summary (micro {escape(ratio)}).</p>" if ratio else ""
    )
    regressions = "".join(f"<li class='bad'>{escape(r.message())}</li>" for r in result.regressions)
    index = "".join(
        f'<li><a href="#{escape(a.article)}">{escape(a.article)}</a></li>' for a in scores.articles
    )
    sections = "".join(_article_section(result, a) for a in scores.articles)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>extract eval: {escape(result.key)}</title>
<style>{_CSS}</style></head>
<body>
<h1>extract eval: {escape(result.key)}</h1>
<p>Predictions: {escape(str(result.source))}; {len(scores.articles)} gold articles.</p>
<table><tr><th>metric</th><th>micro</th><th>macro</th><th>baseline</th></tr>{rows}</table>
{lead_note}
<ul>{regressions}</ul>
<ul>{index}</ul>
{sections}
</body></html>
"""


def write_html(result: EvalResult, path: Path) -> None:
    """Write the report to `path`."""
    write_whole_file(path, render_html(result))
