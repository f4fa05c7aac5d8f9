"""The language model proposes: words that fill the slot in clean text and that a spinner could have written over.

The slot-fill table (:class:`despin.lm.fills.SlotFiller`) gives the words the training corpus puts
between the observed word's neighbours; a relatedness check keeps those a spinner could have
replaced by the observed word. This reaches originals that no thesaurus we ship links to the
observed word, which is what a spinner with an unseen table leaves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from despin.restorer.relatedness import Relatedness
from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source

# Fills asked for per slot, and the relatedness a fill needs to be proposed.
FILLS = 50
MIN_RELATEDNESS = 0.5
# P(observed | original) of a fill, before its relatedness: as weak as a distributional neighbour.
FILL_CHANNEL = 0.05


class LmFillSource:
    kind = CandidateKind.LM_FILL

    def __init__(self, resources: SourceResources, relatedness: Relatedness) -> None:
        assert resources.filler is not None
        self.filler = resources.filler
        self.relatedness = relatedness
        self.log_channel = math.log(FILL_CHANNEL)

    def propose(self, observed: str, left: Sequence[str], right: Sequence[str]) -> list[Candidate]:
        if " " in observed:
            return []
        out: list[Candidate] = []
        related, plausible = self.relatedness.score, self.relatedness.plausible
        for word, _ in self.filler.fills(left, right, FILLS):
            if word == observed or not plausible(word, observed):
                continue
            r = related(word, observed)
            if r >= MIN_RELATEDNESS:
                out.append(Candidate(word, (word,), self.log_channel + math.log(r), self.kind))
        return out


@register_source(CandidateKind.LM_FILL)
def build(resources: SourceResources) -> LmFillSource | None:
    if resources.filler is None:
        return None
    return LmFillSource(resources, Relatedness.of(resources))
