"""The page score's pieces: the exported trees, the accumulated evidence, and the fitted models' files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from despin.detector.evidence import PageModel
from despin.detector.word_model import WordModel
from despin.errors import ModelError
from despin.likelihood import words_llr
from despin.restorer.edit_model import EditModel
from despin.restorer.word_features import WORD_FEATURES
from despin.training.word_evidence import export_trees
from despin.trees import TreeEnsemble


def test_exported_trees_score_exactly_as_scikit_learn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, len(WORD_FEATURES)))
    x[rng.random(x.shape) < 0.2] = np.nan  # unsearched words have no search features
    y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 3]) * np.nan_to_num(x[:, 5]) > 0.3) | np.isnan(x[:, 7])
    clf = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(x, y)
    trees = export_trees(clf)
    test = rng.normal(size=(500, len(WORD_FEATURES)))
    test[rng.random(test.shape) < 0.2] = np.nan
    np.testing.assert_allclose(trees.decision(test), clf.decision_function(test), rtol=1e-9, atol=1e-9)
    # Large inputs are scored in chunks, with the same result.
    big = np.repeat(test, 10, axis=0)
    np.testing.assert_allclose(trees.decision(big), np.repeat(clf.decision_function(test), 10), atol=1e-9)
    again = TreeEnsemble.from_dict(json.loads(json.dumps(trees.to_dict())))
    np.testing.assert_array_equal(again.decision(test), trees.decision(test))


def test_evidence_grows_with_the_page_and_one_decisive_channel_is_not_diluted() -> None:
    odd, neutral = 200.0, 1.0
    # Ordinary words (as likely under either hypothesis) do not dilute a few decisive ones.
    assert words_llr([odd] * 4 + [neutral] * 40)[0] == pytest.approx(words_llr([odd] * 4 + [neutral] * 4000)[0])
    assert words_llr([odd] * 4 + [neutral] * 4000)[0] > 5.0
    # More odd words in the same text: more evidence, and a higher estimated spin rate.
    few, many = words_llr([odd] * 4 + [0.9] * 400), words_llr([odd] * 40 + [0.9] * 400)
    assert many[0] > 5 * few[0] and many[1] > few[1]
    # Words that look clean are evidence against spinning, at most ln(1 - rate) each.
    assert words_llr([odd] * 4 + [0.5] * 400)[0] < few[0] < words_llr([odd] * 4 + [neutral] * 400)[0]
    assert words_llr([0.5] * 1000) == (0.0, 0.01)


def test_word_model_likelihood_ratio_is_the_odds_over_the_base_rate() -> None:
    words = WordModel(None, base_rate=0.1)
    lr = words.likelihood_ratios(np.array([0.1, 0.5, 0.9]))
    np.testing.assert_allclose(lr, [1.0, 9.0, 81.0])


def test_models_round_trip_and_malformed_ones_are_refused() -> None:
    edit = EditModel(lm_weight=0.4)
    assert EditModel.from_dict(json.loads(json.dumps(edit.to_dict()))) == edit
    page = PageModel(scale=0.7, bias=-3.0, footer_llr=0.5, threshold=0.9)
    assert PageModel.from_dict(page.to_dict()) == page
    bad = edit.to_dict()
    del bad["keep"]["odd_capital"]
    with pytest.raises(ModelError, match="keep weights lack odd_capital"):
        EditModel.from_dict(bad)
    with pytest.raises(ModelError, match="feature list differs"):
        WordModel.from_dict({"features": ["fit"], "base_rate": 0.1, "trees": None})


def test_first_stage_round_trips_and_skips_pages_below_its_pre_screen() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from despin.restorer.edit_model import CHEAP_FEATURES
    from despin.restorer.first_stage import FirstStage

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, len(CHEAP_FEATURES)))
    y = x[:, CHEAP_FEATURES.index("odd_capital")] > 1.0  # the only signal: an odd capital
    trees = export_trees(HistGradientBoostingClassifier(max_iter=30).fit(x, y), len(CHEAP_FEATURES))
    stage = FirstStage(trees, base_rate=float(y.mean()), gate=0.3, skip_below=1.0)
    again = FirstStage.from_dict(json.loads(json.dumps(stage.to_dict())))
    np.testing.assert_array_equal(again.probabilities(x[:50]), stage.probabilities(x[:50]))
    clean_page = x[~y][:300]
    odd_page = np.concatenate([x[~y][:280], x[y][:20]])
    assert stage.page_evidence(stage.probabilities(clean_page)) < stage.skip_below
    assert stage.page_evidence(stage.probabilities(odd_page)) > stage.skip_below
    with pytest.raises(ModelError, match="feature list differs"):
        FirstStage.from_dict({**stage.to_dict(), "features": ["fit"]})
