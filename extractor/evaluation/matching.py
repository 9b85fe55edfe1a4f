"""How a predicted item is paired with a gold item: similarity and assignment.

Names are compared by `extractor.gazetteer.PartyNames` over the gold record's parties (its
aliases, then the gazetteer, then `name_key`), the same normaliser the pipeline de-duplicates
with. Statements are paired one-to-one by optimal assignment (Hungarian algorithm) over a
similarity that mixes the statement text and the overlap of the evidence spans in the article;
pairs below `MATCH_THRESHOLD` are not matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, utils
from scipy.optimize import linear_sum_assignment

#: A pair whose similarity is below this is never a match (see evals/README.md).
MATCH_THRESHOLD = 0.5
#: Taken off the text similarity when either quote is not in the article: with no evidence to
#: agree on, the wording alone must be stronger (text >= 0.7) to make a match.
TEXT_ONLY_PENALTY = 0.2


def text_similarity(a: str, b: str) -> float:
    """Token-set similarity of two statements in [0, 1] (rapidfuzz `token_set_ratio`)."""
    return float(fuzz.token_set_ratio(a, b, processor=utils.default_process)) / 100.0


def span_overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> float | None:
    """Shared characters over the shorter span, in [0, 1]; None when either span is unknown.

    Over the shorter span, so a quote that contains the other scores 1: gold quotes are the
    shortest sufficient span and a prediction may quote the whole clause around it.
    """
    if a is None or b is None:
        return None
    shorter = min(a[1] - a[0], b[1] - b[0])
    if shorter <= 0:
        return None
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return max(shared, 0) / shorter


@dataclass(frozen=True)
class Candidate:
    """What matching needs of an item: its statement text and its grounded evidence span."""

    text: str
    span: tuple[int, int] | None


@dataclass(frozen=True)
class Similarity:
    """The similarity of one gold/predicted pair and the parts it was made of."""

    value: float
    text: float
    evidence: float | None


def pair_similarity(gold: Candidate, pred: Candidate) -> Similarity:
    """Mean of text similarity and evidence overlap; without a span, the text less a penalty."""
    text = text_similarity(gold.text, pred.text)
    evidence = span_overlap(gold.span, pred.span)
    value = max(text - TEXT_ONLY_PENALTY, 0.0) if evidence is None else (text + evidence) / 2
    # Rounded so that a documented boundary holds exactly (0.7 - 0.2 is 0.49999999999999994).
    return Similarity(value=round(value, 9), text=text, evidence=evidence)


def similarity_matrix(
    gold: Sequence[Candidate], pred: Sequence[Candidate]
) -> list[list[Similarity]]:
    """Similarity of every gold item (rows) with every predicted item (columns)."""
    return [[pair_similarity(g, p) for p in pred] for g in gold]


def assign(
    scores: Sequence[Sequence[float]], threshold: float = MATCH_THRESHOLD
) -> list[tuple[int, int]]:
    """One-to-one pairs (gold row, predicted column) maximising total similarity above `threshold`.

    Pairs below the threshold carry no weight, so the assignment never trades a match for a
    non-match; any such pair it still returns is dropped.
    """
    if not scores or not scores[0]:
        return []
    matrix = np.asarray(scores, dtype=float)
    weights = np.where(matrix >= threshold, matrix, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [
        (int(r), int(c)) for r, c in zip(rows, cols, strict=True) if matrix[r, c] >= threshold
    ]
