"""The date metric: exact day 1, a coarser gold or prediction that overlaps 0.5, else 0, with
the distance in days."""

from __future__ import annotations

from datetime import date, timedelta

from extractor.schema import EventDate

_SHAPES = {4: "year", 7: "month", 10: "day"}


def date_interval(value: str) -> tuple[date, date] | None:
    """The days an ISO ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` covers; None for anything else."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return day, day
        if len(value) == 7 and value[4] == "-":
            first = date(int(value[:4]), int(value[5:]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, following - timedelta(days=1)
        if len(value) == 4 and value.isdigit():
            return date(int(value), 1, 1), date(int(value), 12, 31)
    except ValueError:
        return None
    return None


def score_date(gold: EventDate | None, pred: EventDate | None) -> tuple[float, float | None, str]:
    """Credit (1 exact, 0.5 overlap at coarser precision, 0 otherwise), error in days, reason.

    Precision is read from the value's shape, so a `precision` that contradicts the value
    does not change the score. The error is the gap between the two intervals (0 if they overlap).
    """
    gold_value = gold.value if gold is not None else None
    pred_value = pred.value if pred is not None else None
    if gold_value is None:
        if pred_value is None:
            return 1.0, None, "both unresolved"
        return 0.0, None, f"predicted {pred_value}; gold has no resolvable date"
    if pred_value is None:
        return 0.0, None, f"no predicted date; gold {gold_value}"
    g, p = date_interval(gold_value), date_interval(pred_value)
    if g is None:
        return 0.0, None, f"gold date {gold_value!r} is not ISO"
    if p is None:
        return 0.0, None, f"predicted date {pred_value!r} is not ISO"
    gap = max((p[0] - g[1]).days, (g[0] - p[1]).days, 0)
    if g == p:
        return 1.0, 0.0, f"exact ({_SHAPES[len(gold_value.strip())]})"
    if gap == 0:
        return 0.5, 0.0, f"overlap: predicted {pred_value}, gold {gold_value}"
    return 0.0, float(gap), f"predicted {pred_value}, gold {gold_value} ({gap} days apart)"
