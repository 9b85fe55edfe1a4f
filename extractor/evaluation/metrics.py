"""Field-level scores of one predicted record against its gold, with every decision recorded.

Each field has one headline metric (`HEADLINE_METRICS`), the number reports show and the gate
checks; list fields also report precision and recall. `score_article` scores one article,
`aggregate` turns many into micro (pooled over the set) and macro (mean over articles) scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean

from extractor.evaluation.article_scores import (
    ArticleScore,
    Counts,
    Decision,
    Highlight,
    count_metrics,
)
from extractor.evaluation.coverage import COVERAGE_THRESHOLD, covered_facts, fact_coverage
from extractor.evaluation.date_score import score_date
from extractor.evaluation.gold import GoldArticle, Prediction
from extractor.evaluation.lead import lead_summary
from extractor.evaluation.matching import (
    MATCH_THRESHOLD,
    Candidate,
    assign,
    similarity_matrix,
)
from extractor.gazetteer import PartyNames, name_key
from extractor.grounding import ground_quote
from extractor.schema import FACT_FIELDS, FACT_LIST_FIELDS, EventRecord

# Scores of one article, the date metric and summary coverage live in their own modules; they
# are named here too, where the rest of the package and the tests look for the scoring API.
__all__ = [
    "COVERAGE_THRESHOLD",
    "HEADLINE_METRICS",
    "ITEM_FIELDS",
    "LEAD_METRIC",
    "ArticleScore",
    "Counts",
    "Decision",
    "Highlight",
    "SetScores",
    "aggregate",
    "count_metrics",
    "covered_facts",
    "fact_coverage",
    "score_article",
    "score_date",
]

#: The one number per field that reports lead with and the gate checks (all: higher is better).
HEADLINE_METRICS: tuple[str, ...] = (
    "parties.entity_f1",
    "parties.role_f1",
    "date.accuracy",
    "treaty_terms.f1",
    "allegations.f1",
    "denials.f1",
    "summary.coverage",
    "evidence.verified",
    "event_type.accuracy",
    "location.accuracy",
)
ITEM_FIELDS: tuple[str, ...] = ("treaty_terms", "allegations", "denials")
#: The lead-3 baseline's coverage: the article's first three sentences scored as the summary.
LEAD_METRIC = "summary.lead3_coverage"


# ---------------------------------------------------------------------- grounding


class _Grounder:
    """Grounds quotes in one article text once each (gold and predictions share quotes)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._cache: dict[str, tuple[int, int] | None] = {}

    def span(self, quote: str) -> tuple[int, int] | None:
        if quote not in self._cache:
            self._cache[quote] = None
            if quote.strip():
                ev = ground_quote(quote, self._text)
                if ev.verified and ev.start is not None and ev.end is not None:
                    self._cache[quote] = (ev.start, ev.end)
        return self._cache[quote]


# ------------------------------------------------------------------------ parties


def _score_parties(
    gold: EventRecord, pred: EventRecord | None, names: PartyNames, out: ArticleScore
) -> None:
    gold_roles = {names.key(p.name): p.role for p in gold.parties}
    gold_names = {names.key(p.name): p.name for p in gold.parties}
    seen: dict[str, str] = {}
    for i, party in enumerate(pred.parties if pred is not None else []):
        key = names.key(party.name)
        if key in seen:
            out.decisions.append(
                Decision("parties", "spurious", 0.0, f"duplicate of {seen[key]!r}; not counted",
                         pred=party.name, pred_index=i)
            )
            continue
        seen[key] = party.name
        if key not in gold_roles:
            out.decisions.append(
                Decision("parties", "spurious", 0.0, "not a gold party", pred=party.name,
                         pred_index=i)
            )
        elif party.role == gold_roles[key]:
            out.decisions.append(
                Decision("parties", "matched", 1.0, f"entity and role ({party.role}) right",
                         gold=gold_names[key], pred=party.name, pred_index=i)
            )
        else:
            out.decisions.append(
                Decision("parties", "matched", 0.5,
                         f"entity right; role {party.role!r}, gold {gold_roles[key]!r}",
                         gold=gold_names[key], pred=party.name, pred_index=i)
            )
    for key, name in gold_names.items():
        if key not in seen:
            out.decisions.append(Decision("parties", "missed", 0.0, "not predicted", gold=name))
    pred_roles = {names.key(p.name): p.role for p in reversed(pred.parties)} if pred else {}
    entity_hits = len(set(pred_roles) & set(gold_roles))
    role_hits = len(set(pred_roles.items()) & set(gold_roles.items()))
    out.counts["parties.entity"] = Counts(entity_hits, len(pred_roles), len(gold_roles))
    out.counts["parties.role"] = Counts(role_hits, len(pred_roles), len(gold_roles))


