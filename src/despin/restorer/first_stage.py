"""The first stage: what one LM pass over the observed words says, before any candidate is searched.

Trees over each word's cheap features (:data:`despin.restorer.edit_model.CHEAP_FEATURES`) give its
probability of having been changed. The page's evidence from these alone (summed as the page score
sums, :func:`despin.likelihood.words_llr`) decides whether the page needs the decoder at all:
a page below ``skip_below`` is one the full page score would not flag, so detecting it needs no
search, and restoring it changes nothing. On a page that goes on, the words at or above ``gate`` are
searched, and the others kept.

The gate is set at build time to send most changed words whose original the sources can find to the
search (``despin.training.first_stage``), and ``skip_below`` so that almost no page the full score
flags would have been skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.errors import ModelError
from despin.likelihood import likelihood_ratios, words_llr
from despin.restorer.edit_model import CHEAP_FEATURES
from despin.trees import TreeEnsemble


@dataclass(frozen=True)
class FirstStage:
    """Cheap per-word probabilities, the search gate, and the page pre-screen.

    Args:
        trees: P(changed) from the cheap features (None before a fit: every word is searched).
        base_rate: the share of changed words the trees were fitted on.
        gate: words at or above this probability are searched.
        skip_below: pages whose cheap evidence is below this are not decoded (-inf: never skip).
    """

    trees: TreeEnsemble | None = None
    base_rate: float = 0.1
    gate: float = 0.0
    skip_below: float = -math.inf

    def __post_init__(self) -> None:
        if self.trees is not None and self.trees.n_features != len(CHEAP_FEATURES):
            raise ModelError(f"first stage reads {self.trees.n_features} features, words have {len(CHEAP_FEATURES)}")
        if not 0.0 < self.base_rate < 1.0 or not 0.0 <= self.gate <= 1.0:
            raise ModelError("first stage: base_rate in (0, 1) and gate in [0, 1] are required")

    def probabilities(self, cheap: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        x = np.asarray(cheap, dtype=np.float64).reshape(-1, len(CHEAP_FEATURES))
        if self.trees is None:
            return np.ones(len(x))
        return self.trees.probability(x)

    def page_evidence(self, p: np.ndarray) -> float:
        """The page's log-likelihood ratio from the cheap probabilities alone."""
        return words_llr(likelihood_ratios(p, self.base_rate))[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(CHEAP_FEATURES),
            "trees": None if self.trees is None else self.trees.to_dict(),
            "base_rate": self.base_rate,
            "gate": self.gate,
            "skip_below": None if math.isinf(self.skip_below) else self.skip_below,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FirstStage:
        if list(data.get("features", [])) != list(CHEAP_FEATURES):
            raise ModelError("first stage: its feature list differs from this despin's (rebuild the model)")
        try:
            trees = data.get("trees")
            skip = data.get("skip_below")
            return cls(
                None if trees is None else TreeEnsemble.from_dict(trees),
                float(data["base_rate"]),
                float(data["gate"]),
                -math.inf if skip is None else float(skip),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"first stage is malformed: {exc}") from None
