"""A calibrated document score from the evidence a restoration pass leaves behind.

Features are rates, so documents of any length are comparable; a logistic regression fitted on
simulated spins of the ``calib`` split (see :mod:`despin.training.build`) turns them into a
probability, and the threshold is set so that at most 1% of clean calib documents of *every*
register score above it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from despin.errors import ConfigError
from despin.restorer.restorer import RestoreOutcome
from despin.types import Detection, Span

FEATURES: tuple[str, ...] = (
    "synonym_rate",  # confident synonym edits per word
    "evidence",  # summed edit confidence per word
    "capital_rate",  # common words capitalised mid-sentence, per word
    "repeat_rate",  # accidental repeats per word
    "footer",  # a spinner footer is present
    "lm_gain",  # log10 P(restored) - log10 P(observed), per word
    "suspicious_rate",  # words that did not fit their context and had candidate originals
    "log_words",  # document length: short texts carry little evidence either way
    # Features meant to transfer to spinners whose table we never saw (trained across the zoo):
    "unfit_rate",  # words the LM does not want in their context, candidates or not
    "spelling_rate",  # slang, chat abbreviations and typos: a register anomaly in edited prose
    "case_rate",  # odd capitals whose case alone was restored
    "proposed_rate",  # one-word changes on the decoder's path, below the edit bar or not
    "soft_evidence",  # their summed P(changed), per word
)


# Rates are shrunk towards zero by this many pseudo-words: one odd word in a ten-word sentence is
# weak evidence, one in a thousand-word article is none, and without shrinkage the short texts of
# the sentence and Wikipedia registers set the threshold for everyone (recall on news at the 1%
# FPR threshold went from 69% to 90% on calib with it).
PRIOR_WORDS = 40


def features(outcome: RestoreOutcome) -> list[float]:
    """The feature vector of one restoration outcome, in :data:`FEATURES` order."""
    n = outcome.n_words + PRIOR_WORDS
    syn = [e for e in outcome.edits if e.kind == "synonym"]
    return [
        len(syn) / n,
        sum(e.confidence for e in syn) / n,
        outcome.n_capital / n,
        outcome.n_repeat / n,
        1.0 if outcome.footer else 0.0,
        outcome.lm_gain / n,
        outcome.n_candidates / n,
        math.log1p(outcome.n_words),
        outcome.n_unfit / n,
        outcome.n_spelling / n,
        sum(e.kind == "case" for e in outcome.edits) / n,
        outcome.n_proposed / n,
        outcome.soft_changed / n,
    ]


class SpinDetector:
    """Logistic regression over :func:`features` with a calibrated threshold.

    Args:
        weights: one weight per feature name in :data:`FEATURES`.
        bias: the intercept.
        threshold: probability at or above which a document is called spun.
        mean, scale: feature standardisation learned with the weights.

    Example:
        >>> det = SpinDetector({f: 0.0 for f in FEATURES}, bias=0.0, threshold=0.5)
        >>> det.probability([0.0] * len(FEATURES))
        0.5
    """

    def __init__(
        self,
        weights: Mapping[str, float],
        *,
        bias: float,
        threshold: float,
        mean: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
    ) -> None:
        missing = set(FEATURES) - set(weights)
        if missing:
            raise ConfigError(f"detector weights lack features {sorted(missing)}")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"threshold must be in [0, 1], got {threshold}")
        self.w = [float(weights[f]) for f in FEATURES]
        self.bias = float(bias)
        self.threshold = float(threshold)
        self.mean = list(mean) if mean is not None else [0.0] * len(FEATURES)
        self.scale = list(scale) if scale is not None else [1.0] * len(FEATURES)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpinDetector:
        return cls(d["weights"], bias=d["bias"], threshold=d["threshold"], mean=d.get("mean"), scale=d.get("scale"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": dict(zip(FEATURES, self.w, strict=True)),
            "bias": self.bias,
            "threshold": self.threshold,
            "mean": self.mean,
            "scale": self.scale,
        }

    def probability(self, x: Sequence[float]) -> float:
        z = self.bias + sum(w * (v - m) / s for w, v, m, s in zip(self.w, x, self.mean, self.scale, strict=True))
        z = max(-50.0, min(50.0, z))
        return 1.0 / (1.0 + math.exp(-z))

    def detect(self, outcome: RestoreOutcome, *, threshold: float | None = None) -> Detection:
        """The document verdict; spans are the edits' observed spans with their confidences."""
        # With no word there is nothing a spinner could have touched; the regression's intercept
        # alone would otherwise score such a text (emoji, digits, punctuation) around 0.8.
        score = self.probability(features(outcome)) if outcome.n_words else 0.0
        cut = self.threshold if threshold is None else threshold
        if not 0.0 <= cut <= 1.0:
            raise ConfigError(f"threshold must be in [0, 1], got {cut}")
        spans = [Span(e.start, e.end, e.observed, e.confidence) for e in outcome.edits if e.kind != "repeat"]
        spans += [Span(e.start, e.end, e.observed, e.confidence) for e in outcome.edits if e.kind == "repeat"]
        if outcome.footer:
            f = outcome.footer
            spans.append(Span(f.start, f.end, f.text, 1.0))
        spans.sort(key=lambda s: (s.start, s.end))
        return Detection(score=score, is_spun=score >= cut, spans=tuple(_disjoint(spans)), threshold=cut)


def _disjoint(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in spans:
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