# -------------------------------------------------------------- statement lists


def _match_statements(
    name: str,
    gold_texts: Sequence[str],
    gold_spans: Sequence[tuple[int, int] | None],
    pred_texts: Sequence[str],
    pred_spans: Sequence[tuple[int, int] | None],
    judge: Callable[[int, int], tuple[float, str]],
    out: ArticleScore,
) -> None:
    gold_c = [Candidate(t, s) for t, s in zip(gold_texts, gold_spans, strict=True)]
    pred_c = [Candidate(t, s) for t, s in zip(pred_texts, pred_spans, strict=True)]
    sims = similarity_matrix(gold_c, pred_c)
    pairs = assign([[s.value for s in row] for row in sims])
    credit = 0.0
    for g, p in pairs:
        sim = sims[g][p]
        value, why = judge(g, p)
        ev = "n/a" if sim.evidence is None else f"{sim.evidence:.2f}"
        credit += value
        out.decisions.append(
            Decision(name, "matched", value,
                     f"{why} (similarity {sim.value:.2f}: text {sim.text:.2f}, evidence {ev})",
                     gold=gold_texts[g], pred=pred_texts[p], gold_index=g, pred_index=p,
                     similarity=sim.value)
        )
    matched_gold, matched_pred = {g for g, _ in pairs}, {p for _, p in pairs}
    for g, text in enumerate(gold_texts):
        if g not in matched_gold:
            best = max((s.value for s in sims[g]), default=0.0)
            reason = f"no predicted item reaches {MATCH_THRESHOLD} (best {best:.2f})"
            if best >= MATCH_THRESHOLD:
                reason = f"its best prediction ({best:.2f}) is matched to another gold item"
            out.decisions.append(
                Decision(name, "missed", 0.0, reason, gold=text, gold_index=g, similarity=best)
            )
    for p, text in enumerate(pred_texts):
        if p not in matched_pred:
            best = max((row[p].value for row in sims), default=0.0)
            reason = f"no gold item reaches {MATCH_THRESHOLD} (best {best:.2f})"
            if best >= MATCH_THRESHOLD:
                reason = f"its best gold item ({best:.2f}) is matched to another prediction"
            out.decisions.append(
                Decision(name, "spurious", 0.0, reason, pred=text, pred_index=p, similarity=best)
            )
    out.counts[name] = Counts(credit, len(pred_texts), len(gold_texts))


def _names_verdict(role: str, gold: frozenset[str], pred: frozenset[str]) -> str | None:
    if gold == pred:
        return None
    return f"{role} {sorted(pred)} but gold {sorted(gold)}"


