"""Noisy-channel Viterbi decoding of one sentence over a lattice of candidate originals.

A path explains the observed tokens as a sequence of arcs: *keep* a token, *replace* a span of
1..K tokens by a candidate original, or *delete* an accidental repeat. Its score is

    lm_weight * ln P_LM(emitted words) + sum of arc channel scores

where keeping a word costs ``ln(1 - rho)`` and replacing it costs ``ln(rho) + ln P(obs | orig)``,
``rho`` being the prior that a word was spun. The beam keeps the best hypotheses per position,
recombined by KenLM state, so decoding is exact Viterbi whenever the beam does not overflow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LN10 = math.log(10.0)


@dataclass(frozen=True, slots=True)
class Arc:
    start: int  # token index within the sentence
    length: int  # observed tokens consumed
    words: tuple[str, ...]  # emitted LM words
    cost: float  # channel score (natural log)
    kind: str  # "keep" | "synonym" | "repeat"
    original: str = ""  # the candidate original, for "synonym"


@dataclass(slots=True)
class _Hyp:
    score: float
    state: Any
    back: _Hyp | None
    arc: Arc | None


def viterbi(lm: Any, arcs_at: Sequence[Sequence[Arc]], *, lm_weight: float = 1.0, beam: int = 8) -> list[Arc]:
    """Best arc sequence covering all positions. ``arcs_at[p]`` are the arcs starting at token p."""
    n = len(arcs_at)
    w = lm_weight * LN10
    frontier: list[dict[Any, _Hyp]] = [{} for _ in range(n + 1)]
    start = lm.begin()
    frontier[0][start] = _Hyp(0.0, start, None, None)
    score_fn = lm.model.BaseScore
    new_state = lm.new_state
    for p in range(n):
        hyps = frontier[p]
        if not hyps:
            continue
        arcs = arcs_at[p]
        if len(hyps) == 1 and len(arcs) == 1 and arcs[0].length == 1:
            # The common case, a kept word after the beam collapsed: no choice, no recombination.
            (hyp,) = hyps.values()
            arc = arcs[0]
            state, lp = hyp.state, 0.0
            for word in arc.words:
                out = new_state()
                lp += score_fn(state, word, out)
                state = out
            score = hyp.score + w * lp + arc.cost
            prev = frontier[p + 1].get(state)
            if prev is None or score > prev.score:
                frontier[p + 1][state] = _Hyp(score, state, hyp, arc)
            continue
        if len(hyps) > beam:
            hyps = dict(sorted(hyps.items(), key=lambda kv: -kv[1].score)[:beam])
        for arc in arcs_at[p]:
            target = frontier[p + arc.length]
            for hyp in hyps.values():
                state = hyp.state
                lp = 0.0
                for word in arc.words:
                    out = new_state()
                    lp += score_fn(state, word, out)
                    state = out
                score = hyp.score + w * lp + arc.cost
                prev = target.get(state)
                if prev is None or score > prev.score:
                    target[state] = _Hyp(score, state, hyp, arc)
    best: _Hyp | None = None
    best_score = -math.inf
    for hyp in frontier[n].values():
        total = hyp.score + w * lm.end(hyp.state)
        if total > best_score:
            best, best_score = hyp, total
    path: list[Arc] = []
    while best is not None and best.arc is not None:
        path.append(best.arc)
        best = best.back
    path.reverse()
    return path


def window_score(
    lm: Any, left: Sequence[str], middle: Sequence[str], right: Sequence[str], *, bos: bool, eos: bool
) -> float:
    """log10 P of ``middle + right`` given ``left``: the part of a sentence score an arc choice changes."""
    state = lm.begin() if bos else lm.null()
    _, state = lm.advance_many(state, left)
    total, state = lm.advance_many(state, list(middle) + list(right))
    if eos:
        total += lm.end(state)
    return float(total)
