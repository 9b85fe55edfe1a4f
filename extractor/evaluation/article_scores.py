"""What scoring one article produces: match decisions, counts per list field, highlights and
the `ArticleScore` that holds them, and the precision/recall/F1 of a list field's counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DecisionKind = Literal["matched", "missed", "spurious"]


@dataclass(frozen=True)
class Decision:
    """One gold or predicted item and what the scorer made of it."""

    field: str
    kind: DecisionKind
    credit: float
    reason: str
    gold: str | None = None
    pred: str | None = None
    gold_index: int | None = None
    pred_index: int | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class Counts:
    """Credit earned against the number of predicted and gold items of one list field."""

    credit: float = 0.0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.credit + other.credit, self.predicted + other.predicted, self.gold + other.gold
        )

    @property
    def precision(self) -> float:
        """Credit per predicted item; 1.0 when nothing was predicted."""
        return self.credit / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Credit per gold item; 1.0 when there was nothing to find."""
        return self.credit / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Highlight:
    """An evidence span to mark in the article text."""

    start: int
    end: int
    source: Literal["gold", "pred"]
    label: str


@dataclass
class ArticleScore:
    """All scores, counts and decisions for one article."""

    article: str
    status: Literal["ok", "error", "missing"]
    message: str | None = None
    counts: dict[str, Counts] = field(default_factory=dict)
    ratios: dict[str, tuple[float, int]] = field(default_factory=dict)
    date_error_days: float | None = None
    decisions: list[Decision] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)

    def metrics(self) -> dict[str, float | None]:
        """Headline and detail metrics of this article (None where nothing was scorable)."""
        out: dict[str, float | None] = {}
        for name, counts in self.counts.items():
            out.update(count_metrics(name, counts))
        for name, (hits, total) in self.ratios.items():
            out[name] = hits / total if total else None
        out["date.abs_error_days"] = self.date_error_days
        return out


def count_metrics(name: str, counts: Counts) -> dict[str, float | None]:
    """Precision, recall and F1 of a list field: `treaty_terms.f1`, `parties.entity_f1`, ..."""
    # "parties.entity" already has its field prefix, so its metrics are suffixed with "_".
    stem = f"{name}_" if "." in name else f"{name}."
    if counts.gold == 0 and counts.predicted == 0:
        # Nothing in gold and nothing predicted: nothing to score, so macro and JUnit skip it.
        return {f"{stem}f1": None, f"{stem}precision": None, f"{stem}recall": None}
    return {
        f"{stem}f1": counts.f1,
        f"{stem}precision": counts.precision,
        f"{stem}recall": counts.recall,
    }
