"""Edge cases of the eval harness found in review: rounding at the gate and the match threshold,
line splitting of predictions, and fields with nothing to score."""

from __future__ import annotations

import json
from pathlib import Path

from extractor.evaluation.command import eval_set_name
from extractor.evaluation.gate import ROUNDING_MARGIN
from extractor.evaluation.gold import load_predictions
from extractor.evaluation.matching import Candidate, pair_similarity
from extractor.evaluation.metrics import Counts, count_metrics


def test_a_text_only_pair_at_exactly_the_documented_bar_is_a_match() -> None:
    # token_set_ratio("russia shelled", "shelled north") is 70: 0.7 - 0.2 must reach 0.5 exactly.
    gold = Candidate(text="russia shelled", span=None)
    pred = Candidate(text="shelled north", span=None)
    assert pair_similarity(gold, pred).value == 0.5


def test_predictions_split_only_on_newlines(tmp_path: Path) -> None:
    record = {"title": "Talks\x85held", "summary": "s", "event_type": "talks"}
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"article": "a1", "record": record}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    loaded = load_predictions(path)
    assert loaded.items["a1"].record is not None
    assert loaded.items["a1"].record.title == "Talks\x85held"


def test_an_empty_field_on_both_sides_has_nothing_to_score() -> None:
    assert count_metrics("denials", Counts(0.0, 0, 0))["denials.f1"] is None
    assert count_metrics("denials", Counts(0.0, 2, 0))["denials.f1"] == 0.0
    assert count_metrics("denials", Counts(0.0, 0, 3))["denials.f1"] == 0.0


def test_the_gate_margin_covers_six_digit_rounding() -> None:
    score = 2 / 3
    blessed = round(score, 6)
    assert not score < blessed - 0.0 - ROUNDING_MARGIN


def test_eval_sets_with_the_same_folder_name_get_different_names(tmp_path: Path) -> None:
    # evals/heldout (the retellings) and evals/real/heldout must not share a baseline key.
    assert eval_set_name(tmp_path / "evals" / "heldout") == "heldout"
    assert eval_set_name(tmp_path / "evals" / "real" / "heldout") == "real-heldout"
    assert eval_set_name(tmp_path / "evals" / "real" / "dev") == "real-dev"
    assert eval_set_name(tmp_path / "seeds") == "seeds"
    assert eval_set_name(tmp_path / "evals") == "evals"
