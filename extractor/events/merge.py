"""Merge one event's records into an `EventLine`, keeping every fact's sources and evidence.

One-valued fields (date, location, event type) take the value most articles report, and a
field with more than one value is a conflict naming which articles report which. Dates are
compared as each record resolved them against its own publication date. Parties are joined by
their canonical name's key (`extractor.gazetteer`). Terms, allegations and denials are merged
report by report: an article's items are matched one-to-one (`linear_sum_assignment`) to the
items merged so far by rapidfuzz similarity, or by naming the same general kind of provision
(`extractor/data/provisions.json`); an unmatched item opens a new one.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from extractor.events.grouping import Report
from extractor.events.model import (
    ChosenValue,
    Conflict,
    EventLine,
    EventParty,
    MergedAllegation,
    MergedDenial,
    MergedTerm,
    Source,
    SourceEvidence,
    ValueSupport,
    event_id,
)
from extractor.events.text import tokens
from extractor.gazetteer import PartyNames, name_key
from extractor.schema import Evidence

#: Similarity at or above which two reported items are one fact (rapidfuzz's 0-100 scale).
MATCH_SCORE = 70.0


@cache
def _provision_patterns() -> dict[str, re.Pattern[str]]:
    data = resources.files("extractor.data").joinpath("provisions.json")
    kinds: dict[str, list[str]] = json.loads(data.read_text("utf-8"))["kinds"]
    return {
        kind: re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")
        for kind, phrases in kinds.items()
    }


def provision_kinds(text: str) -> frozenset[str]:
    """The general kinds of provision a term's wording names ("mutual assistance" -> defence)."""
    folded = text.casefold()
    return frozenset(
        kind for kind, pattern in _provision_patterns().items() if pattern.search(folded)
    )


def text_similarity(left: str, right: str) -> float:
    """0-100: rapidfuzz token-set ratio of the two texts' content words."""
    return float(fuzz.token_set_ratio(" ".join(tokens(left)), " ".join(tokens(right))))


def term_similarity(left: str, right: str) -> float:
    """Similarity of two terms' wordings: text similarity, plus 100 when they name one kind."""
    # Naming one kind of provision outranks any wording: it adds a full match to the text's.
    shared_kind = 100.0 if provision_kinds(left) & provision_kinds(right) else 0.0
    return shared_kind + text_similarity(left, right)


@dataclass
class _Item:
    """A fact merged so far: the texts and evidence of each article reporting it."""

    texts: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    evidence: list[SourceEvidence] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class _Reported:
    text: str
    evidence: Evidence
    names: dict[str, list[str]]


def _merge_items(
    per_article: Sequence[tuple[str, list[_Reported]]],
    similarity: Callable[[str, str], float],
) -> list[_Item]:
    merged: list[_Item] = []
    for article, items in per_article:
        if not items:
            continue
        matched: dict[int, int] = {}
        if merged:
            scores = np.array(
                [
                    [max(similarity(text, new.text) for text in old.texts) for old in merged]
                    for new in items
                ]
            )
            # A pair below the bar is no match, so it must not steer the assignment either.
            scores[scores < MATCH_SCORE] = 0.0
            rows, cols = linear_sum_assignment(scores, maximize=True)
            matched = {
                int(r): int(c)
                for r, c in zip(rows, cols, strict=True)
                if scores[r, c] >= MATCH_SCORE
            }
        for index, new in enumerate(items):
            target = merged[matched[index]] if index in matched else None
            if target is None:
                target = _Item()
                merged.append(target)
            target.texts.append(new.text)
            if article not in target.articles:
                target.articles.append(article)
            target.evidence.append(_evidence(article, new.evidence))
            for role, names in new.names.items():
                target.names[role].extend(n for n in names if n not in target.names[role])
    return merged


def _evidence(article: str, evidence: Evidence) -> SourceEvidence:
    return SourceEvidence(
        article=article,
        quote=evidence.quote,
        start=evidence.start,
        end=evidence.end,
        verified=evidence.verified,
    )


def _choose(
    field_name: str, seen: Sequence[tuple[str, str | None, Evidence | None]]
) -> tuple[ChosenValue, Conflict | None]:
    """The value most articles report (ties: the first reported); a conflict if several."""
    support: dict[str, list[str]] = {}
    evidence: list[SourceEvidence] = []
    for article, value, proof in seen:
        if value is None:
            continue
        support.setdefault(value, []).append(article)
        if proof is not None:
            evidence.append(_evidence(article, proof))
    values = [ValueSupport(value=v, articles=a) for v, a in support.items()]
    silent = len(seen) - sum(len(a) for a in support.values())
    if not values:
        return ChosenValue(value=None, why="no article gives one", values=[]), None
    best = max(values, key=lambda item: len(item.articles))
    why = f"reported by {len(best.articles)} of {len(seen)} articles"
    if len(values) > 1:
        why += f"; {len(values) - 1} other value(s) reported"
    if silent:
        why += f"; {silent} give none"
    chosen = ChosenValue(value=best.value, why=why, values=values, evidence=evidence)
    conflict = Conflict(field=field_name, values=values) if len(values) > 1 else None
    return chosen, conflict


