"""Group records into events: blocked candidate pairs, a pair score, average-link clustering.

Blocking: two records are compared only when they share a party key and their event days
(else publication days) are at most `WINDOW_DAYS` apart, so the work grows with the records
times the size of their blocks, not with the square of the records. The pair score weighs
text similarity (TF-IDF cosine over title, summary and evidence) with what each record knows:
party overlap, date distance, event type and location. Two records whose resolved event days
are further apart than the window are never one event, whatever else they share.

Two baselines, for comparison (``extract events --grouping``): `same date + same parties`
(one event per exact event day and party set) and `text` (TF-IDF cosine alone, every pair).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from extractor.events.text import Vector, cosine, tfidf_vectors
from extractor.gazetteer import PartyNames, name_key
from extractor.schema import EventRecord

Grouping = Literal["scored", "date-parties", "text"]
GROUPINGS: tuple[str, ...] = Grouping.__args__  # type: ignore[attr-defined]

#: Event days further apart than this are different events.
WINDOW_DAYS = 2
#: Average pair score at or above which two clusters are one event.
THRESHOLD = 0.55
#: Cosine at or above which the text-only baseline links two records.
TEXT_THRESHOLD = 0.35

_WEIGHTS = {"text": 0.4, "parties": 0.25, "date": 0.15, "type": 0.1, "location": 0.1}


@dataclass(frozen=True)
class Report:
    """One article's record with what grouping compares."""

    article: str
    record: EventRecord
    event_day: int | None
    anchor_day: int | None
    party_keys: frozenset[str]
    location_key: str | None


def _day(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).toordinal()
    except ValueError:
        return None


def to_report(article: str, record: EventRecord) -> Report:
    """What grouping knows about one record: resolved event day, party keys, location key."""
    names = PartyNames(record.parties)
    event_day = None
    if record.date is not None and record.date.precision == "day":
        event_day = _day(record.date.value)
    published = _day(record.article.published_earliest) if record.article else None
    location = record.location.name if record.location is not None else None
    return Report(
        article=article,
        record=record,
        event_day=event_day,
        anchor_day=event_day if event_day is not None else published,
        party_keys=names.keys(names.party_name(party) for party in record.parties),
        location_key=name_key(names.canonical(location)) if location else None,
    )


def report_text(record: EventRecord) -> str:
    """The words grouping compares: title, summary and every evidence quote."""
    quotes = " ".join(item.quote for item in record.evidence_items())
    return f"{record.title} {record.summary} {quotes}"


def pair_score(left: Report, right: Report, text_similarity: float) -> float:
    """How likely two reports are one event, in [0, 1]; 0 when their event days are too far."""
    if left.event_day is not None and right.event_day is not None:
        distance = abs(left.event_day - right.event_day)
        if distance > WINDOW_DAYS:
            return 0.0
        date = 1.0 if distance == 0 else 0.5 if distance == 1 else 0.0
    else:
        date = 0.5
    union = left.party_keys | right.party_keys
    parties = len(left.party_keys & right.party_keys) / len(union) if union else 0.5
    same_type = 1.0 if left.record.event_type == right.record.event_type else 0.0
    if left.location_key is None or right.location_key is None:
        location = 0.5
    else:
        location = 1.0 if left.location_key == right.location_key else 0.0
    return (
        _WEIGHTS["text"] * text_similarity
        + _WEIGHTS["parties"] * parties
        + _WEIGHTS["date"] * date
        + _WEIGHTS["type"] * same_type
        + _WEIGHTS["location"] * location
    )


def candidate_pairs(reports: Sequence[Report]) -> set[tuple[int, int]]:
    """Pairs sharing a party key (or both without parties) with anchor days within the window."""
    blocks: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    for index, report in enumerate(reports):
        keys = report.party_keys or frozenset({""})
        days: Iterable[int | None]
        if report.anchor_day is None:
            days = [None]
        else:
            days = range(report.anchor_day - WINDOW_DAYS, report.anchor_day + WINDOW_DAYS + 1)
        for key in keys:
            for day in days:
                for other in blocks.get((key, day), ()):
                    pairs.add((other, index))
            blocks[(key, report.anchor_day)].append(index)
    return pairs


def _average_link(
    count: int, scores: dict[tuple[int, int], float], threshold: float
) -> list[list[int]]:
    """Merge clusters along the best edges while the average score between them holds."""
    cluster = list(range(count))
    members: dict[int, list[int]] = {index: [index] for index in range(count)}
    for (left, right), score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        if score < threshold:
            break
        a, b = cluster[left], cluster[right]
        if a == b:
            continue
        total = sum(scores.get((min(x, y), max(x, y)), 0.0) for x in members[a] for y in members[b])
        if total / (len(members[a]) * len(members[b])) < threshold:
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        for index in members[b]:
            cluster[index] = a
        members[a].extend(members.pop(b))
    return sorted((sorted(group) for group in members.values()), key=lambda group: group[0])


def group_reports(reports: Sequence[Report], grouping: Grouping = "scored") -> list[list[int]]:
    """Clusters of report indices, one per event, each in input order, ordered by first report."""
    if grouping == "date-parties":
        by_key: dict[tuple[int | None, frozenset[str]], list[int]] = defaultdict(list)
        for index, report in enumerate(reports):
            if report.event_day is None:
                by_key[(None, frozenset({f"#{index}"}))].append(index)
            else:
                by_key[(report.event_day, report.party_keys)].append(index)
        return sorted(by_key.values(), key=lambda group: group[0])
    vectors = tfidf_vectors([report_text(report.record) for report in reports])
    if grouping == "text":
        scores = {
            (i, j): cosine(vectors[i], vectors[j])
            for i in range(len(reports))
            for j in range(i + 1, len(reports))
        }
        return _average_link(len(reports), scores, TEXT_THRESHOLD)
    return _average_link(len(reports), _scored_pairs(reports, vectors), THRESHOLD)


def _scored_pairs(reports: Sequence[Report], vectors: list[Vector]) -> dict[tuple[int, int], float]:
    scores: dict[tuple[int, int], float] = {}
    for left, right in candidate_pairs(reports):
        score = pair_score(reports[left], reports[right], cosine(vectors[left], vectors[right]))
        if score > 0.0:
            scores[(left, right)] = score
    return scores
