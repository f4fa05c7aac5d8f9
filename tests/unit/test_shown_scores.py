"""The JSON never shows a score that contradicts the verdict printed beside it."""

from __future__ import annotations

import random

from despin.types import Detection, Restoration, shown_score


def test_a_score_just_below_a_threshold_never_shows_as_reaching_it() -> None:
    rng = random.Random(0)
    for _ in range(20_000):
        threshold = round(rng.random(), 4)
        score = threshold - rng.random() * 1e-4
        if score < 0:
            continue
        shown = Detection(score=score, is_spun=score >= threshold).to_dict()["spun_score"]
        assert shown < threshold, (score, threshold, shown)


def test_a_score_at_or_above_a_threshold_shows_as_reaching_it() -> None:
    rng = random.Random(1)
    for _ in range(20_000):
        threshold = round(rng.random() * 0.9999, 4)
        score = min(1.0, threshold + rng.random() * 1e-4)
        assert shown_score(score) >= threshold, (score, threshold)


def test_the_restoration_shows_the_same_score_as_its_detection() -> None:
    det = Detection(score=0.99999999995, is_spun=False)
    res = Restoration(text="x", edits=(), detection=det, footer=None)
    assert res.to_dict()["spun_score"] == det.to_dict()["spun_score"] == 0.9999
