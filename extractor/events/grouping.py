"""Group records into events: blocked candidate pairs, a pair score, average-link clustering.

Each record has its days: the event day it resolved and the days it was published. A record's
event day may be a background date read by mistake, but reports of one event are published
within days of it, so two records are one event only when some day of one is at most
`WINDOW_DAYS` from some day of the other; resolved event days that disagree count against the
pair without forbidding it.

Blocking: two records are compared only when they share a party key (a record with no parties
meets every record) and have days within the window (a record with no days meets every record
sharing a party key), so the work grows with the records times the size of their blocks, not
with the square of the records. The pair score weighs text similarity (TF-IDF cosine over
title, summary and evidence) with what each record knows: party overlap, date agreement, event
type and location.

Two baselines, for comparison (``extract events --grouping``): `same date + same parties`
(one event per exact event day and party set) and `text` (TF-IDF cosine alone, every pair).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from extractor.events.text import cosine, tfidf_vectors
from extractor.gazetteer import PartyNames, name_key
from extractor.schema import EventRecord

Grouping = Literal["scored", "date-parties", "text"]
GROUPINGS: tuple[str, ...] = Grouping.__args__  # type: ignore[attr-defined]

#: Records with no days (event or publication) this close are different events.
WINDOW_DAYS = 2
#: The most days of a publication window a record is blocked under.
PUBLISHED_SPAN_DAYS = 7
#: Average pair score at or above which two clusters are one event.
THRESHOLD = 0.45
#: Cosine at or above which the text-only baseline links two records.
TEXT_THRESHOLD = 0.35

_WEIGHTS = {"text": 0.4, "parties": 0.25, "date": 0.15, "type": 0.1, "location": 0.1}
#: Event types outlets use for one deal (signed, a ceasefire, talks that end in one).
AGREEMENT_TYPES = frozenset({"agreement_signed", "ceasefire", "talks"})


@dataclass(frozen=True)
class Report:
    """One article's record with what grouping compares."""

    article: str
    record: EventRecord
    event_day: int | None
    days: frozenset[int]
    party_keys: frozenset[str]
    principal_keys: frozenset[str]
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
    days = {event_day} if event_day is not None else set()
    if record.article is not None:
        earliest = _day(record.article.published_earliest)
        latest = _day(record.article.published_latest)
        if earliest is not None:
            last = latest if latest is not None else earliest
            # A publication window longer than a week says too little to block on.
            days.update(range(earliest, min(last, earliest + PUBLISHED_SPAN_DAYS) + 1))
    location = record.location.name if record.location is not None else None
    return Report(
        article=article,
        record=record,
        event_day=event_day,
        days=frozenset(days),
        party_keys=names.keys(names.party_name(party) for party in record.parties),
        principal_keys=names.keys(
            names.party_name(party) for party in record.parties if party.type != "person"
        ),
        location_key=name_key(names.canonical(location)) if location else None,
    )


def report_text(record: EventRecord) -> str:
    """The words grouping compares: title, summary and every evidence quote."""
    quotes = " ".join(item.quote for item in record.evidence_items())
    return f"{record.title} {record.summary} {quotes}"


def _close_in_time(left: Report, right: Report) -> bool:
    if not left.days or not right.days:
        return True
    return any(abs(a - b) <= WINDOW_DAYS for a in left.days for b in right.days)


def _overlap(left: frozenset[str], right: frozenset[str]) -> float | None:
    """Shared keys over the smaller set: one outlet naming fewer sides is not a disagreement."""
    if not left or not right:
        return None
    return len(left & right) / min(len(left), len(right))


def party_similarity(left: Report, right: Report) -> float:
    """In [0, 1]: the mean of the Jaccard of all party keys and the overlap of the principal
    (non-person) ones, so the sides must match and the people named may differ; 0.5 unknown."""
    union = left.party_keys | right.party_keys
    if not left.party_keys or not right.party_keys:
        return 0.5
    jaccard = len(left.party_keys & right.party_keys) / len(union)
    principal = _overlap(left.principal_keys, right.principal_keys)
    if principal is None:
        principal = _overlap(left.party_keys, right.party_keys) or 0.0
    return (jaccard + principal) / 2


