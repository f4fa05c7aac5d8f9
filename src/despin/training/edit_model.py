"""Fit the edit model on training positions (:mod:`despin.training.positions`).

Three fits, each on what the one before leaves:

1. the first stage: trees of "the spinner changed this word" on the features of one LM pass, over
   every word; its gate is the lowest probability that still sends :data:`GATE_RECALL` of the changed
   words whose original the sources find to the search;
2. the conditional logit over the readings of each word the gate passes, by maximum likelihood of
   the truth: the gold reading, keep, or, for a changed word whose original no source found, "none of
   these";
after which :mod:`despin.training.word_evidence` fits the word model on what both saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from despin.restorer.decoder import LN10
from despin.restorer.edit_model import (
    CANDIDATE_FEATURES,
    KEEP_FEATURES,
    ODD_BESIDE_CAPITAL,
    ODD_CAPITAL,
    REPEAT,
    EditModel,
)
from despin.restorer.first_stage import FirstStage
from despin.training.positions import LM_COL, N_CAND, N_KEEP, N_UNKNOWN, REPEAT_COL, UNKNOWN_COL

# Share of the changed words with a findable original that the gate must send to the search. On the
# zoo, trees over the cheap features pass 30% of untouched words at 0.90 (a logistic model: 42%).
GATE_RECALL = 0.9
FIRST_STAGE_TREES: dict[str, Any] = {
    "max_iter": 150,
    "learning_rate": 0.1,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
}
# L2 penalty of the conditional logit (per weight, in the units of the summed log-likelihood per position).
L2 = 1e-3


def fit_first_stage(arrays: Mapping[str, np.ndarray], mask: np.ndarray, *, seed: int = 0) -> FirstStage:
    """Trees of P(changed) over the cheap features of every word, and the gate (no pre-screen yet)."""
    from despin.training.word_evidence import fit_trees

    x = arrays["cheap"][mask]
    y = arrays["changed"][mask]
    trees = fit_trees(x, y, seed=seed, params=FIRST_STAGE_TREES)
    q = trees.probability(x)
    findable = y & (arrays["label"][mask] < arrays["n_readings"][mask] - 1)  # the truth is not "none of these"
    gate = float(np.quantile(q[findable], 1.0 - GATE_RECALL)) if findable.any() else 0.5
    return FirstStage(trees, float(np.clip(y.mean(), 1e-4, 1 - 1e-4)), gate)


def searched_positions(arrays: Mapping[str, np.ndarray], first_stage: FirstStage) -> np.ndarray:
    """Whether each position is searched at run time: the first stage reaches the gate, or an odd capital or repeat."""
    cheap = arrays["cheap"]
    q = first_stage.probabilities(cheap)
    odd = (cheap[:, ODD_CAPITAL] > 0) | (cheap[:, ODD_BESIDE_CAPITAL] > 0)
    return np.asarray((q >= first_stage.gate) | odd | (cheap[:, REPEAT] > 0))


def _logit_data(arrays: Mapping[str, np.ndarray], positions: np.ndarray) -> dict[str, np.ndarray]:
    """Rows and label masks of the chosen positions, re-indexed for the conditional logit."""
    start, n, label = arrays["start"][positions], arrays["n_readings"][positions], arrays["label"][positions]
    idx = np.concatenate([np.arange(a, a + k) for a, k in zip(start.tolist(), n.tolist(), strict=True)])
    rows = arrays["rows"][idx]
    group = np.repeat(np.arange(len(positions)), n)
    offsets = np.concatenate([[0], np.cumsum(n)[:-1]])
    local = np.arange(len(idx)) - offsets[group]
    target = local == label[group]
    return {"x": rows, "group": group, "target": target, "n_groups": len(positions)}


def _x_matrix(rows: np.ndarray) -> np.ndarray:
    """Rows with the LM column in natural log (its weight is then the LM weight)."""
    x = rows.copy()
    x[:, LM_COL] *= LN10
    return x


def fit_conditional_logit(data: Mapping[str, Any], *, l2: float = L2) -> np.ndarray:
    """Weights over LAYOUT maximizing sum over positions of ln P(truth | readings)."""
    from scipy.optimize import minimize

    x = _x_matrix(data["x"])
    group, target, g = data["group"], data["target"], data["n_groups"]
    d = x.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ theta
        top = np.full(g, -np.inf)
        np.maximum.at(top, group, s)
        e = np.exp(s - top[group])
        z_all = np.bincount(group, weights=e, minlength=g)
        z_t = np.bincount(group, weights=e * target, minlength=g)
        ll = np.sum(np.log(z_t + 1e-300) - np.log(z_all))
        p_all = e / z_all[group]
        p_t = np.where(target, e / np.maximum(z_t[group], 1e-300), 0.0)
        grad = (p_t - p_all) @ x
        n = max(g, 1)
        return -ll / n + l2 * float(theta @ theta), -grad / n + 2 * l2 * theta

    theta0 = np.zeros(d)
    theta0[LM_COL] = 1.0
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return np.asarray(res.x)


def keep_probability(theta: np.ndarray, arrays: Mapping[str, np.ndarray], positions: np.ndarray) -> np.ndarray:
    """P(keep) of each chosen position under ``theta`` (keep is its first reading)."""
    start, n = arrays["start"][positions], arrays["n_readings"][positions]
    idx = np.concatenate([np.arange(a, a + k) for a, k in zip(start.tolist(), n.tolist(), strict=True)])
    s = _x_matrix(arrays["rows"][idx]) @ theta
    group = np.repeat(np.arange(len(positions)), n)
    top = np.full(len(positions), -np.inf)
    np.maximum.at(top, group, s)
    e = np.exp(s - top[group])
    z = np.bincount(group, weights=e, minlength=len(positions))
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    return np.asarray(e[first] / z)


def fit_edit_model(
    arrays: Mapping[str, np.ndarray], mask: np.ndarray | None = None, *, seed: int = 0
) -> tuple[EditModel, FirstStage, np.ndarray]:
    """The first stage and the conditional logit from the positions in ``mask`` (all when None).

    Returns both, and which positions the first stage's gate searches.
    """
    n_pos = len(arrays["doc"])
    mask = np.ones(n_pos, dtype=bool) if mask is None else mask
    first_stage = fit_first_stage(arrays, mask, seed=seed)
    searched = searched_positions(arrays, first_stage)
    theta = fit_conditional_logit(_logit_data(arrays, np.flatnonzero(mask & searched)))
    model = EditModel(
        lm_weight=float(max(theta[LM_COL], 1e-3)),
        keep=tuple(float(v) for v in theta[:N_KEEP]),
        candidate=tuple(float(v) for v in theta[N_KEEP : N_KEEP + N_CAND]),
        repeat_delete=float(theta[REPEAT_COL]),
        unknown=tuple(float(v) for v in theta[UNKNOWN_COL : UNKNOWN_COL + N_UNKNOWN]),
        fitted=True,
    )
    return model, first_stage, searched


def theta_of(model: EditModel) -> np.ndarray:
    """The conditional logit's weights over LAYOUT."""
    return np.array([*model.keep, *model.candidate, model.repeat_delete, *model.unknown, model.lm_weight])


def describe(model: EditModel) -> dict[str, Any]:
    """The fitted weights by name, for logs and reports."""
    return {
        "lm_weight": model.lm_weight,
        "keep": dict(zip(KEEP_FEATURES, model.keep, strict=True)),
        "candidate": dict(zip(CANDIDATE_FEATURES, model.candidate, strict=True)),
        "repeat_delete": model.repeat_delete,
    }
