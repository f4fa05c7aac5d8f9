"""Standard words behind slang, chat abbreviations and typos (:mod:`despin.restorer.slang`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source

# A standard word behind a typo may itself be the spinner's synonym: its own originals are
# proposed too, this much less likely than the spelling fix alone.
SPELLING_CHAIN = 0.3


class SpellingSource:
    kind = CandidateKind.SPELLING

    def __init__(self, resources: SourceResources) -> None:
        assert resources.spelling is not None
        self.resources = resources
        self.spelling = resources.spelling

    def propose(self, observed: str, left: Sequence[str] = (), right: Sequence[str] = ()) -> list[Candidate]:
        res = self.resources
        lexicon = res.lexicon
        # A word a thesaurus lists is a real word however rare: no typo or abbreviation guess for it.
        listed = bool(lexicon.originals(observed) or lexicon.weights(observed))
        spelled = self.spelling.originals(observed, not listed)
        out: dict[str, float] = {}
        for std, p in spelled.items():
            if std != observed and res.known(std):
                out.setdefault(std, math.log(p))
        for std, p in spelled.items():
            for orig, q in lexicon.originals(std).items():
                if orig != observed and orig not in out and res.known(orig):
                    out[orig] = math.log(p * q * SPELLING_CHAIN)
        kind = self.kind
        return [Candidate(o, tuple(o.split(" ")), lc, kind) for o, lc in out.items()]


@register_source(CandidateKind.SPELLING)
def build(resources: SourceResources) -> SpellingSource | None:
    return SpellingSource(resources) if resources.spelling is not None else None