def _type_similarity(left: str, right: str) -> float:
    if left == right:
        return 1.0
    # A deal is "signed", a "ceasefire" or "talks" depending on the outlet's wording.
    return 0.5 if {left, right} <= AGREEMENT_TYPES else 0.0


def pair_score(left: Report, right: Report, text_similarity: float) -> float:
    """How likely two reports are one event, in [0, 1]; 0 when no day of one is within the
    window of a day of the other."""
    if not _close_in_time(left, right):
        return 0.0
    if left.event_day is not None and right.event_day is not None:
        distance = abs(left.event_day - right.event_day)
        date = 1.0 if distance == 0 else 0.5 if distance == 1 else 0.0
    else:
        date = 0.5
    if left.location_key is None or right.location_key is None:
        location = 0.5
    else:
        location = 1.0 if left.location_key == right.location_key else 0.0
    return (
        _WEIGHTS["text"] * text_similarity
        + _WEIGHTS["parties"] * party_similarity(left, right)
        + _WEIGHTS["date"] * date
        + _WEIGHTS["type"] * _type_similarity(left.record.event_type, right.record.event_type)
        + _WEIGHTS["location"] * location
    )


def candidate_pairs(reports: Sequence[Report]) -> set[tuple[int, int]]:
    """Pairs sharing a party key (a record without parties shares every one) with days within
    the window (a record without days is within every window)."""
    # Earlier reports by (party key or "" for none, day or None for undated), and by key alone.
    blocks: dict[tuple[str | None, int | None], list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    for index, report in enumerate(reports):
        days: list[int | None] = [None]
        if report.days:
            days += sorted(
                {d for day in report.days for d in range(day - WINDOW_DAYS, day + WINDOW_DAYS + 1)}
            )
        else:
            days = [None, *sorted({day for _, day in blocks if day is not None})]
        # A report with parties meets those sharing a key and the partyless; one without
        # parties meets everyone (key None holds every report).
        keys: list[str | None] = [*report.party_keys, ""] if report.party_keys else [None]
        for key in keys:
            for day in days:
                pairs.update((other, index) for other in blocks.get((key, day), ()))
        for key in [*report.party_keys, None] if report.party_keys else ["", None]:
            for day in report.days or {None}:
                blocks[(key, day)].append(index)
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
    if grouping == "text":
        vectors = tfidf_vectors([report_text(report.record) for report in reports])
        scores = {
            (i, j): cosine(vectors[i], vectors[j])
            for i in range(len(reports))
            for j in range(i + 1, len(reports))
        }
        return _average_link(len(reports), scores, TEXT_THRESHOLD)
    clusters: list[list[int]] = []
    for component, pairs in components(len(reports), linked_pairs(reports)):
        clusters.extend(group_component(reports, component, pairs))
    return sorted(clusters, key=lambda group: group[0])


def linked_pairs(reports: Sequence[Report]) -> set[tuple[int, int]]:
    """The candidate pairs close enough in time to be one event: the edges of the components."""
    return {
        (i, j) for i, j in candidate_pairs(reports) if _close_in_time(reports[i], reports[j])
    }


def components(
    count: int, pairs: Iterable[tuple[int, int]]
) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """The connected components of the pair graph, each sorted and with its own pairs, ordered
    by first index."""
    pairs = sorted(pairs)
    parent = list(range(count))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for left, right in pairs:
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    edges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index in range(count):
        groups[root(index)].append(index)
    for pair in pairs:
        edges[root(pair[0])].append(pair)
    return [(groups[key], edges[key]) for key in sorted(groups, key=lambda key: groups[key][0])]


def group_component(
    reports: Sequence[Report], component: Sequence[int], pairs: Iterable[tuple[int, int]]
) -> list[list[int]]:
    """The events of one component. Its TF-IDF is its own reports', so its events depend on
    nothing outside it: adding records elsewhere (`extract events --update`) leaves it as is."""
    vectors = tfidf_vectors([report_text(reports[index].record) for index in component])
    local = {index: position for position, index in enumerate(component)}
    scores: dict[tuple[int, int], float] = {}
    for left, right in pairs:
        i, j = local[left], local[right]
        score = pair_score(reports[left], reports[right], cosine(vectors[i], vectors[j]))
        if score > 0.0:
            scores[(i, j)] = score
    return [
        [component[position] for position in group]
        for group in _average_link(len(component), scores, THRESHOLD)
    ]
