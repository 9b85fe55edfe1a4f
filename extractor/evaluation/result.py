"""Everything one evaluation produced, as the reports and the CLI consume it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from extractor.evaluation.bootstrap import DiffInterval
from extractor.evaluation.gate import ROUNDING_MARGIN, BaselineEntry, Regression
from extractor.evaluation.gold import GoldArticle, PredictionSet
from extractor.evaluation.metrics import HEADLINE_METRICS, ArticleScore, SetScores


@dataclass(frozen=True)
class EvalResult:
    """Scores of one predictions file against one gold set, and how they compare to baseline."""

    key: str
    eval_set: str
    predictions: PredictionSet
    gold: dict[str, GoldArticle]
    scores: SetScores
    baseline: BaselineEntry | None = None
    tolerance: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, DiffInterval] = field(default_factory=dict)
    regressions: list[Regression] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def failed(self) -> list[ArticleScore]:
        """The gold articles the run gave no record for: an error line, or no line at all."""
        return [article for article in self.scores.articles if article.status != "ok"]

    @property
    def error_share(self) -> float:
        """The share of the gold articles the run gave no record for (0 for an empty set)."""
        total = len(self.scores.articles)
        return len(self.failed()) / total if total else 0.0

    @property
    def source(self) -> Path:
        """The predictions file scored."""
        return self.predictions.path

    def article_regressions(self, article: ArticleScore) -> dict[str, tuple[float, float]]:
        """Headline metrics of one article below its own baseline: metric -> (score, baseline)."""
        if self.baseline is None:
            return {}
        blessed = self.baseline.per_article.get(article.article, {})
        metrics = article.metrics()
        found: dict[str, tuple[float, float]] = {}
        for metric in HEADLINE_METRICS:
            score, base = metrics.get(metric), blessed.get(metric)
            tolerance = self.tolerance.get(metric, 0.0)
            if score is None or base is None:
                continue
            if score < base - tolerance - ROUNDING_MARGIN:
                found[metric] = (score, base)
        return found
