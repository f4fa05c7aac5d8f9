"""Calibration measures of the reliability benchmark: bins, ECE and Brier on hand-made inputs, and edit judging."""

from __future__ import annotations

import pytest
from benchmarks.metrics import Change
from benchmarks.reliability import (
    bin_index,
    brier_score,
    calibration,
    edit_correct,
    expected_calibration_error,
    reliability_bins,
)
from benchmarks.zoo import span_outcomes

from despin.types import Edit, SpinEdit

EXACT = 1e-12

# Bins 0, 1 and 9: (1 wrong at 0.05), (1 right, 1 wrong at 0.15), (2 right at 0.95 and 1.0).
CONF = [0.05, 0.15, 0.15, 0.95, 1.0]
CORRECT = [False, True, False, True, True]


def test_bin_index_puts_edges_in_the_upper_bin_and_one_in_the_last() -> None:
    assert bin_index([0.0, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.9, 0.999, 1.0]).tolist() == [0, 1, 2, 3, 4, 5, 7, 9, 9, 9]
    assert bin_index([0.24, 0.25, 0.5, 0.75, 1.0], n_bins=4).tolist() == [0, 1, 2, 3, 3]


def test_reliability_bins_count_mean_confidence_and_accuracy() -> None:
    bins = reliability_bins(CONF, CORRECT)
    assert len(bins) == 10
    assert [b.n for b in bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert (bins[0].lo, bins[0].hi, bins[9].lo, bins[9].hi) == (0.0, 0.1, 0.9, 1.0)
    assert bins[0].mean_confidence == pytest.approx(0.05, abs=EXACT) and bins[0].accuracy == 0.0
    assert bins[1].mean_confidence == pytest.approx(0.15, abs=EXACT) and bins[1].accuracy == 0.5
    assert bins[9].mean_confidence == pytest.approx(0.975, abs=EXACT) and bins[9].accuracy == 1.0
    assert bins[4].mean_confidence is None and bins[4].accuracy is None


def test_ece_and_brier_on_a_hand_made_set() -> None:
    # ECE = 1/5 * |0 - 0.05| + 2/5 * |0.5 - 0.15| + 2/5 * |1 - 0.975| = 0.01 + 0.14 + 0.01
    assert expected_calibration_error(CONF, CORRECT) == pytest.approx(0.16, abs=EXACT)
    # Brier = (0.05^2 + 0.85^2 + 0.15^2 + 0.05^2 + 0^2) / 5 = 0.75 / 5
    assert brier_score(CONF, CORRECT) == pytest.approx(0.15, abs=EXACT)


def test_a_calibrated_coin_has_no_calibration_error_but_a_brier_of_a_quarter() -> None:
    conf, correct = [0.5] * 4, [True, False, True, False]
    assert expected_calibration_error(conf, correct) == 0.0
    assert brier_score(conf, correct) == 0.25


def test_confident_and_wrong_is_the_worst_case() -> None:
    assert expected_calibration_error([1.0, 1.0], [False, False]) == 1.0
    assert brier_score([1.0, 0.0], [False, True]) == 1.0
    assert expected_calibration_error([1.0, 0.0], [True, False]) == 0.0


def test_ece_depends_on_the_binning() -> None:
    # One bin pools 0.2 (wrong) and 0.8 (right): mean 0.5, accuracy 0.5; ten bins separate them.
    conf, correct = [0.2, 0.8], [False, True]
    assert expected_calibration_error(conf, correct, n_bins=1) == pytest.approx(0.0, abs=EXACT)
    assert expected_calibration_error(conf, correct) == pytest.approx(0.2, abs=EXACT)


def test_empty_input_gives_none_and_bad_input_raises() -> None:
    assert expected_calibration_error([], []) is None
    assert brier_score([], []) is None
    assert all(b.n == 0 for b in reliability_bins([], []))
    with pytest.raises(ValueError, match="outcomes"):
        brier_score([0.5], [True, False])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability_bins([1.5], [True])
    with pytest.raises(ValueError, match="n_bins"):
        bin_index([0.5], n_bins=0)


def test_calibration_summary() -> None:
    c = calibration(CONF, CORRECT)
    assert (c["n"], c["mean_confidence"], c["accuracy"], c["ece"], c["brier"]) == (5, 0.46, 0.6, 0.16, 0.15)
    assert [b["n"] for b in c["bins"]] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert c["bins"][9] == {"lo": 0.9, "hi": 1.0, "n": 2, "mean_confidence": 0.975, "accuracy": 1.0}


# "Dia amat pandai dan rajin.": "amat" replaced "sangat"; "pandai" is an original word.
SPUN = "Dia amat pandai dan rajin."
GOLD = (SpinEdit(4, 8, "amat", "sangat"),)


def _judge(edits: list[Edit]) -> list[bool]:
    ok = [o for o, _ in span_outcomes(SPUN, GOLD, [Change(e.start, e.end, e.restored) for e in edits])]
    return edit_correct(SPUN, GOLD, edits, ok)


def test_an_edit_restoring_the_original_is_correct_ignoring_case() -> None:
    assert _judge([Edit(4, 8, "amat", "Sangat", 0.9)]) == [True]


def test_an_edit_of_an_original_word_or_a_wrong_original_is_wrong() -> None:
    assert _judge([Edit(4, 8, "amat", "sungguh", 0.9)]) == [False]
    assert _judge([Edit(4, 8, "amat", "sangat", 0.9), Edit(9, 15, "pandai", "pintar", 0.6)]) == [True, False]


def test_only_synonym_edits_are_judged() -> None:
    edits = [Edit(0, 3, "Dia", "dia", 0.7, "case"), Edit(4, 8, "amat", "sangat", 0.9)]
    assert _judge(edits) == [True]
    with pytest.raises(ValueError, match="outcomes"):
        edit_correct(SPUN, GOLD, edits, [])
