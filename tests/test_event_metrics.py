"""Clustering metrics on textbook examples with known values."""

from __future__ import annotations

import pytest

from extractor.events.scoring import b_cubed, ceaf_e, conll, lea, muc

# Pradhan et al. 2014 ("Scoring coreference partitions") and Moosavi and Strube 2016 (LEA):
# key {a b c} {d e f g}; response {a b} {c d} {f g h i}.
KEY = [frozenset("abc"), frozenset("defg")]
RESPONSE = [frozenset("ab"), frozenset("cd"), frozenset("fghi")]


def test_muc_on_the_textbook_example() -> None:
    score = muc(KEY, RESPONSE)
    assert score.recall == pytest.approx(0.4)
    assert score.precision == pytest.approx(0.4)


def test_muc_on_vilains_example() -> None:
    # Vilain et al. 1995: key {A B C D}, response {A B} {C D}: recall 2/3, precision 1.
    score = muc([frozenset("ABCD")], [frozenset("AB"), frozenset("CD")])
    assert score.recall == pytest.approx(2 / 3)
    assert score.precision == pytest.approx(1.0)


def test_b_cubed_on_the_textbook_example() -> None:
    score = b_cubed(KEY, RESPONSE)
    assert score.recall == pytest.approx((4 / 3 + 1 / 3 + 1 / 4 + 4 / 4) / 7)  # 0.4167
    assert score.precision == pytest.approx((4 / 2 + 1 / 2 + 1 / 2 + 4 / 4) / 8)  # 0.5


def test_ceaf_e_on_the_textbook_example() -> None:
    score = ceaf_e(KEY, RESPONSE)
    # Best alignment: {a b c}-{a b} (0.8) and {d e f g}-{f g h i} (0.5).
    assert score.recall == pytest.approx(1.3 / 2)
    assert score.precision == pytest.approx(1.3 / 3)


def test_lea_on_the_textbook_example() -> None:
    score = lea(KEY, RESPONSE)
    assert score.recall == pytest.approx((3 * 1 / 3 + 4 * 1 / 6) / 7)  # 0.24
    assert score.precision == pytest.approx((2 * 1 + 2 * 0 + 4 * 1 / 6) / 8)  # 0.33


def test_lea_counts_a_singleton_by_its_self_link() -> None:
    key = [frozenset("ab"), frozenset("c")]
    assert lea(key, [frozenset("ab"), frozenset("c")]).f1 == pytest.approx(1.0)
    merged = lea(key, [frozenset("abc")])
    assert merged.recall == pytest.approx(2 / 3)  # the singleton {c} is not resolved
    assert merged.precision == pytest.approx(3 * (1 / 3) / 3)


def test_conll_is_the_mean_of_muc_b_cubed_and_ceaf_e() -> None:
    expected = (muc(KEY, RESPONSE).f1 + b_cubed(KEY, RESPONSE).f1 + ceaf_e(KEY, RESPONSE).f1) / 3
    assert conll(KEY, RESPONSE) == pytest.approx(expected)
    assert conll(KEY, KEY) == pytest.approx(1.0)


def test_every_metric_is_perfect_on_identical_partitions() -> None:
    for metric in (muc, b_cubed, ceaf_e, lea):
        score = metric(KEY, KEY)
        assert (score.precision, score.recall) == pytest.approx((1.0, 1.0))
