"""Scores of events against gold events: clustering (MUC, B³, CEAF-e, CoNLL, LEA), fields
of each gold event against the predicted event sharing most of its articles, and conflicts.

The clustering metrics follow their definitions: MUC (Vilain et al. 1995), B³ (Bagga and
Baldwin 1998), CEAF-e with φ4 (Luo 2005), LEA (Moosavi and Strube 2016). The mentions are
article ids and the entities are events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.optimize import linear_sum_assignment

from extractor.errors import GoldError
from extractor.events.merge import MATCH_SCORE, term_similarity, text_similarity
from extractor.events.model import EventLine, SourceEvidence
from extractor.gazetteer import canonical_name, name_key

Cluster = frozenset[str]


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _share(numerator: float, denominator: float) -> float:
    # Of nothing said, nothing was wrong; of nothing to find, nothing was missed.
    return numerator / denominator if denominator else 1.0


def _overlaps(gold: Sequence[Cluster], other: Sequence[Cluster]) -> list[dict[int, int]]:
    """For each gold entity, the size of its overlap with each other-side cluster it meets."""
    owner = {mention: index for index, cluster in enumerate(other) for mention in cluster}
    overlaps: list[dict[int, int]] = []
    for entity in gold:
        counts: dict[int, int] = {}
        for mention in entity:
            if mention in owner:
                counts[owner[mention]] = counts.get(owner[mention], 0) + 1
        overlaps.append(counts)
    return overlaps


def muc(key: Sequence[Cluster], response: Sequence[Cluster]) -> PRF:
    """MUC: links kept; an entity of n mentions split into p parts loses p - 1 of its n - 1."""

    def recall(gold: Sequence[Cluster], other: Sequence[Cluster]) -> float:
        numerator = denominator = 0
        for entity, counts in zip(gold, _overlaps(gold, other), strict=True):
            # Mentions the other side lacks are parts of their own.
            parts = len(counts) + len(entity) - sum(counts.values())
            numerator += len(entity) - parts
            denominator += len(entity) - 1
        return _ratio(numerator, denominator)

    return PRF(precision=recall(response, key), recall=recall(key, response))


def b_cubed(key: Sequence[Cluster], response: Sequence[Cluster]) -> PRF:
    """B³: per mention, the share of its entity (recall) and of its cluster (precision) shared."""

    def recall(gold: Sequence[Cluster], other: Sequence[Cluster]) -> float:
        numerator = sum(
            sum(n * n for n in counts.values()) / len(entity)
            for entity, counts in zip(gold, _overlaps(gold, other), strict=True)
        )
        return _ratio(numerator, sum(len(entity) for entity in gold))

    return PRF(precision=recall(response, key), recall=recall(key, response))


def ceaf_e(key: Sequence[Cluster], response: Sequence[Cluster]) -> PRF:
    """CEAF-e: the best one-to-one alignment of entities under φ4 = 2|K∩R| / (|K| + |R|)."""
    if not key or not response:
        return PRF(0.0, 0.0)
    # Entities that share no mention score 0 together, so the best alignment is the best one
    # within each connected group of overlapping entities: solved group by group.
    overlaps = _overlaps(key, response)
    groups = _connected(overlaps, len(response))
    total = 0.0
    for key_ids, response_ids in groups:
        similarity = np.array(
            [
                [2 * overlaps[k].get(r, 0) / (len(key[k]) + len(response[r])) for r in response_ids]
                for k in key_ids
            ]
        )
        rows, cols = linear_sum_assignment(similarity, maximize=True)
        total += float(similarity[rows, cols].sum())
    return PRF(precision=total / len(response), recall=total / len(key))


def _connected(overlaps: list[dict[int, int]], responses: int) -> list[tuple[list[int], list[int]]]:
    """Groups of key and response entities joined by shared mentions (union-find)."""
    parent = list(range(len(overlaps) + responses))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for k, counts in enumerate(overlaps):
        for r in counts:
            parent[find(len(overlaps) + r)] = find(k)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for k, counts in enumerate(overlaps):
        if counts:
            groups.setdefault(find(k), ([], []))[0].append(k)
    for r in range(responses):
        root = find(len(overlaps) + r)
        if root in groups:
            groups[root][1].append(r)
    return list(groups.values())


def _links(size: int) -> int:
    return size * (size - 1) // 2


def lea(key: Sequence[Cluster], response: Sequence[Cluster]) -> PRF:
    """LEA: each entity weighted by its size, resolved by the share of its links kept; a
    singleton has one self-link, kept when it is a singleton on the other side too."""

    def recall(gold: Sequence[Cluster], other: Sequence[Cluster]) -> float:
        numerator = 0.0
        for entity, counts in zip(gold, _overlaps(gold, other), strict=True):
            if len(entity) == 1:
                (index,) = counts or {-1: 0}
                resolved = 1.0 if index >= 0 and len(other[index]) == 1 else 0.0
            else:
                kept = sum(_links(n) for n in counts.values())
                resolved = kept / _links(len(entity))
            numerator += len(entity) * resolved
        return _ratio(numerator, sum(len(entity) for entity in gold))

    return PRF(precision=recall(response, key), recall=recall(key, response))


def conll(key: Sequence[Cluster], response: Sequence[Cluster]) -> float:
    """The CoNLL score: the mean F1 of MUC, B³ and CEAF-e."""
    return (muc(key, response).f1 + b_cubed(key, response).f1 + ceaf_e(key, response).f1) / 3


# ------------------------------------------------------------------ gold events


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldItem(_Strict):
    text: str = Field(description="The term's statement, or the allegation's or denial's claim.")
    reported_by: list[str] = Field(min_length=1)


class GoldEvent(_Strict):
    """One line of a gold events file (format in evals/README.md, "Gold events")."""

    event_id: str
    articles: list[str] = Field(min_length=1)
    date: str | None = None
    location: str | None = None
    parties: list[str] = Field(default_factory=list)
    treaty_terms: list[GoldItem] = Field(default_factory=list)
    allegations: list[GoldItem] = Field(default_factory=list)
    denials: list[GoldItem] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list, description="Fields sources disagree on.")


def read_gold_events(text: str, origin: str) -> list[GoldEvent]:
    """Parse a gold events file (JSON Lines). Raises `GoldError`; an article in two events too."""
    events: list[GoldEvent] = []
    owner: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            event = GoldEvent.model_validate_json(raw)
        except ValidationError as exc:
            raise GoldError(
                f"{origin}:{number}: not a gold event: {exc.errors()[0]['msg']}"
            ) from None
        for article in event.articles:
            if article in owner:
                raise GoldError(
                    f"{origin}:{number}: article {article} is already in {owner[article]}"
                )
            owner[article] = event.event_id
        events.append(event)
    return events


_Predicted = tuple[list[str], list[str]]


def _items_score(
    gold: Sequence[GoldItem],
    predicted: Sequence[_Predicted],
    similarity: Callable[[str, str], float] = text_similarity,
) -> dict[str, float]:
    """Items F1 (one-to-one by similarity of the gold text to the item's text or any of its
    quotes) and `reported_by` precision/recall over the matched items."""
    matched: list[tuple[int, int]] = []
    if gold and predicted:
        scores = np.array(
            [[max(similarity(g.text, text) for text in p[0]) for p in predicted] for g in gold]
        )
        scores[scores < MATCH_SCORE] = 0.0
        rows, cols = linear_sum_assignment(scores, maximize=True)
        matched = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if scores[r, c] > 0]
    items = PRF(_share(len(matched), len(predicted)), _share(len(matched), len(gold)))
    hits = sum(len(set(gold[g].reported_by) & set(predicted[p][1])) for g, p in matched)
    said = sum(len(predicted[p][1]) for _, p in matched)
    truth = sum(len(gold[g].reported_by) for g, _ in matched)
    return {
        **items.as_dict(),
        "reported_by_precision": _share(hits, said),
        "reported_by_recall": _share(hits, truth),
    }


def _quotes(evidence: Sequence[SourceEvidence]) -> list[str]:
    return [item.quote for item in evidence]


def _key(name: str) -> str:
    return name_key(canonical_name(name))


def field_scores(gold: GoldEvent, event: EventLine | None) -> dict[str, object]:
    """Each field of `gold` scored against `event` (the predicted event sharing most articles)."""
    if event is None:
        return {"matched_event": None}
    gold_parties = {_key(name) for name in gold.parties}
    predicted_parties = {_key(party.name) for party in event.parties}
    shared = len(gold_parties & predicted_parties)
    scores: dict[str, object] = {
        "matched_event": event.event_id,
        "date": None if gold.date is None else float(gold.date == event.date.value),
        "location": None
        if gold.location is None
        else float(
            event.location.value is not None
            and _key(gold.location) == _key(event.location.value)
        ),
        "parties": PRF(
            _share(shared, len(predicted_parties)), _share(shared, len(gold_parties))
        ).as_dict(),
        "treaty_terms": _items_score(
            gold.treaty_terms,
            [([t.statement, *_quotes(t.evidence)], t.reported_by) for t in event.treaty_terms],
            term_similarity,
        ),
        "allegations": _items_score(
            gold.allegations,
            [([a.claim, *_quotes(a.evidence)], a.reported_by) for a in event.allegations],
        ),
        "denials": _items_score(
            gold.denials, [([d.claim, *_quotes(d.evidence)], d.reported_by) for d in event.denials]
        ),
    }
    # A field the gold line leaves out is not labelled, so it is not scored (null).
    for name in ("parties", "treaty_terms", "allegations", "denials"):
        if name not in gold.model_fields_set:
            scores[name] = None
    return scores


@dataclass(frozen=True)
class EventScores:
    clustering: dict[str, dict[str, float]]
    conll_f1: float
    fields: list[dict[str, object]]
    conflicts: PRF
    #: Gold articles no predicted event holds.
    missing: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "clustering": self.clustering,
            "conll_f1": self.conll_f1,
            "fields": self.fields,
            "conflicts": self.conflicts.as_dict(),
            "missing_articles": self.missing,
        }

    def gate_scores(self) -> dict[str, float]:
        """The numbers the regression gate compares: each clustering F1, CoNLL and conflicts."""
        scores = {f"{name}.f1": prf["f1"] for name, prf in self.clustering.items()}
        scores["conll.f1"] = self.conll_f1
        scores["conflicts.precision"] = self.conflicts.precision
        scores["conflicts.recall"] = self.conflicts.recall
        return scores


def score_events(events: Sequence[EventLine], gold: Sequence[GoldEvent]) -> EventScores:
    """Score predicted events against gold events over the gold's articles."""
    gold_articles = {article for event in gold for article in event.articles}
    key = [frozenset(event.articles) for event in gold]
    # Predicted events are scored over the gold's articles only: other articles are unlabelled.
    response = [
        cluster
        for cluster in (frozenset(event.articles) & gold_articles for event in events)
        if cluster
    ]
    covered = frozenset().union(*response) if response else frozenset()
    clustering = {
        "muc": muc(key, response).as_dict(),
        "b_cubed": b_cubed(key, response).as_dict(),
        "ceaf_e": ceaf_e(key, response).as_dict(),
        "lea": lea(key, response).as_dict(),
    }
    fields: list[dict[str, object]] = []
    conflict_hits = conflict_said = conflict_truth = 0
    for gold_event in gold:
        best = max(
            events,
            key=lambda event: len(set(event.articles) & set(gold_event.articles)),
            default=None,
        )
        if best is not None and not set(best.articles) & set(gold_event.articles):
            best = None
        fields.append({"gold_event": gold_event.event_id, **field_scores(gold_event, best)})
        predicted_conflicts = {c.field for c in best.conflicts} if best else set()
        conflict_hits += len(predicted_conflicts & set(gold_event.conflicts))
        conflict_said += len(predicted_conflicts)
        conflict_truth += len(set(gold_event.conflicts))
    return EventScores(
        clustering=clustering,
        conll_f1=conll(key, response),
        fields=fields,
        conflicts=PRF(_share(conflict_hits, conflict_said), _share(conflict_hits, conflict_truth)),
        missing=sorted(gold_articles - covered),
    )


