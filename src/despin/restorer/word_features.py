"""Each word's evidence row: what the first stage saw, and what the search found (NaN where it did not search).

The page score's word model (:mod:`despin.detector.word_model`) reads one row per word. A searched
word adds a summary of its readings under the edit model: how much better the best alternative
fits than the word as written (in nats of the LM), the runner-up's margin, which source proposed
the best one and how strongly it is linked to the word, and the edit model's own P(keep).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from despin.restorer.decoder import LN10, ArcKind
from despin.restorer.edit_model import CHEAP_FEATURES, KIND_INDEX
from despin.restorer.sources.base import CandidateKind

if TYPE_CHECKING:
    from despin.restorer.lattice import Searched

SEARCH_FEATURES: tuple[str, ...] = (
    "searched",
    "best_gain",  # ln P_LM(best alternative) - ln P_LM(as written), over the same window
    "second_gain",  # the same for the runner-up
    *(f"best_kind_{k.value}" for k in CandidateKind),
    "best_repeat",  # the best alternative deletes a repeat
    "best_log_channel",
    "best_relatedness",
    "best_freq_ratio",
    "n_readings",
    "p_keep",  # the edit model's P(kept as written)
)
WORD_FEATURES: tuple[str, ...] = (*CHEAP_FEATURES, *SEARCH_FEATURES)
N_CHEAP = len(CHEAP_FEATURES)
_NOT_SEARCHED = [math.nan] * len(SEARCH_FEATURES)
_N_KINDS = len(KIND_INDEX)
# Offsets of the candidate features that the summary copies (see CANDIDATE_FEATURES).
_CHANNEL, _RELATED, _FREQ = _N_KINDS, _N_KINDS + 1, _N_KINDS + 2
_NO_GAIN = -30.0
# LM gains are capped: past this, an unknown word's penalty (a name, a foreign word) says no more.
MAX_GAIN = 15.0


def word_row(cheap: Sequence[float], searched: Searched | None) -> list[float]:
    """The evidence row of a word from its cheap features and, if it was searched, its readings."""
    if searched is None:
        return [*cheap, *_NOT_SEARCHED]
    readings = searched.readings
    keep = readings[0]
    others = sorted(readings[1:], key=_score, reverse=True)
    kinds = [0.0] * _N_KINDS
    best_repeat = 0.0
    channel = related = freq = 0.0
    best_gain = second_gain = _NO_GAIN
    if others:
        best = others[0]
        best_gain = min((best.lm - keep.lm) * LN10, MAX_GAIN)
        if len(others) > 1:
            second_gain = min((others[1].lm - keep.lm) * LN10, MAX_GAIN)
        if best.kind is ArcKind.REPEAT:
            best_repeat = 1.0
        elif best.candidate is not None:
            kinds[KIND_INDEX[best.candidate.kind]] = 1.0
            channel, related, freq = best.features[_CHANNEL], best.features[_RELATED], best.features[_FREQ]
    return [
        *cheap,
        1.0,
        best_gain,
        second_gain,
        *kinds,
        best_repeat,
        channel,
        related,
        freq,
        float(len(others)),
        searched.p_keep,
    ]


def _score(r: object) -> float:
    return float(r.score)  # type: ignore[attr-defined]