def _score_lists(
    gold: EventRecord,
    pred: EventRecord | None,
    names: PartyNames,
    ground: _Grounder,
    out: ArticleScore,
) -> None:
    empty = EventRecord(title="", summary="", event_type="other")
    pr = pred if pred is not None else empty

    terms_g, terms_p = gold.treaty_terms, pr.treaty_terms
    _match_statements(
        "treaty_terms",
        [t.statement for t in terms_g], [ground.span(t.evidence.quote) for t in terms_g],
        [t.statement for t in terms_p], [ground.span(t.evidence.quote) for t in terms_p],
        lambda g, p: (1.0, "statement right"),
        out,
    )

    alg_g, alg_p = gold.allegations, pr.allegations

    def judge_allegation(g: int, p: int) -> tuple[float, str]:
        problems = [
            v for v in (
                _names_verdict("alleged_by", names.keys(alg_g[g].alleged_by),
                               names.keys(alg_p[p].alleged_by)),
                _names_verdict("accused", names.keys(alg_g[g].accused),
                               names.keys(alg_p[p].accused)),
            ) if v is not None
        ]
        if problems:
            return 0.5, "claim right; " + "; ".join(problems)
        return 1.0, "claim, alleger and accused right"

    _match_statements(
        "allegations",
        [a.claim for a in alg_g], [ground.span(a.evidence.quote) for a in alg_g],
        [a.claim for a in alg_p], [ground.span(a.evidence.quote) for a in alg_p],
        judge_allegation,
        out,
    )

    den_g, den_p = gold.denials, pr.denials

    def judge_denial(g: int, p: int) -> tuple[float, str]:
        problem = _names_verdict(
            "denied_by", names.keys(den_g[g].denied_by), names.keys(den_p[p].denied_by)
        )
        if problem is not None:
            return 0.5, "claim right; " + problem
        return 1.0, "claim and denier right"

    _match_statements(
        "denials",
        [d.claim for d in den_g], [ground.span(d.evidence.quote) for d in den_g],
        [d.claim for d in den_p], [ground.span(d.evidence.quote) for d in den_p],
        judge_denial,
        out,
    )


def _score_summary(gold: GoldArticle, pred: EventRecord | None, out: ArticleScore) -> None:
    summary = pred.summary if pred is not None else ""
    lead = lead_summary(gold.text)
    covered = 0
    for i, fact in enumerate(gold.key_facts):
        share = fact_coverage(fact, summary)
        hit = share >= COVERAGE_THRESHOLD
        covered += hit
        in_lead = fact_coverage(fact, lead) >= COVERAGE_THRESHOLD
        out.decisions.append(
            Decision("summary", "matched" if hit else "missed", float(hit),
                     f"{share:.0%} of content words in the summary; "
                     f"{'covered' if in_lead else 'not covered'} by the lead-3 baseline",
                     gold=fact, gold_index=i, similarity=share)
        )
    out.ratios["summary.coverage"] = (covered, len(gold.key_facts))
    out.ratios[LEAD_METRIC] = (covered_facts(gold.key_facts, lead), len(gold.key_facts))


# ------------------------------------------------------------------------ evidence


def _evidence_items(record: EventRecord) -> list[tuple[str, int | None, str]]:
    items: list[tuple[str, int | None, str]] = []
    for name in FACT_FIELDS:
        fact = getattr(record, name)
        if fact is not None:
            items.append((name, None, fact.evidence.quote))
    for name in FACT_LIST_FIELDS:
        for i, item in enumerate(getattr(record, name)):
            items.append((name, i, item.evidence.quote))
    return items


def _score_evidence(
    gold: EventRecord, pred: EventRecord | None, ground: _Grounder, out: ArticleScore
) -> None:
    verified = 0
    items = _evidence_items(pred) if pred is not None else []
    for name, index, quote in items:
        span = ground.span(quote)
        label = name if index is None else f"{name}[{index}]"
        if span is None:
            out.decisions.append(
                Decision("evidence", "spurious", 0.0, f"{label}: quote not found in the article",
                         pred=quote, pred_index=index)
            )
            continue
        verified += 1
        out.highlights.append(Highlight(span[0], span[1], "pred", label))
    for name, index, quote in _evidence_items(gold):
        span = ground.span(quote)
        if span is not None:
            label = name if index is None else f"{name}[{index}]"
            out.highlights.append(Highlight(span[0], span[1], "gold", label))
    out.ratios["evidence.verified"] = (verified, len(items))


# ---------------------------------------------------------------------- the rest


