"""One site's learned table and its verdict: is the whole site spun by one spinner?

The verdict reads one number off the decipherment: the share of the site's word tokens that its
entries explain as substitutions. A farm run through a spinner table has a few percent of its
words explained (every covered word is replaced); a clean site has almost nothing, because its
over-used words are topic words that fail the context and spread checks. ``spun_score`` maps that
share through a logistic curve fitted on the dev sites of benchmarks/farms.py (clean sites of every
register against simulated farms); ``is_spun`` applies :data:`THRESHOLD`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from despin.lexicon import SynonymLexicon
from despin.lm.base import LanguageModel
from despin.tables.decipher import DecipherConfig, Decipherment, Entry, decipher
from despin.tables.pairs import TableRow, format_table

# Logistic curve over log10(explained share): fitted on benchmarks/farms.py dev sites (25 pages each).
SCORE_SLOPE = 6.0
# An explained share of 1% of word tokens scores 0.5: just above the most any of 30 clean 25-page dev
# sites per register reached (technical 0.85%), so no clean dev site of any register is flagged.
SCORE_CENTER = -2.0
THRESHOLD = 0.5


def spun_score(explained: float) -> float:
    """Calibrated probability that a site was spun, from the share of its words its table explains.

    Example:
        >>> round(spun_score(0.0), 3), round(spun_score(0.02), 3)
        (0.0, 0.859)
    """
    x = math.log10(max(explained, 1e-6))
    return 1.0 / (1.0 + math.exp(-SCORE_SLOPE * (x - SCORE_CENTER)))


@dataclass(frozen=True, slots=True)
class SiteTable:
    """What :func:`despin.learn_site` learned from one site's pages.

    Attributes:
        rows: the table, as ``despin restore --table`` reads it (observed, original, count, prob).
        entries: the same entries with their evidence (expected and seen counts, two contexts).
        pages, words: the size of the site.
        spun_score: calibrated probability that one spinner produced the site.
        is_spun: ``spun_score >= threshold``.
        decipherment: the full result (per-page evidence, observed and expected word frequencies).
    """

    rows: tuple[TableRow, ...]
    entries: tuple[Entry, ...]
    pages: int
    words: int
    spun_score: float
    is_spun: bool
    decipherment: Decipherment

    def table_text(self, comment: str | None = None) -> str:
        """The TSV table (``observed<TAB>original<TAB>count<TAB>prob``)."""
        return format_table(self.rows, comment=comment)

    def lexicon(self) -> SynonymLexicon:
        """The table as a lexicon, for ``despin.restore(text, table=...)``."""
        return SynonymLexicon.from_pairs((r.original, r.observed, float(r.count)) for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "words": self.words,
            "entries": len(self.rows),
            "spun_score": round(self.spun_score, 4),
            "is_spun": self.is_spun,
            "explained": round(self.decipherment.explained, 5),
            "table": [
                {
                    "observed": e.observed,
                    "original": e.original,
                    "count": e.count,
                    "prob": e.prob,
                    "expected_original": e.expected_original,
                    "seen_original": e.seen_original,
                    "examples": list(e.examples),
                }
                for e in self.entries
            ],
        }


def learn_site_table(
    pages: Sequence[str],
    *,
    lm: LanguageModel,
    vocab: Mapping[str, int],
    lexicon: SynonymLexicon,
    neighbours: Mapping[str, Sequence[str]],
    config: DecipherConfig | None = None,
    threshold: float = THRESHOLD,
) -> SiteTable:
    """Decipher one site's pages and score the site (see the module docstring)."""
    d = decipher(pages, lm=lm, vocab=vocab, lexicon=lexicon, neighbours=neighbours, config=config)
    score = spun_score(d.explained) if d.entries else 0.0
    return SiteTable(tuple(d.rows), d.entries, d.n_pages, d.n_words, score, score >= threshold, d)
