"""A self-contained HTML view of events: per event, one column per source, a row per fact, each
cell the source's value with its verbatim evidence; agreements, single-source values and
conflicts marked. Inline CSS only; no scripts, no external assets. Also the page of
`extract eval --events --html`: the scores, then the view of every predicted event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from extractor.evaluation.article_scores import Highlight
from extractor.evaluation.report_html import mark_text
from extractor.events.model import ChosenValue, EventLine, SourceEvidence
from extractor.events.scoring import EventScores
from extractor.output_file import write_whole_file

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-top: 1px solid #ccc;
  padding-top: 1em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; text-align: left; }
th.fact { width: 12em; }
th.source small { word-break: break-all; font-weight: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.agree { background: #eef8ec; }
td.single { background: #fff8e0; }
td.conflict { background: #fde2e2; }
td.silent { color: #999; }
mark { background: #ffe58a; }
mark.unverified { background: #eee; text-decoration: underline dotted; }
.text { white-space: pre-wrap; background: #fcfcfc; border: 1px solid #ddd; padding: .75em; }
.text mark.pred { background: #ffe58a; }
q { font-style: italic; }
.conflicts { color: #b00; font-weight: 600; }
.legend span { padding: 0 .5em; margin-right: .5em; }
"""

_LEGEND = (
    "<p class='legend'><span class='agree' style='background:#eef8ec'>reported by several "
    "sources</span><span style='background:#fff8e0'>by this source only</span>"
    "<span style='background:#fde2e2'>sources disagree</span>"
    "<mark>verified evidence</mark> <mark class='unverified'>quote not found in the "
    "article</mark></p>"
)


def _quote(evidence: SourceEvidence) -> str:
    kind = "" if evidence.verified else " class='unverified'"
    where = ""
    if evidence.start is not None:
        where = f" title='characters {evidence.start}-{evidence.end}'"
    return f"<mark{kind}{where}>{escape(evidence.quote)}</mark>"


def _cell(kind: str, value: str, evidence: Sequence[SourceEvidence]) -> str:
    quotes = "".join(f"<br><q>{_quote(e)}</q>" for e in evidence)
    return f"<td class='{kind}'>{escape(value)}{quotes}</td>"


def _silent() -> str:
    return "<td class='silent'>—</td>"


def _one_valued_row(
    name: str, chosen: ChosenValue, sources: Sequence[str], conflicting: bool
) -> str:
    by_article = {a: support for support in chosen.values for a in support.articles}
    cells = []
    for article in sources:
        support = by_article.get(article)
        if support is None:
            cells.append(_silent())
            continue
        if support.value != chosen.value:
            kind = "conflict" if conflicting else "single"
        else:
            kind = "agree" if len(support.articles) > 1 else "single"
        proof = [e for e in chosen.evidence if e.article == article]
        cells.append(_cell(kind, support.value, proof))
    why = f"<br><small>{escape(chosen.why)}</small>"
    return f"<tr><th class='fact'>{escape(name)}{why}</th>{''.join(cells)}</tr>"


def _item_row(name: str, reported_by: Sequence[str], evidence: Sequence[SourceEvidence],
              sources: Sequence[str]) -> str:
    kind = "agree" if len(reported_by) > 1 else "single"
    cells = [
        _cell(kind, "reports it", [e for e in evidence if e.article == article])
        if article in reported_by
        else _silent()
        for article in sources
    ]
    return f"<tr><th class='fact'>{escape(name)}</th>{''.join(cells)}</tr>"


def _spans(event: EventLine) -> dict[str, list[Highlight]]:
    """Every located evidence span of the event, by article, labelled with its fact."""
    facts: list[tuple[str, Sequence[SourceEvidence]]] = [
        ("date", event.date.evidence),
        ("location", event.location.evidence),
        *((f"term: {t.statement}", t.evidence) for t in event.treaty_terms),
        *((f"allegation: {a.claim}", a.evidence) for a in event.allegations),
        *((f"denial: {d.claim}", d.evidence) for d in event.denials),
    ]
    spans: dict[str, list[Highlight]] = {}
    for label, evidence in facts:
        for item in evidence:
            if item.verified and item.start is not None and item.end is not None:
                spans.setdefault(item.article, []).append(
                    Highlight(item.start, item.end, "pred", label)
                )
    return spans


def _articles(event: EventLine, texts: Mapping[str, str]) -> str:
    spans = _spans(event)
    return "".join(
        f"<details class='article' data-article='{escape(s.article)}'><summary>"
        f"{escape(s.outlet or s.article)}: the article with its evidence marked</summary>"
        f"<div class='text'>{mark_text(texts[s.article], spans.get(s.article, []))}</div>"
        "</details>"
        for s in event.sources
        if s.article in texts
    )


