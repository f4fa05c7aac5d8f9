"""Candidate originals for a site's over-used phrases, and the LM windows that judge them.

A real spinner table holds pairs no thesaurus links, so the candidates of an over-used phrase ``o``
come from three sources: the synonym lexicon (both directions, and two links away), the
distributional neighbours (both directions), and *frequency pairing*: every word or lexicon phrase
the site under-uses. The last source is what makes unseen tables learnable, and also what would
make nonsense entries, so every candidate must pass two checks:

* **magnitude**: ``o``'s excess over clean text must not exceed what ``u``'s deficit can explain;
* **context**: put back in ``o``'s contexts on this site, ``u`` must read better to the LM than
  other candidates (the farm's contexts are judged by a model of the clean corpus's contexts).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from despin.lexicon import SynonymLexicon
from despin.lm.base import LanguageModel
from despin.tables.evidence import Occurrence, SiteText

LN10 = math.log(10.0)


@dataclass(frozen=True, slots=True)
class Window:
    """The LM state before an occurrence and the words after it, to score any phrase in its place."""

    state: Hashable
    right: tuple[str, ...]
    ends: bool  # the right context reaches the end of the sentence


class Windows:
    """LM windows per occurrence, built once and scored for many candidate phrases."""

    def __init__(self, lm: LanguageModel, site: SiteText) -> None:
        self.lm, self.site = lm, site
        self.context = max(1, lm.order - 1)
        self._windows: dict[Occurrence, Window] = {}

    def window(self, occ: Occurrence) -> Window:
        hit = self._windows.get(occ)
        if hit is None:
            lm, sent = self.lm, self.site.sents[occ.page][occ.sent]
            lo = occ.i - self.context
            state = lm.begin() if lo <= 0 else lm.null()
            for w in sent[max(0, lo) : occ.i]:
                out = lm.new_state()
                lm.base_score(state, w, out)
                state = out
            right = tuple(sent[occ.j : occ.j + self.context])
            hit = Window(state, right, occ.j + self.context >= len(sent))
            self._windows[occ] = hit
        return hit

    def score(self, occ: Occurrence, phrase: Sequence[str]) -> float:
        """log10 P(phrase, right context | left context) at ``occ``."""
        win = self.window(occ)
        lm = self.lm
        state = win.state
        total = 0.0
        for w in (*phrase, *win.right):
            out = lm.new_state()
            total += lm.base_score(state, w, out)
            state = out
        if win.ends:
            total += lm.end(state)
        return total


@dataclass(frozen=True, slots=True)
class CandidateSources:
    """What candidates come from: the lexicon, neighbours, and the site's under-used phrases."""

    lexicon: SynonymLexicon
    neighbours: Mapping[str, Sequence[str]]
    reverse_neighbours: Mapping[str, Sequence[str]]

    @classmethod
    def build(cls, lexicon: SynonymLexicon, neighbours: Mapping[str, Sequence[str]]) -> CandidateSources:
        rev: dict[str, list[str]] = {}
        for w, ns in neighbours.items():
            for n in ns:
                rev.setdefault(n, []).append(w)
        return cls(lexicon, {w: tuple(ns) for w, ns in neighbours.items()}, {w: tuple(v) for w, v in rev.items()})

    def linked(self, observed: str, *, two_hop_width: int = 8) -> set[str]:
        """Phrases the lexicon or the neighbours link to ``observed`` (one or two links away)."""
        lex = self.lexicon
        first = set(lex.originals(observed)) | set(lex.synonyms(observed))
        out = set(first)
        for via in sorted(first)[:two_hop_width]:
            out.update(lex.originals(via))
            out.update(lex.synonyms(via))
        out.update(self.neighbours.get(observed, ()))
        out.update(self.reverse_neighbours.get(observed, ()))
        out.discard(observed)
        return out


def rank_by_context(
    windows: Windows,
    observed: str,
    occurrences: Sequence[Occurrence],
    candidates: Mapping[str, float],
    *,
    sample: int,
    keep: int,
    min_share: float,
) -> list[tuple[str, float]]:
    """The ``keep`` candidates most often the original of ``observed`` in its sampled contexts.

    Each context's posterior over {``observed`` itself, every candidate} is proportional to the LM
    probability of the context with that phrase times the candidate's channel prior (``candidates``:
    phrase -> prior ``T(observed | phrase)``; 1 for the identity). A candidate is kept when its mean
    posterior reaches ``min_share``: a topic word (a name, the outlet) is over-used but reads best as
    itself, and a frequent word that fits anywhere still has to explain ``observed`` better than the rest.

    Returns:
        (candidate, mean posterior), best first.
    """
    step = max(1, len(occurrences) // sample)
    occs = list(occurrences[::step][:sample])
    names = sorted(candidates)
    hyps = [observed.split(" "), *(c.split(" ") for c in names)]
    logt = [0.0, *(math.log(max(candidates[c], 1e-9)) for c in names)]
    share = [0.0] * len(names)
    for occ in occs:
        z = [LN10 * windows.score(occ, h) + t for h, t in zip(hyps, logt, strict=True)]
        top = max(z)
        e = [math.exp(x - top) for x in z]
        total = sum(e)
        for k in range(len(names)):
            share[k] += e[k + 1] / total
    ranked = [(c, share[k] / len(occs)) for k, c in enumerate(names) if share[k] >= min_share * len(occs)]
    ranked.sort(key=lambda x: (-x[1], x[0]))
    return ranked[:keep]