def render_terminal(scores: EventScores) -> str:
    """The scores as a plain-text table."""
    lines = ["clustering        precision  recall     f1"]
    for name, prf in scores.clustering.items():
        lines.append(
            f"  {name:<14} {prf['precision']:>9.3f} {prf['recall']:>7.3f} {prf['f1']:>6.3f}"
        )
    lines.append(f"  {'conll':<14} {'':>9} {'':>7} {scores.conll_f1:>6.3f}")
    c = scores.conflicts
    lines.append(f"  {'conflicts':<14} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f}")
    lines.append("fields per gold event")
    for entry in scores.fields:
        if entry.get("matched_event") is None:
            lines.append(f"  {entry['gold_event']}: no predicted event shares its articles")
            continue
        parts = [
            f"{name} {entry[name]:.0f}" if isinstance(entry[name], float) else f"{name} -"
            for name in ("date", "location")
        ]
        for name in ("parties", "treaty_terms", "allegations", "denials"):
            value = entry[name]
            parts.append(f"{name} f1 {value['f1']:.2f}" if isinstance(value, dict) else f"{name} -")
        lines.append(f"  {entry['gold_event']} -> {entry['matched_event']}: " + ", ".join(parts))
    if scores.missing:
        lines.append(f"gold articles in no predicted event: {', '.join(scores.missing)}")
    return "\n".join(lines) + "\n"
