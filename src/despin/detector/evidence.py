"""A page score that accumulates evidence: every word's likelihood ratio, summed, plus the footer.

Each word of a page carries a probability that the spinner changed it, from the word model
(:mod:`despin.detector.word_model`) reading what the first stage and the search saw, and with it a
likelihood ratio ``LR_i = P(evidence | changed) / P(evidence | kept)``. Under "the page was spun at rate rho", a word
is changed with probability rho, so against "not spun" the page's log-likelihood ratio is

    LLR(rho) = sum_i ln(1 - rho + rho * LR_i)

A word that looks clean costs at most ``ln(1 - rho)``; a word that looks spun adds up to
``ln(rho * LR_i)``, so the evidence grows with the length of the page, and a decisive word is never
averaged away by the ordinary ones. The page's evidence is the best rate's, and the rate itself
(:attr:`PageEvidence.rate`) sets the prior of each edit when the page is restored. A spinner's
source footer is one more channel, with its own log-likelihood ratio.

The page's log-odds is ``scale * LLR + footer + bias``: ``scale`` tempers the sum for words whose
evidence is not independent, and both are fitted on simulated spins of the calib split, with the
threshold set so that at most 1% of the clean calib pages of every register are flagged
(:mod:`despin.training.page_model`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.detector.word_model import WordModel
from despin.errors import ConfigError, ModelError
from despin.likelihood import words_llr
from despin.restorer.restorer import RestoreOutcome
from despin.types import Detection, Span

# A span is listed as suspicious when it is more likely changed than not.
SUSPICIOUS = 0.5


@dataclass(frozen=True, slots=True)
class PageEvidence:
    """The accumulated evidence of one page."""

    llr: float  # the best rate's log-likelihood ratio of the words
    rate: float  # that rate: the estimated share of words the spinner changed
    footer: float  # the footer channel's log-likelihood ratio (0 without a footer)
    log_odds: float  # the page's calibrated log-odds of being spun
    word_lrs: tuple[float, ...] = ()  # each word's likelihood ratio, in page order


@dataclass(frozen=True)
class PageModel:
    """How the channels combine into a calibrated page score.

    Args:
        scale: the weight of the words' log-likelihood ratio.
        bias: the page's prior log-odds (with no evidence either way).
        footer_llr: the footer channel's log-likelihood ratio.
        threshold: the score at or above which a page is called spun.
    """

    scale: float = 0.5
    bias: float = -4.0
    footer_llr: float = 1.0
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold must be in [0, 1], got {self.threshold}")
        if self.scale <= 0:
            raise ModelError(f"page model: scale must be positive, got {self.scale}")

    def log_odds(self, llr: np.ndarray, footer: np.ndarray) -> np.ndarray:
        """Pages' calibrated log-odds from their words' evidence and their footer (1.0 with one)."""
        return np.asarray(self.scale * llr + self.footer_llr * footer + self.bias)

    @property
    def log_odds_threshold(self) -> float:
        """The threshold in log-odds."""
        t = min(max(self.threshold, 1e-12), 1 - 1e-12)
        return math.log(t / (1 - t))

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "bias": self.bias, "footer_llr": self.footer_llr, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PageModel:
        try:
            return cls(float(data["scale"]), float(data["bias"]), float(data["footer_llr"]), float(data["threshold"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"page model is malformed: {exc}") from None


class EvidenceDetector:
    """Score pages from a restoration pass: the words' evidence, the footer, a calibrated log-odds.

    Args:
        words: the word model (each word's P(changed) and likelihood ratio).
        page: how the channels combine, and the threshold.
    """

    def __init__(self, words: WordModel, page: PageModel) -> None:
        self.words, self.page = words, page

    @property
    def threshold(self) -> float:
        return self.page.threshold

    def evidence(self, outcome: RestoreOutcome) -> PageEvidence:
        """The page's accumulated evidence."""
        lrs = self.words.likelihood_ratios(self.words.probabilities(outcome.rows)).tolist()
        llr, rate = words_llr(lrs)
        footer = self.page.footer_llr if outcome.footer is not None else 0.0
        log_odds = self.page.scale * llr + footer + self.page.bias
        return PageEvidence(llr, rate, footer, log_odds, tuple(lrs))

    def detect(self, outcome: RestoreOutcome, *, threshold: float | None = None) -> tuple[Detection, PageEvidence]:
        """The page verdict and its evidence; spans are the proposals more likely changed than not, and a footer."""
        ev = self.evidence(outcome)
        # With no word there is nothing a spinner could have touched.
        score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, ev.log_odds)))) if outcome.n_words else 0.0
        cut = self.page.threshold if threshold is None else threshold
        if not 0.0 <= cut <= 1.0:
            raise ConfigError(f"threshold must be in [0, 1], got {cut}")
        scored = (Span(p.start, p.end, p.observed, span_score(ev.word_lrs[p.word], ev.rate)) for p in outcome.proposals)
        spans = [s for s in scored if s.score >= SUSPICIOUS]
        if outcome.footer and not outcome.footer.is_bracketed_credit:
            f = outcome.footer
            spans.append(Span(f.start, f.end, f.text, 1.0))
        spans.sort(key=lambda s: (s.start, s.end))
        return Detection(score=score, is_spun=score >= cut, spans=tuple(_disjoint(spans)), threshold=cut), ev


def span_score(lr: float, rate: float) -> float:
    """P(the span was changed) given its likelihood ratio and the page's estimated spin rate."""
    odds = lr * rate / (1.0 - rate)
    return odds / (1.0 + odds)


def _disjoint(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in spans:
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
