"""Calibrated edit confidences: the curve, the per-kind map, its fit, the judging of edits, and the bundle's map."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from despin import api
from despin.errors import ModelError
from despin.lexicon import SynonymLexicon
from despin.lm import FakeLM
from despin.model.bundle import Model
from despin.restorer import DocumentRestorer
from despin.restorer.calibration import Curve, EditCalibration, KindCalibration
from despin.restorer.candidates import CandidateGenerator
from despin.restorer.restorer import RestoreConfig, RestoreOutcome, Restorer
from despin.spinner import Spinner
from despin.training.calibrate import fit_curve, fit_edit_calibration, judge_edits
from despin.types import Detection, Edit, SpinEdit

HALVING = EditCalibration({"synonym": KindCalibration((), (Curve((0.0, 1.0), (0.0, 0.5)),))})


def test_the_curve_interpolates_between_knots_and_is_flat_beyond_them() -> None:
    curve = Curve((0.2, 0.6, 1.0), (0.1, 0.3, 0.9))
    assert [curve(p) for p in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)] == pytest.approx([0.1, 0.1, 0.2, 0.3, 0.6, 0.9])


@pytest.mark.parametrize(
    ("xs", "ys", "message"),
    [
        ((), (), "as many"),
        ((0.1, 0.2), (0.5,), "as many"),
        ((0.5, 0.1), (0.1, 0.2), "sorted"),
        ((0.1, 0.5), (0.6, 0.2), "decrease"),
        ((0.1, 1.5), (0.1, 0.2), r"\[0, 1\]"),
    ],
)
def test_a_malformed_curve_is_a_model_error(xs: tuple[float, ...], ys: tuple[float, ...], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        Curve(xs, ys)


def test_the_map_calibrates_its_kinds_and_passes_the_others_through() -> None:
    edits = [
        Edit(0, 3, "abc", "xyz", 0.8, "synonym"),
        Edit(4, 5, "A", "a", 0.9, "case"),
        Edit(6, 20, "Sumber: Kompas", "", 1.0, "footer"),
    ]
    out = HALVING.apply(edits, 0.99)
    assert [e.confidence for e in out] == pytest.approx([0.4, 0.9, 1.0])
    assert [(e.start, e.end, e.observed, e.restored, e.kind) for e in out] == [
        (e.start, e.end, e.observed, e.restored, e.kind) for e in edits
    ]


def test_the_map_round_trips_and_a_malformed_one_is_a_model_error() -> None:
    assert EditCalibration.from_dict(json.loads(json.dumps(HALVING.to_dict()))) == HALVING
    with pytest.raises(ModelError, match="malformed edit calibration"):
        EditCalibration.from_dict({"synonym": {"bands": [], "curves": [{"x": [0.5]}]}})
    with pytest.raises(ModelError, match="malformed edit calibration"):
        EditCalibration.from_dict({"synonym": {"bands": [], "curves": [{"x": ["high"], "y": [0.5]}]}})
    with pytest.raises(ModelError, match="need 2 curves"):
        EditCalibration.from_dict({"synonym": {"bands": [0.5], "curves": [{"x": [0.5], "y": [0.5]}]}})


def test_the_document_score_picks_the_curve() -> None:
    low, high = Curve((0.0, 1.0), (0.0, 0.4)), Curve((0.0, 1.0), (0.0, 0.9))
    banded = EditCalibration({"synonym": KindCalibration((0.5,), (low, high))})
    edit = Edit(0, 3, "abc", "xyz", 1.0)
    assert banded.confidence(edit, 0.2) == pytest.approx(0.4)
    assert banded.confidence(edit, 0.5) == banded.confidence(edit, 0.97) == pytest.approx(0.9)


def test_the_document_restorer_reports_calibrated_confidences_and_makes_the_same_edits() -> None:
    lexicon = SynonymLexicon.from_pairs([("besar", "agung"), ("rumah", "kediaman")])
    vocab = {"besar": 50, "agung": 5, "rumah": 40, "kediaman": 3, "itu": 90, "sekali": 30}
    gen = CandidateGenerator(lexicon, vocab, two_hop=False)
    restorer = Restorer(
        FakeLM({"besar": 4.0, "rumah": 4.0}), gen, case_share={}, config=RestoreConfig(gate=99.0, min_confidence=0.5)
    )

    def judge(outcome: RestoreOutcome) -> Detection:
        return Detection(score=1.0, is_spun=True)

    text = "Kediaman itu agung sekali."
    raw = DocumentRestorer(restorer, judge).restore(text)
    calibrated = DocumentRestorer(restorer, judge, calibration=HALVING).restore(text)
    assert calibrated.text == raw.text == "Rumah itu besar sekali."
    assert len(raw.edits) == 2
    assert [e.confidence for e in calibrated.edits] == pytest.approx([e.confidence / 2 for e in raw.edits])


def test_judging_an_edit_against_the_gold_substitutions() -> None:
    spun = "Dia Mengatakan rumah itu amat sangat besar"
    gold = [SpinEdit(4, 14, "Mengatakan", "bilang"), SpinEdit(25, 36, "amat sangat", "sangat")]
    edits = [
        Edit(4, 14, "Mengatakan", "Bilang", 0.9),  # right: case is ignored
        Edit(15, 20, "rumah", "gedung", 0.9),  # wrong: an original word changed
        Edit(25, 29, "amat", "", 0.9),  # right with the next one: together they give back "sangat"
        Edit(30, 36, "sangat", "sangat", 0.9),
        Edit(37, 42, "besar", "besar", 1.0, "case"),  # not a synonym edit: not judged
    ]
    assert judge_edits(spun, gold, edits) == [True, False, True, True]
    # The same region half restored: the first word of the replacement kept, so both edits are wrong.
    half = [Edit(25, 29, "amat", "amat", 0.9), Edit(30, 36, "sangat", "", 0.9)]
    assert judge_edits(spun, gold, half) == [False, False]


def test_judging_the_restorer_on_a_real_spin_counts_only_restored_substitutions(model: Model) -> None:
    text = "Pemerintah daerah membangun jalan baru di desa itu. Warga merasa senang dengan jalan tersebut."
    spin = Spinner(model.lexicon, rate=0.5, seed=3).spin(text)
    restored = api.restore(spin.text, model=model, force=True)
    judged = judge_edits(spin.text, spin.edits, restored.edits)
    assert len(judged) == sum(e.kind == "synonym" for e in restored.edits)
    gold_spans = [(g.start, g.end) for g in spin.edits if g.kind == "synonym"]
    for e, ok in zip([e for e in restored.edits if e.kind == "synonym"], judged, strict=True):
        if not any(e.start < end and start < e.end for start, end in gold_spans):
            assert not ok


def test_the_fitted_curve_is_monotone_and_tracks_the_true_accuracy() -> None:
    rng = random.Random(0)
    confidence = [rng.random() for _ in range(20_000)]
    correct = [rng.random() < p * p for p in confidence]  # an over-confident scorer: right with probability p^2
    curve = fit_curve(confidence, correct)
    values = [curve(i / 100) for i in range(101)]
    assert values == sorted(values) and values[0] >= 0.0 and values[-1] <= 1.0
    for p in (0.2, 0.5, 0.8, 0.95):
        assert curve(p) == pytest.approx(p * p, abs=0.05)


def test_kinds_with_too_few_judged_edits_keep_their_raw_confidence() -> None:
    samples = {"synonym": [(i / 300, i % 2 == 0, 0.9) for i in range(300)], "repeat": [(0.9, True, 0.9)] * 10}
    fitted = fit_edit_calibration(samples)
    assert set(fitted.kinds) == {"synonym"}


def test_each_score_band_gets_its_own_curve_unless_one_is_too_small() -> None:
    rng = random.Random(1)
    rows = []
    for _ in range(6_000):
        p, score = rng.random(), rng.random()
        rows.append((p, rng.random() < (p if score >= 0.5 else p / 3), score))  # right less often in low bands
    banded = fit_edit_calibration({"synonym": rows}, bands=[0.5]).kinds["synonym"]
    assert banded.bands == (0.5,)
    assert banded(0.9, 0.2) == pytest.approx(0.3, abs=0.06) and banded(0.9, 0.8) == pytest.approx(0.9, abs=0.06)
    too_few = fit_edit_calibration({"synonym": rows}, bands=[0.999]).kinds["synonym"]
    assert too_few.bands == () and len(too_few.curves) == 1


def test_the_default_bundle_lowers_its_over_confident_synonym_edits(model: Model) -> None:
    calibration = model.edit_calibration
    assert calibration is not None and "synonym" in calibration.kinds
    flagged = model.detector.threshold
    assert calibration.kinds["synonym"](0.99, flagged) < 0.99  # the raw posterior overstates how often it is right
    text = "Pemerintah daerah membangun jalan baru di desa itu. Warga merasa senang dengan jalan tersebut."
    spun = Spinner(model.lexicon, rate=0.5, seed=3).spin(text).text
    reported = api.restore(spun, model=model, force=True)

    def judge(outcome: RestoreOutcome) -> Detection:
        return Detection(score=1.0, is_spun=True)

    raw = DocumentRestorer(model.restorer(), judge).restore(spun, force=True)
    assert reported.text == raw.text and raw.edits
    score = reported.detection.score
    assert [e.confidence for e in reported.edits] == pytest.approx(
        [calibration.confidence(e, score) for e in raw.edits]
    )


def test_a_bundle_with_a_malformed_map_fails_when_it_restores(tmp_path: Path, model: Model) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(model.path, copy)
    params = json.loads((copy / "detector.json").read_text(encoding="utf-8"))
    params["edit_calibration"] = {"synonym": {"bands": [], "curves": [{"x": [0.9, 0.1], "y": [0.1, 0.2]}]}}
    (copy / "detector.json").write_text(json.dumps(params), encoding="utf-8")
    broken = Model.load(copy, verify=False)
    with pytest.raises(ModelError, match="sorted"):
        broken.restore("Kediaman itu agung sekali.")
