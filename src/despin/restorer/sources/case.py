"""The observed word itself, in lower case: the original of a common word capitalised in mid-sentence.

Some spinners write every replacement with a capital, and some capitalise words they did not
replace; when the decoder cannot find (or is unsure of) the original, restoring the case alone is
still a correct edit. The restorer offers this candidate only where the word is such an odd capital.
"""

from __future__ import annotations

from collections.abc import Sequence

from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source


class CaseSource:
    kind = CandidateKind.CASE

    def propose(self, observed: str, left: Sequence[str] = (), right: Sequence[str] = ()) -> list[Candidate]:
        if " " in observed:
            return []
        return [Candidate(observed, (observed,), 0.0, self.kind)]


@register_source(CandidateKind.CASE)
def build(resources: SourceResources) -> CaseSource:
    return CaseSource()
