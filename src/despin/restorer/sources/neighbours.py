"""Distributional neighbours: words that fill the same slots in clean text, for tables we never saw."""

from __future__ import annotations

import math
from collections.abc import Sequence

from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source

# P(observed | original) of a neighbour. A thesaurus entry has 10-20 synonyms, so 1/20 puts a
# neighbour on par with a weak lexicon link.
NEIGHBOUR_CHANNEL = 0.05


class NeighbourSource:
    kind = CandidateKind.NEIGHBOUR

    def __init__(self, resources: SourceResources) -> None:
        self.resources = resources
        self.log_channel = math.log(NEIGHBOUR_CHANNEL)

    def propose(self, observed: str, left: Sequence[str] = (), right: Sequence[str] = ()) -> list[Candidate]:
        if " " in observed:
            return []
        known, lc, kind = self.resources.known, self.log_channel, self.kind
        return [
            Candidate(o, (o,), lc, kind)
            for o in self.resources.neighbours.get(observed, ())
            if o != observed and known(o)
        ]


@register_source(CandidateKind.NEIGHBOUR)
def build(resources: SourceResources) -> NeighbourSource | None:
    return NeighbourSource(resources) if resources.neighbours else None
