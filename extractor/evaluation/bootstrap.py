"""Paired bootstrap confidence interval for the difference between a run and its baseline run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: Fixed so the same two runs always give the same interval.
DEFAULT_SEED = 20240619
DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True)
class DiffInterval:
    """Mean per-article difference (run minus baseline) and its bootstrap interval."""

    diff: float
    low: float
    high: float
    articles: int
    confidence: float

    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of zero."""
        return self.low > 0 or self.high < 0


def paired_bootstrap(
    run: Mapping[str, float | None],
    baseline: Mapping[str, float | None],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> DiffInterval | None:
    """Percentile interval of the mean difference over articles scored in both runs.

    Articles are resampled with replacement and each keeps its pair of scores, so
    per-article difficulty cancels out. None when no article has both scores.
    """
    pairs = [
        (r, b)
        for article in sorted(run)
        if (r := run[article]) is not None and (b := baseline.get(article)) is not None
    ]
    if not pairs:
        return None
    diffs = np.array([r - b for r, b in pairs], dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(diffs), size=(resamples, len(diffs)))
    means = diffs[picks].mean(axis=1)
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return DiffInterval(float(diffs.mean()), float(low), float(high), len(pairs), confidence)
