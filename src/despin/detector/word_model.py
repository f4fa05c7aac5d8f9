"""The word model: each word's probability that the spinner changed it, and the likelihood ratio that makes it evidence.

It reads the word's evidence row (:mod:`despin.restorer.word_features`): the first stage's cheap
features and, for a searched word, the summary of its readings. A gradient-boosted tree ensemble
(:mod:`despin.trees`) fitted on the spinner zoo gives P(changed); since it was fitted
where a share ``base_rate`` of the words were changed, the likelihood ratio of a word's evidence
is ``odds(p) / odds(base_rate)``.

On dev spins, trees over these rows separate changed from untouched words far better than the
conditional logit's own P(keep) (word AUROC 0.93 against 0.87; among untouched news words, 0.03%
reach a likelihood ratio of 100 against 0.13%), which is what a page score summing words needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.errors import ModelError
from despin.likelihood import likelihood_ratios
from despin.restorer.word_features import SEARCH_FEATURES, WORD_FEATURES
from despin.trees import TreeEnsemble

_P_KEEP = len(WORD_FEATURES) - len(SEARCH_FEATURES) + SEARCH_FEATURES.index("p_keep")
# Without fitted trees (a bundle built before them): a searched word's P(changed) is the edit
# model's 1 - P(keep), and an unsearched word gets this.
UNSEARCHED_PRIOR = 0.02


@dataclass(frozen=True)
class WordModel:
    """P(changed) of words from their evidence rows, and their likelihood ratios."""

    trees: TreeEnsemble | None
    base_rate: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 < self.base_rate < 1.0:
            raise ModelError(f"word model: base_rate must be in (0, 1), got {self.base_rate}")
        if self.trees is not None and self.trees.n_features != len(WORD_FEATURES):
            raise ModelError(f"word model: trees read {self.trees.n_features} features, rows have {len(WORD_FEATURES)}")

    def probabilities(self, rows: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """Each word's P(changed)."""
        x = np.asarray(rows, dtype=np.float64).reshape(-1, len(WORD_FEATURES))
        if self.trees is not None:
            return self.trees.probability(x)
        p_keep = x[:, _P_KEEP]
        return np.where(np.isnan(p_keep), UNSEARCHED_PRIOR, 1.0 - np.nan_to_num(p_keep))

    def likelihood_ratios(self, p: np.ndarray) -> np.ndarray:
        """P(evidence | changed) / P(evidence | kept) of words whose P(changed) is ``p`` (capped)."""
        return likelihood_ratios(p, self.base_rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(WORD_FEATURES),
            "base_rate": self.base_rate,
            "trees": None if self.trees is None else self.trees.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WordModel:
        if list(data.get("features", [])) != list(WORD_FEATURES):
            raise ModelError("word model: its feature list differs from this despin's (rebuild the model)")
        trees = data.get("trees")
        try:
            return cls(None if trees is None else TreeEnsemble.from_dict(trees), float(data["base_rate"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"word model is malformed: {exc}") from None
