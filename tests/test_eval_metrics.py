"""Field-level scoring: self-agreement, partial credit, optimal matching, dates, summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.evaluation.gold import GoldArticle, Prediction, load_gold
from extractor.evaluation.matching import (
    MATCH_THRESHOLD,
    Candidate,
    assign,
    similarity_matrix,
)
from extractor.evaluation.metrics import (
    HEADLINE_METRICS,
    aggregate,
    fact_coverage,
    score_article,
    score_date,
)
from extractor.gazetteer import PartyNames
from extractor.schema import ErrorInfo, EventDate, EventRecord, Evidence

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


@pytest.fixture(scope="module")
def gold() -> dict[str, GoldArticle]:
    return load_gold(FIXTURES / "gold", FIXTURES / "articles")


@pytest.fixture
def accord(gold: dict[str, GoldArticle]) -> GoldArticle:
    return gold["accord_001"]


def predict(record: EventRecord, article: str = "accord_001") -> Prediction:
    return Prediction(article, record)


def copy_of(gold: GoldArticle) -> EventRecord:
    return gold.record.model_copy(deep=True)


def changed_metrics(before: dict[str, float | None], after: dict[str, float | None]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def test_gold_scored_against_itself_is_perfect(gold: dict[str, GoldArticle]) -> None:
    scores = aggregate([score_article(g, predict(copy_of(g), a)) for a, g in gold.items()])
    for metric in HEADLINE_METRICS:
        assert scores.micro[metric] == 1.0, metric
        assert scores.macro[metric] == 1.0, metric
    assert scores.micro["date.abs_error_days"] == 0.0
    kinds = {d.kind for a in scores.articles for d in a.decisions}
    assert kinds == {"matched"}


def test_removing_one_allegation_lowers_only_allegation_recall(accord: GoldArticle) -> None:
    full = score_article(accord, predict(copy_of(accord))).metrics()
    record = copy_of(accord)
    removed = record.allegations.pop(1)
    scored = score_article(accord, predict(record))
    after = scored.metrics()

    n = len(accord.record.allegations)
    assert after["allegations.recall"] == pytest.approx((n - 1) / n)
    assert after["allegations.precision"] == 1.0
    # F1 follows recall; every other field, and the evidence share, is untouched.
    assert changed_metrics(full, after) == {"allegations.recall", "allegations.f1"}
    missed = [d for d in scored.decisions if d.field == "allegations" and d.kind == "missed"]
    assert [d.gold for d in missed] == [removed.claim]


def test_wrong_accuser_earns_half_credit(accord: GoldArticle) -> None:
    record = copy_of(accord)
    record.allegations[0].alleged_by = ["Switzerland"]
    scored = score_article(accord, predict(record))

    decision = next(d for d in scored.decisions if d.field == "allegations" and d.gold_index == 0)
    assert decision.kind == "matched"
    assert decision.credit == 0.5
    assert "alleged_by" in decision.reason
    n = len(accord.record.allegations)
    assert scored.metrics()["allegations.recall"] == pytest.approx((n - 0.5) / n)
    assert scored.metrics()["allegations.precision"] == pytest.approx((n - 0.5) / n)


def test_wrong_denier_earns_half_credit(accord: GoldArticle) -> None:
    record = copy_of(accord)
    record.denials[0].denied_by = ["Freedonia"]
    scored = score_article(accord, predict(record))
    decision = next(d for d in scored.decisions if d.field == "denials" and d.gold_index == 0)
    assert (decision.kind, decision.credit) == ("matched", 0.5)
    assert "denied_by" in decision.reason


def test_names_are_normalised_through_gazetteer_aliases_and_spelling(accord: GoldArticle) -> None:
    names = PartyNames(accord.record.parties)
    assert names.key("Washington") == names.key("United States") == names.key("the US")
    assert names.key("Kim Jong-un") == names.key("Kim Jong Un")
    assert names.key("Ruritanian Prime Minister Anna Kovac") == names.key("Anna Kovac")
    record = copy_of(accord)
    record.allegations[1].alleged_by = ["Washington"]
    record.parties[0].name = "the Ruritanian"
    scores = score_article(accord, predict(record)).metrics()
    assert scores["allegations.f1"] == 1.0
    assert scores["parties.role_f1"] == 1.0


def test_wrong_role_keeps_entity_credit_but_not_role_credit(accord: GoldArticle) -> None:
    record = copy_of(accord)
    record.parties[2].role = "participant"
    scores = score_article(accord, predict(record)).metrics()
    assert scores["parties.entity_f1"] == 1.0
    assert scores["parties.role_f1"] == pytest.approx(3 / 4)


def greedy(scores: list[list[float]], threshold: float) -> list[tuple[int, int]]:
    """Best remaining pair first: what a naive matcher does."""
    cells = sorted(
        ((v, g, p) for g, row in enumerate(scores) for p, v in enumerate(row)), reverse=True
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for value, g, p in cells:
        if value >= threshold and g not in used_g and p not in used_p:
            pairs.append((g, p))
            used_g.add(g)
            used_p.add(p)
    return pairs


def test_optimal_assignment_beats_greedy_matching() -> None:
    gold = [
        Candidate("withdraw heavy artillery from the frontier", None),
        Candidate("set up a joint monitoring commission", None),
    ]
    pred = [
        Candidate(
            "withdraw heavy artillery and set up a joint monitoring commission near the frontier",
            None,
        ),
        Candidate("a joint monitoring commission is created", None),
    ]
    scores = [[s.value for s in row] for row in similarity_matrix(gold, pred)]
    greedy_pairs = greedy(scores, MATCH_THRESHOLD)
    optimal_pairs = assign(scores)

    assert greedy_pairs == [(1, 0)]  # grabs the best cell, stranding the other gold term
    assert sorted(optimal_pairs) == [(0, 0), (1, 1)]
    assert sum(scores[g][p] for g, p in optimal_pairs) > sum(scores[g][p] for g, p in greedy_pairs)


def test_pairs_below_threshold_are_not_matches() -> None:
    assert assign([[0.49, 0.1]], threshold=0.5) == []
    assert assign([[0.3], [0.7]]) == [(1, 0)]
    assert assign([]) == []


def test_evidence_overlap_outweighs_wording_between_claims_in_different_places() -> None:
    first, second = (0, 50), (60, 120)
    gold = [Candidate("North Korea supplies Russia", first), Candidate("Russia arms Korea", second)]
    pred = [Candidate("Russia arms Korea", first), Candidate("North Korea supplies Russia", second)]
    sims = similarity_matrix(gold, pred)
    # The wording pairs them crosswise; the evidence says which claim is which.
    assert sims[0][0].value > sims[0][1].value
    assert sorted(assign([[s.value for s in row] for row in sims])) == [(0, 0), (1, 1)]


def _date(value: str | None, precision: str | None = None) -> EventDate:
    return EventDate.model_validate(
        {"value": value, "precision": precision, "phrase": "x", "evidence": {"quote": "x"}}
    )


@pytest.mark.parametrize(
    ("gold_value", "pred_value", "credit", "error_days"),
    [
        ("2024-06-19", "2024-06-19", 1.0, 0.0),
        ("2024-06-19", "2024-06", 0.5, 0.0),
        ("2024-06", "2024-06-19", 0.5, 0.0),
        ("2024-06-19", "2024", 0.5, 0.0),
        ("2024-06", "2024-06", 1.0, 0.0),
        ("2024-06-19", "2024-06-20", 0.0, 1.0),
        ("2024-06-19", "2024-07", 0.0, 12.0),
        ("2024-06-19", None, 0.0, None),
        (None, None, 1.0, None),
        (None, "2024-06-19", 0.0, None),
        ("2024-06-19", "next week", 0.0, None),
    ],
)
def test_date_credit(
    gold_value: str | None, pred_value: str | None, credit: float, error_days: float | None
) -> None:
    got_credit, got_error, reason = score_date(_date(gold_value), _date(pred_value))
    assert (got_credit, got_error) == (credit, error_days), reason


def test_month_precision_prediction_of_a_day_gold_scores_half_in_the_article(
    accord: GoldArticle,
) -> None:
    record = copy_of(accord)
    assert record.date is not None
    record.date.value, record.date.precision = "2024-03", "month"
    scored = score_article(accord, predict(record))
    assert scored.metrics()["date.accuracy"] == 0.5
    assert scored.metrics()["date.abs_error_days"] == 0.0


def test_fact_coverage_counts_content_words() -> None:
    summary = "Ruritania and Freedonia have signed a border accord in Geneva."
    assert fact_coverage("Ruritania and Freedonia signed a border security accord", summary) >= 0.8
    assert fact_coverage("talks were mediated by Switzerland", summary) == 0.0
    assert fact_coverage("signing took place in Geneva", summary) == pytest.approx(2 / 4)


def test_summary_coverage_scores_the_gold_key_facts(accord: GoldArticle) -> None:
    record = copy_of(accord)
    record.summary = "Ruritania and Freedonia signed a border security accord in Geneva."
    scored = score_article(accord, predict(record))
    assert scored.metrics()["summary.coverage"] == pytest.approx(2 / 4)


def test_evidence_share_regrounds_quotes_and_ignores_the_verified_flag(
    accord: GoldArticle,
) -> None:
    record = copy_of(accord)
    record.treaty_terms[0].evidence = Evidence(
        quote="both sides agreed to dismantle all missiles", verified=True, start=0, end=5
    )
    scored = score_article(accord, predict(record))
    total = len(accord.record.evidence_items())
    assert scored.metrics()["evidence.verified"] == pytest.approx((total - 1) / total)
    spurious = [d for d in scored.decisions if d.field == "evidence"]
    assert len(spurious) == 1 and "treaty_terms[0]" in spurious[0].reason


@pytest.mark.parametrize(
    "prediction",
    [None, Prediction("accord_001", None, ErrorInfo(type="backend_error", message="timeout"))],
)
def test_error_or_missing_prediction_is_scored_as_empty(
    accord: GoldArticle, prediction: Prediction | None
) -> None:
    scored = score_article(accord, prediction)
    metrics = scored.metrics()
    assert scored.status in {"missing", "error"}
    for name in ("parties.entity", "treaty_terms", "allegations", "denials"):
        key = f"{name}_recall" if "." in name else f"{name}.recall"
        assert metrics[key] == 0.0, key
    assert metrics["summary.coverage"] == 0.0
    assert metrics["evidence.verified"] is None


def test_micro_pools_counts_and_macro_averages_articles(gold: dict[str, GoldArticle]) -> None:
    accord, talks = gold["accord_001"], gold["talks_002"]
    empty_talks = copy_of(talks)
    empty_talks.allegations = []
    scores = aggregate(
        [
            score_article(accord, predict(copy_of(accord))),
            score_article(talks, predict(empty_talks, "talks_002")),
        ]
    )
    gold_total = len(accord.record.allegations) + len(talks.record.allegations)
    assert scores.micro["allegations.recall"] == pytest.approx((gold_total - 1) / gold_total)
    assert scores.macro["allegations.recall"] == pytest.approx((1.0 + 0.0) / 2)


def test_without_evidence_the_wording_must_be_close() -> None:
    gold = [Candidate("North Korea supplies Russia with ballistic missiles", (0, 60))]
    near = Candidate("North Korea supplies Russia with ballistic missiles", None)
    loose = Candidate("Russia may be providing North Korea with satellite technology", None)
    sims = similarity_matrix(gold, [near, loose])
    assert sims[0][0].evidence is None
    assert assign([[s.value for s in sims[0]]]) == [(0, 0)]
    assert sims[0][1].text >= MATCH_THRESHOLD > sims[0][1].value


def test_a_missed_item_whose_best_match_went_elsewhere_says_so(accord: GoldArticle) -> None:
    first = accord.record.allegations[0]
    twice = copy_of(accord).model_copy(update={"allegations": [first, first]})
    gold = GoldArticle(accord.article, twice, accord.key_facts, accord.text)
    scored = score_article(
        gold, predict(copy_of(accord).model_copy(update={"allegations": [first]}))
    )
    (missed,) = [d for d in scored.decisions if d.field == "allegations" and d.kind == "missed"]
    assert "matched to another gold item" in missed.reason
