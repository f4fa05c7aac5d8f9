"""Noisy-channel Viterbi decoding of one sentence over a lattice of candidate originals.

A path explains the observed tokens as a sequence of arcs: *keep* a token, *replace* a span of
1..K tokens by a candidate original, or *delete* an accidental repeat. Its score is

    lm_weight * ln P_LM(emitted words) + sum of arc channel scores

where keeping a word costs ``ln(1 - rho)`` and replacing it costs ``ln(rho) + ln P(obs | orig)``,
``rho`` being the prior that a word was spun. The beam keeps the best hypotheses per position,
recombined by KenLM state, so decoding is exact Viterbi whenever the beam does not overflow.

Building the lattice, decoding it and scoring the confidence of each edit ask KenLM for many of
the same transitions (the observed words, each candidate after the observed left context, the
word after it); a :class:`Transitions` memo shared by the three scores each one once. Calling
KenLM from Python costs far more than its look-up (the word is re-encoded on every call).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any

from despin.lm.base import LanguageModel
from despin.restorer.sources.base import CandidateKind

LN10 = math.log(10.0)


class ArcKind(StrEnum):
    """What an arc does with the observed tokens it covers."""

    KEEP = "keep"  # emit them as written
    SYNONYM = "synonym"  # emit a candidate original instead
    REPEAT = "repeat"  # delete an accidental repeat


# Arcs are created by the thousand per document, so they are neither frozen (a frozen
# dataclass costs 5x more to create) nor compared by value: they compare by identity, and a
# lattice never holds two equal arcs at one position.
@dataclass(slots=True, eq=False)
class Arc:
    start: int  # token index within the sentence
    length: int  # observed tokens consumed
    words: tuple[str, ...]  # emitted LM words
    cost: float  # channel score (natural log)
    kind: ArcKind
    original: str = ""  # the candidate original, for a synonym arc
    source: CandidateKind | None = None  # where that candidate came from


# A hypothesis is a tuple (score, state, back, arc): Viterbi makes thousands per document and a
# tuple costs a fraction of an object. ``back`` is the hypothesis it extends.
_Hyp = tuple[float, Any, Any, "Arc | None"]


class Transitions:
    """KenLM transitions scored so far in one sentence: ``(state, word) -> (log10 p, next state)``.

    Keyed by the state's value, so a path that has forgotten where it diverged finds the
    transitions scored along another one.

    Args:
        lm: an :class:`~despin.lm.base.LanguageModel`.
    """

    __slots__ = ("lm", "memo", "observed")

    def __init__(self, lm: LanguageModel) -> None:
        self.lm = lm
        self.memo: dict[tuple[Any, str], tuple[float, Any]] = {}
        # observed[p]: the state after the sentence's first p observed words, once scored.
        self.observed: list[Any] = []

    def step(self, state: Any, word: str) -> tuple[float, Any]:
        """log10 P(word | state) and the next state."""
        key = (state, word)
        hit = self.memo.get(key)
        if hit is None:
            out = self.lm.new_state()
            hit = self.memo[key] = (self.lm.base_score(state, word, out), out)
        return hit

    def context(self, left: Sequence[str], *, bos: bool) -> Any:
        """The state after ``left``, from the sentence start (``bos``) or from no context."""
        state = self.lm.begin() if bos else self.lm.null()
        for word in left:
            _, state = self.step(state, word)
        return state

    def window(self, state: Any, words: Sequence[str], *, eos: bool) -> float:
        """log10 P(words | state), plus the sentence end if ``eos``."""
        total = 0.0
        for word in words:
            lp, state = self.step(state, word)
            total += lp
        if eos:
            total += self.lm.end(state)
        return float(total)


def viterbi(
    lm: LanguageModel,
    arcs_at: Sequence[Sequence[Arc]],
    *,
    lm_weight: float = 1.0,
    beam: int = 8,
    transitions: Transitions | None = None,
) -> list[Arc]:
    """Best arc sequence covering all positions. ``arcs_at[p]`` are the arcs starting at token p.

    ``transitions`` may hold transitions already scored for this sentence (by the lattice).
    """
    memo = (transitions if transitions is not None else Transitions(lm)).memo
    score_fn, new_state = lm.base_score, lm.new_state
    n = len(arcs_at)
    w = lm_weight * LN10
    frontier: list[dict[Any, _Hyp]] = [{} for _ in range(n + 1)]
    start = lm.begin()
    frontier[0][start] = (0.0, start, None, None)
    memo_get = memo.get
    for p in range(n):
        hyps = frontier[p]
        if not hyps:
            continue
        live = list(hyps.values())
        if len(live) > beam:  # the best, ties in arrival order (a stable sort)
            live = sorted(live, key=itemgetter(0), reverse=True)[:beam]
        for arc in arcs_at[p]:
            target = frontier[p + arc.length]
            target_get = target.get
            words, cost = arc.words, arc.cost
            if len(words) == 1:  # most arcs: the same as the loop below, without the inner loop
                word = words[0]
                for hyp in live:
                    hyp_state = hyp[1]
                    hit = memo_get((hyp_state, word))
                    if hit is None:
                        out = new_state()
                        hit = memo[(hyp_state, word)] = (score_fn(hyp_state, word, out), out)
                    state = hit[1]
                    score = hyp[0] + w * (0.0 + hit[0]) + cost
                    prev = target_get(state)
                    if prev is None or score > prev[0]:
                        target[state] = (score, state, hyp, arc)
                continue
            for hyp in live:
                state = hyp[1]
                lp = 0.0
                for word in words:
                    key = (state, word)
                    hit = memo_get(key)
                    if hit is None:
                        out = new_state()
                        hit = memo[key] = (score_fn(state, word, out), out)
                    lp += hit[0]
                    state = hit[1]
                score = hyp[0] + w * lp + cost
                prev = target_get(state)
                if prev is None or score > prev[0]:
                    target[state] = (score, state, hyp, arc)
    best: _Hyp | None = None
    best_score = -math.inf
    for hyp in frontier[n].values():
        total = hyp[0] + w * lm.end(hyp[1])
        if total > best_score:
            best, best_score = hyp, total
    path: list[Arc] = []
    while best is not None and best[3] is not None:
        path.append(best[3])
        best = best[2]
    path.reverse()
    return path


def window_score(
    lm: LanguageModel,
    left: Sequence[str],
    middle: Sequence[str],
    right: Sequence[str],
    *,
    bos: bool,
    eos: bool,
    transitions: Transitions | None = None,
) -> float:
    """log10 P of ``middle + right`` given ``left``: the part of a sentence score an arc choice changes."""
    trans = transitions if transitions is not None else Transitions(lm)
    return trans.window(trans.context(left, bos=bos), [*middle, *right], eos=eos)
