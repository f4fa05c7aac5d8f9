"""Fit the page model: how the words' accumulated evidence and the footer become a calibrated page score.

Each training page's words get their probabilities under the fitted word model, their likelihood ratios are
summed as :func:`despin.detector.evidence.words_llr` does, and a logistic regression of "spun" on
(LLR, footer) gives the scale, the footer's weight and the bias. The threshold is the lowest score
that flags at most ``max_fpr`` of the clean pages of every register.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from despin.detector.evidence import PageModel
from despin.detector.word_model import WordModel
from despin.likelihood import words_llr

# On calib; the target is 1% on unseen text, and a few hundred pages per register are noisy.
MAX_FPR = 0.005


def page_llrs(words: WordModel, probs: np.ndarray, doc: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Each document's words' LLR and estimated spin rate, from its words' P(changed)."""
    lr = words.likelihood_ratios(probs)
    order = np.argsort(doc, kind="stable")
    bounds = np.searchsorted(doc[order], np.arange(n_docs + 1))
    llr = np.zeros(n_docs)
    rate = np.zeros(n_docs)
    for i in range(n_docs):
        llr[i], rate[i] = words_llr(lr[order[bounds[i] : bounds[i + 1]]])
    return llr, rate


def fit_page_model(
    llr: np.ndarray, footer: np.ndarray, spun: np.ndarray, registers: Sequence[str], *, max_fpr: float = MAX_FPR
) -> PageModel:
    """Scale, footer weight, bias and the per-register threshold."""
    from sklearn.linear_model import LogisticRegression

    x = np.column_stack([llr, footer.astype(float)])
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(x, spun)
    scale, footer_w = (float(v) for v in clf.coef_[0])
    bias = float(clf.intercept_[0])
    log_odds = x @ clf.coef_[0] + bias
    score = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50)))
    regs = np.asarray(registers)
    threshold = 0.5
    for reg in sorted(set(registers)):
        clean = np.sort(score[(regs == reg) & ~spun])
        if len(clean):
            k = int(np.floor(len(clean) * (1 - max_fpr)))
            threshold = max(threshold, float(clean[min(k, len(clean) - 1)]) + 1e-9)
    return PageModel(scale=max(scale, 1e-3), bias=bias, footer_llr=max(footer_w, 0.0), threshold=min(threshold, 0.9999))