def _score_simple(gold: EventRecord, pred: EventRecord | None, out: ArticleScore) -> None:
    if pred is None:
        out.ratios["event_type.accuracy"] = (0, 1)
    else:
        hit = pred.event_type == gold.event_type
        out.ratios["event_type.accuracy"] = (int(hit), 1)
        if not hit:
            out.decisions.append(
                Decision("event_type", "missed", 0.0, f"predicted {pred.event_type!r}",
                         gold=gold.event_type, pred=pred.event_type)
            )
    gold_loc = gold.location.name if gold.location is not None else None
    pred_loc = pred.location.name if pred is not None and pred.location is not None else None
    # Locations are cities; the gazetteer would fold a capital into its state, so keys only.
    same = (gold_loc is None and pred_loc is None) or (
        gold_loc is not None and pred_loc is not None and name_key(gold_loc) == name_key(pred_loc)
    )
    out.ratios["location.accuracy"] = (int(same), 1)
    if not same:
        out.decisions.append(
            Decision("location", "missed", 0.0, f"predicted {pred_loc!r}", gold=gold_loc,
                     pred=pred_loc)
        )


def score_article(gold: GoldArticle, prediction: Prediction | None) -> ArticleScore:
    """Score one article; an error line or a missing prediction is scored as an empty record."""
    if prediction is None:
        out = ArticleScore(gold.article, "missing", "no line for this article in the predictions")
    elif prediction.record is None:
        err = prediction.error
        message = f"{err.type}: {err.message}" if err is not None else "no record"
        out = ArticleScore(gold.article, "error", message)
    else:
        out = ArticleScore(gold.article, "ok")
    pred = prediction.record if prediction is not None else None
    names = PartyNames(gold.record.parties)
    ground = _Grounder(gold.text)
    _score_parties(gold.record, pred, names, out)
    credit, error_days, reason = score_date(gold.record.date, pred.date if pred else None)
    out.ratios["date.accuracy"] = (credit, 1)
    out.date_error_days = error_days
    gold_date = gold.record.date.value if gold.record.date is not None else None
    pred_date = pred.date.value if pred is not None and pred.date is not None else None
    out.decisions.append(
        Decision("date", "matched" if credit else "missed", credit, reason, gold=gold_date,
                 pred=pred_date)
    )
    _score_lists(gold.record, pred, names, ground, out)
    _score_summary(gold, pred, out)
    _score_evidence(gold.record, pred, ground, out)
    _score_simple(gold.record, pred, out)
    return out


# --------------------------------------------------------------------- aggregate


@dataclass(frozen=True)
class SetScores:
    """Micro (pooled) and macro (mean over articles) scores of a whole evaluation set."""

    micro: dict[str, float | None]
    macro: dict[str, float | None]
    articles: list[ArticleScore]


def aggregate(articles: Sequence[ArticleScore]) -> SetScores:
    """Pool counts over articles for micro scores; average per-article metrics for macro."""
    micro: dict[str, float | None] = {}
    count_names = sorted({name for a in articles for name in a.counts})
    for name in count_names:
        total = Counts()
        for a in articles:
            total = total + a.counts.get(name, Counts())
        micro.update(count_metrics(name, total))
    ratio_names = sorted({name for a in articles for name in a.ratios})
    for name in ratio_names:
        hits = sum(a.ratios[name][0] for a in articles if name in a.ratios)
        total_n = sum(a.ratios[name][1] for a in articles if name in a.ratios)
        micro[name] = hits / total_n if total_n else None
    errors = [a.date_error_days for a in articles if a.date_error_days is not None]
    micro["date.abs_error_days"] = fmean(errors) if errors else None
    macro: dict[str, float | None] = {}
    per_article = [a.metrics() for a in articles]
    for name in micro:
        values = [m[name] for m in per_article if m.get(name) is not None]
        macro[name] = fmean(v for v in values if v is not None) if values else None
    return SetScores(micro=micro, macro=macro, articles=list(articles))
