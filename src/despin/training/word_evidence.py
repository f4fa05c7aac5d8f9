"""Fit the word model: gradient-boosted trees over every word's evidence row, exported for :mod:`despin.trees`.

The rows are what the restorer computes at run time (:func:`despin.restorer.word_features.word_row`):
the cheap features of every word and, for the words the fitted gate searches, a summary of their
readings under the fitted conditional logit. :func:`evidence_rows` builds them for a whole position
table at once with numpy; a test checks it against ``word_row`` on real pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from despin.detector.word_model import WordModel
from despin.restorer.edit_model import KIND_INDEX
from despin.restorer.word_features import MAX_GAIN, SEARCH_FEATURES, WORD_FEATURES
from despin.training.edit_model import _x_matrix
from despin.training.positions import LM_COL, N_KEEP, REPEAT_COL
from despin.trees import TreeEnsemble

N_KINDS = len(KIND_INDEX)
NO_GAIN = -30.0
# The trees: enough to model interactions of a few features, regularised for 100k-1M words.
TREE_PARAMS: dict[str, Any] = {
    "max_iter": 300,
    "learning_rate": 0.08,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}


def evidence_rows(arrays: Mapping[str, np.ndarray], theta: np.ndarray, searched: np.ndarray) -> np.ndarray:
    """Every position's evidence row (WORD_FEATURES), search features NaN where ``searched`` is false."""
    cheap = arrays["cheap"]
    n_pos = len(cheap)
    out = np.full((n_pos, len(WORD_FEATURES)), np.nan)
    out[:, : cheap.shape[1]] = cheap
    pos = np.flatnonzero(searched)
    if not len(pos):
        return out
    start, n = arrays["start"][pos], arrays["n_readings"][pos]
    idx = np.concatenate([np.arange(a, a + k) for a, k in zip(start.tolist(), n.tolist(), strict=True)])
    rows = arrays["rows"][idx]
    score = _x_matrix(rows) @ theta
    group = np.repeat(np.arange(len(pos)), n)
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    top = np.full(len(pos), -np.inf)
    np.maximum.at(top, group, score)
    e = np.exp(score - top[group])
    p_keep = e[first] / np.bincount(group, weights=e, minlength=len(pos))
    keep_lm = rows[first, LM_COL]
    # Rank the other readings by score within each position: the best and the runner-up ("none of these",
    # the last reading, is no alternative to write).
    other = np.ones(len(idx), dtype=bool)
    other[first] = False
    other[first + n - 1] = False
    order = np.lexsort((-score, group))  # by position, then best score first
    order = order[other[order]]
    og = group[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = og[1:] != og[:-1]
    best_idx = np.full(len(pos), -1)
    best_idx[og[head]] = order[head]
    second_mask = np.zeros(len(order), dtype=bool)
    second_mask[1:] = (~head[1:]) & head[:-1]
    second_idx = np.full(len(pos), -1)
    second_idx[og[second_mask]] = order[second_mask]
    has_best, has_second = best_idx >= 0, second_idx >= 0
    c0 = cheap.shape[1]
    block = np.zeros((len(pos), len(SEARCH_FEATURES)))
    block[:, 0] = 1.0
    block[:, 1] = NO_GAIN
    block[:, 2] = NO_GAIN
    bi = best_idx[has_best]
    block[has_best, 1] = np.minimum((rows[bi, LM_COL] - keep_lm[has_best]) * np.log(10.0), MAX_GAIN)
    si = second_idx[has_second]
    block[has_second, 2] = np.minimum((rows[si, LM_COL] - keep_lm[has_second]) * np.log(10.0), MAX_GAIN)
    cand = rows[bi, N_KEEP : N_KEEP + N_KINDS + 3]
    is_repeat = rows[bi, REPEAT_COL] > 0
    kinds = cand[:, :N_KINDS] * (~is_repeat)[:, None]
    block[has_best, 3 : 3 + N_KINDS] = kinds
    block[has_best, 3 + N_KINDS] = is_repeat.astype(float)
    block[has_best, 4 + N_KINDS : 7 + N_KINDS] = cand[:, N_KINDS : N_KINDS + 3] * (~is_repeat)[:, None]
    block[:, 7 + N_KINDS] = n - 2
    block[:, 8 + N_KINDS] = p_keep
    out[pos, c0:] = block
    return out


def export_trees(clf: Any, n_features: int = len(WORD_FEATURES)) -> TreeEnsemble:
    """A fitted ``HistGradientBoostingClassifier`` (binary, numeric features) as a :class:`TreeEnsemble`."""
    trees = []
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        trees.append(
            [
                {
                    "feature": int(nd["feature_idx"]),
                    "threshold": float(nd["num_threshold"]),
                    "left": i if nd["is_leaf"] else int(nd["left"]),
                    "right": i if nd["is_leaf"] else int(nd["right"]),
                    "value": float(nd["value"]) if nd["is_leaf"] else 0.0,
                    "leaf": bool(nd["is_leaf"]),
                    "missing_left": bool(nd["missing_go_to_left"]),
                }
                for i, nd in enumerate(nodes)
            ]
        )
    baseline = float(np.ravel(clf._baseline_prediction)[0])
    return TreeEnsemble.from_nodes(n_features, baseline, trees)


def fit_trees(x: np.ndarray, y: np.ndarray, *, seed: int = 0, params: Mapping[str, Any] | None = None) -> TreeEnsemble:
    """Gradient-boosted trees of ``y`` on ``x`` (scikit-learn), exported for numpy evaluation."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # One OpenMP thread: on a shared machine its threads spin-wait for each other, and one fit took
    # over an hour of wall time where a single thread takes about a minute.
    with threadpool_limits(1):
        clf = HistGradientBoostingClassifier(random_state=seed, **(params or TREE_PARAMS)).fit(x, y)
    return export_trees(clf, x.shape[1])


def fit_word_model(rows: np.ndarray, changed: np.ndarray, *, seed: int = 0) -> WordModel:
    """Trees of P(changed) over ``rows``, and the base rate of the training words."""
    base = float(np.clip(changed.mean(), 1e-4, 1 - 1e-4))
    return WordModel(fit_trees(rows, changed, seed=seed), base)
