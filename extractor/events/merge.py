"""Merge one event's records into an `EventLine`, keeping every fact's sources and evidence.

One-valued fields (date, location, event type) take the value most articles report, and
another value at least two articles report is a conflict naming which articles report which
(a date too far from the chosen one to be this event's, and the agreement types against each
other, are not). Dates are
compared as each record resolved them against its own publication date. Parties are joined by
their canonical name's key (`extractor.gazetteer`). Terms, allegations and denials are merged
report by report: an article's items are matched one-to-one (`linear_sum_assignment`) to the
items merged so far by rapidfuzz similarity, or by naming the same general kind of provision
(`extractor/data/provisions.json`); an unmatched item opens a new one.
"""

from __future__ import annotations

import datetime as dt
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

from extractor.events.grouping import AGREEMENT_TYPES, WINDOW_DAYS, Report
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
#: Articles a different value needs to be a conflict: one record's odd value is more often a
#: misreading than a disagreement between outlets (it stays listed in the field's `values`).
CORROBORATED = 2


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
    field_name: str,
    seen: Sequence[tuple[str, str | None, Evidence | None]],
    competes: Callable[[str, str], bool] = lambda chosen, other: True,
) -> tuple[ChosenValue, Conflict | None]:
    """The value most articles report (ties: the first reported); a conflict if another value
    reported by at least `CORROBORATED` articles `competes` with it (every value does, unless
    told otherwise)."""
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
    far = [item for item in values if item is not best and not competes(best.value, item.value)]
    if far:
        why += f" ({len(far)} of them too far from it to be this event's)"
    rivals = [
        item
        for item in values
        if item is best or (item not in far and len(item.articles) >= CORROBORATED)
    ]
    chosen = ChosenValue(value=best.value, why=why, values=values, evidence=evidence)
    conflict = Conflict(field=field_name, values=rivals) if len(rivals) > 1 else None
    return chosen, conflict


def _dates_compete(chosen: str, other: str) -> bool:
    # Reports of one event are published within days of it (the grouping's window): a day
    # further from the chosen one is a background date the record picked, not a disagreement.
    try:
        days = abs((dt.date.fromisoformat(chosen) - dt.date.fromisoformat(other)).days)
    except ValueError:
        return True
    return days <= WINDOW_DAYS


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
    # A ceasefire or talks that end in a deal are also "an agreement signed": outlets' wording,
    # not a disagreement on what happened.
    rival_types = {kind for kind, count in types.items() if count >= CORROBORATED} - {event_type}
    if rival_types and not set(types) <= AGREEMENT_TYPES:
        by_type: dict[str, list[str]] = defaultdict(list)
        for report in reports:
            if report.record.event_type in rival_types | {event_type}:
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
        _dates_compete,
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


def _same_place(left: str, right: str) -> bool:
    # "Gaza" and "the Gaza Strip", "Kuwait" and "Kuwait City": one name's words begin the other's.
    a, b = left.split(), right.split()
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return longer[: len(shorter)] == shorter


def _locations(reports: Sequence[Report]) -> list[tuple[str, str | None, Evidence | None]]:
    # Locations are compared by key (a key beginning another's is the same place); the first
    # spelling of each place stands for it.
    spelling: dict[str, str] = {}
    seen: list[tuple[str, str | None, Evidence | None]] = []
    for report in reports:
        location = report.record.location
        if location is None or report.location_key is None:
            seen.append((report.article, None, None))
            continue
        key = next((k for k in spelling if _same_place(k, report.location_key)), None)
        name = spelling.setdefault(key or report.location_key, location.name)
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
