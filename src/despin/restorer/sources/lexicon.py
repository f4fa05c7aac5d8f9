"""Originals one thesaurus link away: the reverse synonym lexicon."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source

CACHE_SIZE = 200_000


class LexiconSource:
    """``P(observed | original)`` from the lexicon's reverse index, for originals the corpus knows."""

    kind = CandidateKind.LEXICON

    def __init__(self, resources: SourceResources) -> None:
        self.resources = resources
        self.known_originals = lru_cache(maxsize=CACHE_SIZE)(self._known_originals)

    def _known_originals(self, observed: str) -> dict[str, float]:
        """``lexicon.originals(observed)`` without the originals the corpus does not know (cached: never mutate)."""
        known = self.resources.known
        return {o: p for o, p in self.resources.lexicon.originals(observed).items() if known(o)}

    def propose(self, observed: str, left: Sequence[str] = (), right: Sequence[str] = ()) -> list[Candidate]:
        kind = self.kind
        return [Candidate(o, tuple(o.split(" ")), math.log(p), kind) for o, p in self.known_originals(observed).items()]


@register_source(CandidateKind.LEXICON)
def build(resources: SourceResources) -> LexiconSource:
    return LexiconSource(resources)
