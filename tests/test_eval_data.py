"""The eval's own data files: the baseline file, the README's metric docs, the real gold set."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.evaluation.gate import Baseline
from extractor.evaluation.gold import Prediction, load_gold
from extractor.evaluation.metrics import HEADLINE_METRICS, aggregate, score_article

REPO = Path(__file__).resolve().parent.parent
EVALS = REPO / "evals"


def test_committed_baseline_file_is_well_formed() -> None:
    baseline = Baseline.load(EVALS / "baseline.json")
    assert baseline.default_tolerance() >= 0
    for key in baseline.document:
        if key != "default_tolerance":
            assert "@" in key, key
            entry = baseline.entry(key)
            assert entry is not None
            assert set(entry.scores) <= set(HEADLINE_METRICS)


def test_readme_documents_every_headline_metric_and_the_agreement_section() -> None:
    readme = (EVALS / "README.md").read_text(encoding="utf-8")
    for metric in HEADLINE_METRICS:
        assert metric in readme, metric
    assert "## Agreement ceiling" in readme


@pytest.mark.skipif(not any((EVALS / "gold").glob("*.json")), reason="no gold annotated yet")
def test_real_gold_loads_and_scores_perfectly_against_itself() -> None:
    gold = load_gold(EVALS / "gold", REPO / "seeds")
    scores = aggregate(
        [score_article(g, Prediction(a, g.record.model_copy(deep=True))) for a, g in gold.items()]
    )
    # A key fact its own gold summary does not cover, or a quote not in the article, shows here.
    assert {m: scores.micro[m] for m in HEADLINE_METRICS} == dict.fromkeys(HEADLINE_METRICS, 1.0)
