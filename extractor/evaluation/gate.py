"""The regression gate: compare a run's scores with its blessed baseline, or bless new ones.

`evals/baseline.json` holds one entry per ``<backend>@<eval-set>``::

    {"offline@seeds": {"scores": {metric: value}, "tolerance": {metric: 0.02},
                       "per_article": {article: {metric: value}}},
     "default_tolerance": 0.02}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError
from extractor.output_file import write_whole_file

DEFAULT_TOLERANCE = 0.02
#: A run in which more than this share of the gold articles has no record (an error line, or no
#: line at all) measures its failures, not its extraction: `--check` fails on it and `--bless`
#: refuses it. Above zero so that one transient failure in a large set does not block a bless.
MAX_ERROR_SHARE = 0.05
#: Baseline scores are stored to this many digits, so a comparison must allow half a unit of the
#: last one: an unchanged run must never fail against its own blessed numbers.
_DIGITS = 6
ROUNDING_MARGIN = 0.5 * 10**-_DIGITS + 1e-12
_DEFAULT_KEY = "default_tolerance"


@dataclass(frozen=True)
class BaselineEntry:
    """The blessed scores of one backend on one eval set."""

    scores: dict[str, float]
    tolerance: dict[str, float] = field(default_factory=dict)
    per_article: dict[str, dict[str, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Regression:
    """A metric that fell below its baseline by more than its tolerance."""

    metric: str
    score: float
    baseline: float
    tolerance: float

    def message(self) -> str:
        """One line naming the metric and both numbers."""
        return (
            f"{self.metric}: {self.score:.4f} < baseline {self.baseline:.4f}"
            f" - tolerance {self.tolerance:.4f}"
        )


def baseline_key(backend: str, eval_set: str) -> str:
    """The baseline entry name, ``<backend>@<eval-set>``."""
    return f"{backend}@{eval_set}"


def _number_map(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in raw.values()
    ):
        raise ConfigError(f"{where} must map metric names to numbers")
    return {str(k): float(v) for k, v in raw.items()}


class Baseline:
    """A baseline file, read once; missing files read as empty."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read and check the file's shape; a missing file is an empty baseline."""
        if not path.exists():
            return cls(path, {_DEFAULT_KEY: DEFAULT_TOLERANCE})
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: a baseline file must hold a JSON object")
        baseline = cls(path, document)
        for key in document:
            if key != _DEFAULT_KEY:
                baseline.entry(key)
        baseline.default_tolerance()
        return baseline

    def default_tolerance(self) -> float:
        """The tolerance of metrics an entry names no tolerance for."""
        value = self.document.get(_DEFAULT_KEY, DEFAULT_TOLERANCE)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{self.path}: {_DEFAULT_KEY} must be a number >= 0")
        return float(value)

    def entry(self, key: str) -> BaselineEntry | None:
        """The entry for ``<backend>@<eval-set>``, or None when none was blessed."""
        raw = self.document.get(key)
        if raw is None:
            return None
        where = f"{self.path}: {key}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} must be a JSON object")
        per_article = raw.get("per_article", {})
        if not isinstance(per_article, dict) or not all(
            isinstance(v, dict) for v in per_article.values()
        ):
            raise ConfigError(f"{where}.per_article must map article ids to metric objects")
        return BaselineEntry(
            scores=_number_map(raw.get("scores", {}), f"{where}.scores"),
            tolerance=_number_map(raw.get("tolerance", {}), f"{where}.tolerance"),
            per_article={str(a): dict(m) for a, m in per_article.items()},
        )

    def tolerance(self, entry: BaselineEntry, metric: str) -> float:
        """The allowed drop for `metric` in `entry`."""
        return entry.tolerance.get(metric, self.default_tolerance())


def check(
    scores: Mapping[str, float | None], baseline: Baseline, entry: BaselineEntry
) -> list[Regression]:
    """Every baseline metric whose score fell by more than its tolerance.

    A metric the run could not score (None) is not a regression: there was nothing to score.
    """
    found: list[Regression] = []
    for metric, blessed in sorted(entry.scores.items()):
        score = scores.get(metric)
        if score is None:
            continue
        tolerance = baseline.tolerance(entry, metric)
        # The epsilon keeps a run equal to its baseline from failing on float rounding.
        if score < blessed - tolerance - ROUNDING_MARGIN:
            found.append(Regression(metric, score, blessed, tolerance))
    return found


def bless(
    baseline: Baseline,
    key: str,
    scores: Mapping[str, float | None],
    per_article: Mapping[str, Mapping[str, float | None]],
) -> None:
    """Rewrite entry `key` with these scores, keeping its tolerances, and save the file."""
    previous = baseline.entry(key)
    default = baseline.default_tolerance()
    kept = previous.tolerance if previous is not None else {}
    baseline.document[key] = {
        "scores": {m: round(v, _DIGITS) for m, v in scores.items() if v is not None},
        "tolerance": {m: kept.get(m, default) for m in scores},
        "per_article": {
            a: {m: None if v is None else round(v, _DIGITS) for m, v in metrics.items()}
            for a, metrics in sorted(per_article.items())
        },
    }
    baseline.document.setdefault(_DEFAULT_KEY, default)
    document = json.dumps(baseline.document, indent=2, sort_keys=True, ensure_ascii=False)
    write_whole_file(baseline.path, document + "\n")