def merge_event(reports: Sequence[Report]) -> EventLine:
    """One event line from the reports grouped into one event."""
    articles = [report.article for report in reports]
    sources = [
        Source(
            article=report.article,
            outlet=report.record.article.source if report.record.article else None,
            url=report.record.article.url if report.record.article else None,
            published=report.record.article.published if report.record.article else None,
        )
        for report in reports
    ]
    conflicts: list[Conflict] = []
    types = Counter(report.record.event_type for report in reports)
    event_type = max(types, key=lambda kind: types[kind])
    if len(types) > 1:
        by_type: dict[str, list[str]] = defaultdict(list)
        for report in reports:
            by_type[report.record.event_type].append(report.article)
        conflicts.append(
            Conflict(
                field="event_type",
                values=[ValueSupport(value=v, articles=a) for v, a in by_type.items()],
            )
        )
    date, date_conflict = _choose(
        "date",
        [
            (
                r.article,
                r.record.date.value if r.record.date else None,
                r.record.date.evidence if r.record.date else None,
            )
            for r in reports
        ],
    )
    location, location_conflict = _choose("location", _locations(reports))
    conflicts.extend(c for c in (date_conflict, location_conflict) if c is not None)
    parties = _parties(reports)
    terms = _merge_items(
        [
            (r.article, [_Reported(t.statement, t.evidence, {}) for t in r.record.treaty_terms])
            for r in reports
        ],
        term_similarity,
    )
    allegations = _merge_items(
        [
            (
                r.article,
                [
                    _Reported(
                        a.claim,
                        a.evidence,
                        {"by": _canonical(r, a.alleged_by), "accused": _canonical(r, a.accused)},
                    )
                    for a in r.record.allegations
                ],
            )
            for r in reports
        ],
        text_similarity,
    )
    denials = _merge_items(
        [
            (
                r.article,
                [
                    _Reported(d.claim, d.evidence, {"by": _canonical(r, d.denied_by)})
                    for d in r.record.denials
                ],
            )
            for r in reports
        ],
        text_similarity,
    )
    central = _central(reports)
    line = EventLine(
        event_id=event_id(articles),
        articles=articles,
        sources=sources,
        title=central.record.title,
        event_type=event_type,
        date=date,
        location=location,
        parties=parties,
        treaty_terms=[
            MergedTerm(statement=i.texts[0], reported_by=i.articles, evidence=i.evidence)
            for i in terms
        ],
        allegations=[
            MergedAllegation(
                alleged_by=i.names["by"],
                accused=i.names["accused"],
                claim=i.texts[0],
                reported_by=i.articles,
                evidence=i.evidence,
            )
            for i in allegations
        ],
        denials=[
            MergedDenial(
                denied_by=i.names["by"],
                claim=i.texts[0],
                reported_by=i.articles,
                evidence=i.evidence,
            )
            for i in denials
        ],
        conflicts=conflicts,
        summary="",
    )
    line.summary = _summary(line, central.record.summary)
    return line


def _canonical(report: Report, names: list[str]) -> list[str]:
    lookup = PartyNames(report.record.parties)
    return [lookup.canonical(name) for name in names]


def _locations(reports: Sequence[Report]) -> list[tuple[str, str | None, Evidence | None]]:
    # Locations are compared by key; the first spelling of each key stands for it.
    spelling: dict[str, str] = {}
    seen: list[tuple[str, str | None, Evidence | None]] = []
    for report in reports:
        location = report.record.location
        if location is None or report.location_key is None:
            seen.append((report.article, None, None))
            continue
        name = spelling.setdefault(report.location_key, location.name)
        seen.append((report.article, name, location.evidence))
    return seen


def _parties(reports: Sequence[Report]) -> list[EventParty]:
    merged: dict[str, EventParty] = {}
    for report in reports:
        for party in report.record.parties:
            name = PartyNames.party_name(party)
            key = name_key(name)
            if key not in merged:
                merged[key] = EventParty(name=name, type=party.type, articles=[])
            if report.article not in merged[key].articles:
                merged[key].articles.append(report.article)
    return sorted(merged.values(), key=lambda party: -len(party.articles))


def _central(reports: Sequence[Report]) -> Report:
    """The report whose title and summary share most words with the others'."""
    words = [set(tokens(f"{r.record.title} {r.record.summary}")) for r in reports]
    return reports[
        max(
            range(len(reports)),
            key=lambda i: (sum(len(words[i] & w) for j, w in enumerate(words) if j != i), -i),
        )
    ]


def _summary(line: EventLine, central_summary: str) -> str:
    outlets = [s.outlet or s.article for s in line.sources]
    text = f"{central_summary.strip()} Reported by {len(outlets)} source(s): {', '.join(outlets)}."
    shared = [t for t in line.treaty_terms if len(t.reported_by) > 1]
    if shared:
        text += (
            " Terms reported by several: "
            + "; ".join(f"{t.statement} ({len(t.reported_by)})" for t in shared)
            + "."
        )
    if line.conflicts:
        text += " Sources disagree on: " + ", ".join(c.field for c in line.conflicts) + "."
    return text
