"""Originals a learned spinner table lists: evidence read off this very spinner's output."""

from __future__ import annotations

import math
from collections.abc import Sequence

from despin.restorer.sources.base import Candidate, CandidateKind, SourceResources, register_source

# A learned table's channel probability is floored this high, well above a typical lexicon link
# (a thesaurus entry spreads 1 over 10-20 synonyms).
TABLE_CHANNEL_FLOOR = 0.3


class TableSource:
    kind = CandidateKind.TABLE

    def __init__(self, resources: SourceResources) -> None:
        assert resources.table is not None
        self.table = resources.table
        # First words of the table's observed phrases: this spinner writes them, so the restorer
        # searches them for an original even where the context accepts them.
        self.starts = frozenset(p.split(" ")[0] for p in self.table.observed())

    def propose(self, observed: str, left: Sequence[str] = (), right: Sequence[str] = ()) -> list[Candidate]:
        kind = self.kind
        return [
            Candidate(o, tuple(o.split(" ")), math.log(max(p, TABLE_CHANNEL_FLOOR)), kind)
            for o, p in self.table.originals(observed).items()
        ]


@register_source(CandidateKind.TABLE)
def build(resources: SourceResources) -> TableSource | None:
    return TableSource(resources) if resources.table is not None and len(resources.table) else None