def render_event(event: EventLine, texts: Mapping[str, str] | None = None) -> str:
    """One event's section: its facts, a column per source, a row per fact; and, for the
    articles whose `texts` are given, each article with its evidence marked."""
    sources = [source.article for source in event.sources]
    conflicting = {conflict.field for conflict in event.conflicts}
    head = "".join(
        f"<th class='source' data-article='{escape(s.article)}'>{escape(s.outlet or s.article)}"
        f"<br><small>{escape(s.article)} · {escape(s.published or 'undated')}</small>"
        + (f"<br><small>{escape(s.url)}</small>" if s.url else "")
        + "</th>"
        for s in event.sources
    )
    rows = [
        _one_valued_row("date", event.date, sources, "date" in conflicting),
        _one_valued_row("location", event.location, sources, "location" in conflicting),
    ]
    for party in event.parties:
        rows.append(_item_row(f"party: {party.name}", party.articles, [], sources))
    for term in event.treaty_terms:
        rows.append(_item_row(f"term: {term.statement}", term.reported_by, term.evidence, sources))
    for item in event.allegations:
        sides = f"{', '.join(item.alleged_by)} → {', '.join(item.accused)}"
        label = f"allegation: {sides}: {item.claim}"
        rows.append(_item_row(label, item.reported_by, item.evidence, sources))
    for denial in event.denials:
        label = f"denial: {', '.join(denial.denied_by)}: {denial.claim}"
        rows.append(_item_row(label, denial.reported_by, denial.evidence, sources))
    disagreements = (
        "<p class='conflicts'>Sources disagree on: "
        + ", ".join(
            f"{escape(c.field)} ("
            + "; ".join(f"{escape(v.value)}: {escape(', '.join(v.articles))}" for v in c.values)
            + ")"
            for c in event.conflicts
        )
        + "</p>"
        if event.conflicts
        else ""
    )
    return (
        f"<section class='event' id='{escape(event.event_id)}'>"
        f"<h2>{escape(event.title)}</h2><p><code>{escape(event.event_id)}</code> · "
        f"{escape(event.event_type)} · {len(event.sources)} sources</p>"
        f"<p>{escape(event.summary)}</p>{disagreements}"
        f"<table class='sources'><tr><th class='fact'>fact</th>{head}</tr>{''.join(rows)}"
        f"</table>{_articles(event, texts or {})}</section>"
    )


def render_events_page(
    events: Sequence[EventLine],
    title: str = "Events",
    intro: str = "",
    texts: Mapping[str, str] | None = None,
) -> str:
    """The whole page: every event's section after an optional introduction (HTML)."""
    body = "".join(render_event(event, texts) for event in events)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{intro}{_LEGEND}{body}</body></html>\n"
    )


def write_events_html(
    events: Sequence[EventLine], path: Path, texts: Mapping[str, str] | None = None
) -> None:
    """Write the events' page whole (`write_whole_file`), marking evidence in the articles
    whose `texts` (by article id) are given. Raises `OutputError`."""
    write_whole_file(path, render_events_page(events, texts=texts))


def _number(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else escape(str(value))


def render_scores(scores: EventScores) -> str:
    """`extract eval --events`'s numbers as HTML: clustering, conflicts, fields per gold event."""
    rows = "".join(
        f"<tr><td>{escape(name)}</td>"
        + "".join(f"<td class='num'>{prf[k]:.3f}</td>" for k in ("precision", "recall", "f1"))
        + "</tr>"
        for name, prf in scores.clustering.items()
    )
    conflicts = scores.conflicts
    rows += (
        f"<tr><td>conll</td><td></td><td></td><td class='num'>{scores.conll_f1:.3f}</td></tr>"
        f"<tr><td>conflicts</td><td class='num'>{conflicts.precision:.3f}</td>"
        f"<td class='num'>{conflicts.recall:.3f}</td><td class='num'>{conflicts.f1:.3f}</td></tr>"
    )
    names = ["date", "location", "parties", "treaty_terms", "allegations", "denials"]
    field_rows = "".join(
        f"<tr><td>{escape(str(fields['gold_event']))}</td>"
        f"<td><a href='#{escape(str(fields.get('matched_event')))}'>"
        f"{escape(str(fields.get('matched_event')))}</a></td>"
        + "".join(f"<td class='num'>{_number(_headline(fields.get(name)))}</td>" for name in names)
        + "</tr>"
        for fields in scores.fields
    )
    missing = (
        "<p class='conflicts'>Gold articles no event holds: "
        f"{escape(', '.join(scores.missing))}</p>"
        if scores.missing
        else ""
    )
    return (
        "<h2>Clustering and conflicts</h2><table class='scores'><tr><th>metric</th>"
        f"<th>precision</th><th>recall</th><th>F1</th></tr>{rows}</table>{missing}"
        "<h2>Fields per gold event</h2><table class='fields'><tr>"
        + "".join(f"<th>{escape(name)}</th>" for name in ["gold event", "event", *names])
        + f"</tr>{field_rows}</table>"
    )


def _headline(value: object) -> object:
    # A list field's scores are a dict of numbers: its F1 is the one shown.
    if isinstance(value, dict):
        return value.get("f1", "")
    return "" if value is None else value


def write_scores_html(scores: EventScores, events: Sequence[EventLine], path: Path) -> None:
    """The eval page: the scores, then every predicted event's view. Raises `OutputError`."""
    page = render_events_page(events, "Event scores", render_scores(scores))
    write_whole_file(path, page)
