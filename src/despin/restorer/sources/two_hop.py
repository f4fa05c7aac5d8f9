"""Originals two thesaurus links away, through the most frequent words linked to the observed one.

Two thesauri rarely list the same pair, but they often share a neighbour: on dev spins with a table
disjoint from our lexicon, 62% of the true originals are two links away.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from operator import itemgetter

from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source

CACHE_SIZE = 200_000
# Intermediate words expanded, most frequent first, and paths kept (the strongest first): a word's
# two-hop originals number in the hundreds, and ranking them all in context costs more than it finds.
WIDTH = 6
KEEP = 36
# For a word known to be replaced (an odd capital) the search goes this many times wider: on dev
# spins with the half of the lexicon a spinner did not use, the original is among 26% of the default
# candidates and among 50% of the wide ones.
WIDE_FACTOR = 4
WIDE_KEEP = 180


class TwoHopSource:
    kind = CandidateKind.TWO_HOP

    def __init__(self, resources: SourceResources) -> None:
        self.resources = resources
        self.width = WIDTH * WIDE_FACTOR if resources.wide else WIDTH
        self.keep = WIDE_KEEP if resources.wide else KEEP
        self.paths = lru_cache(maxsize=CACHE_SIZE)(self._paths)
        self._originals_known = lru_cache(maxsize=CACHE_SIZE)(self._originals_known_uncached)

    def _originals_known_uncached(self, word: str) -> dict[str, float]:
        known = self.resources.known
        return {o: p for o, p in self.resources.lexicon.originals(word).items() if known(o)}

    def _paths(self, observed: str) -> dict[str, float]:
        """Two-hop originals with the strongest path's probability, strongest first (cached: never mutate)."""
        lex, vocab = self.resources.lexicon, self.resources.vocab
        hops = {**{y: 1.0 for y in lex.synonyms(observed)}, **lex.originals(observed)}
        names = list(hops)
        counts = list(map(vocab.get, names, repeat(0)))
        via = [names[i] for i in sorted(range(len(names)), key=counts.__getitem__, reverse=True)[: self.width]]
        # out[orig] = the strongest path's P, keys in first-seen order, merged a dict at a time.
        out: dict[str, float] = {}
        for y in via:
            hy = hops[y]
            known = self._originals_known(y)
            paths = known if hy == 1.0 else {orig: p * hy for orig, p in known.items()}
            stronger_before = {o: out[o] for o in paths.keys() & out.keys() if out[o] >= paths[o]}
            out |= paths
            out |= stronger_before
        out.pop(observed, None)
        return dict(sorted(out.items(), key=itemgetter(1), reverse=True)[: self.keep])

    def propose(self, observed: str, left: Sequence[str] = (), right: Sequence[str] = ()) -> list[Candidate]:
        if " " in observed:
            return []
        kind = self.kind
        return [Candidate(o, tuple(o.split(" ")), math.log(p), kind) for o, p in self.paths(observed).items()]


@register_source(CandidateKind.TWO_HOP)
def build(resources: SourceResources) -> TwoHopSource:
    return TwoHopSource(resources)
