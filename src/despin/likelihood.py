"""The arithmetic of evidence: probabilities to likelihood ratios, and a page's ratios summed under a spin rate.

A word whose probability of having been changed is ``p``, under a model fitted where a share ``b`` of
words were changed, carries the likelihood ratio ``odds(p) / odds(b)``. Under "the page was spun at
rate rho", each word is changed with probability rho, so against "not spun" the page's log-likelihood
ratio is ``sum_i ln(1 - rho + rho * LR_i)``: a word that looks clean costs at most ``ln(1 - rho)``,
a word that looks spun adds up to ``ln(rho * LR_i)``; the page's evidence is the best rate's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The spin rates a page is tested against: from a light touch to a heavy farm.
RATES: tuple[float, ...] = (0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2, 0.3, 0.45)
# One word's likelihood ratio is capped: no single word proves a page spun.
MAX_LR = 1e4


def likelihood_ratios(p: np.ndarray, base_rate: float) -> np.ndarray:
    """``odds(p) / odds(base_rate)``, capped at :data:`MAX_LR`.

    Example:
        >>> likelihood_ratios(np.array([0.1, 0.5, 0.9]), 0.1).round(6).tolist()
        [1.0, 9.0, 81.0]
    """
    q = np.clip(p, 1e-6, 1.0 - 1e-6)
    return np.asarray(np.minimum(q / (1.0 - q) * ((1.0 - base_rate) / base_rate), MAX_LR))


def words_llr(lrs: Sequence[float] | np.ndarray, rates: Sequence[float] = RATES) -> tuple[float, float]:
    """The best rate's log-likelihood ratio of words with likelihood ratios ``lrs``, and that rate.

    Example:
        >>> words_llr([1.0] * 50)[0]
        0.0
        >>> llr, rate = words_llr([50.0] * 10 + [0.5] * 90)
        >>> round(llr, 1), rate
        (14.3, 0.2)
    """
    x = np.asarray(lrs, dtype=np.float64) - 1.0
    best, best_rate = 0.0, rates[0]
    for rho in rates:
        total = float(np.log1p(rho * x).sum())
        if total > best:
            best, best_rate = total, rho
    return best, best_rate
