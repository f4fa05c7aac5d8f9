"""One site's learned table and its verdict: is the whole site spun by one spinner?

Two pieces of evidence, either of which flags a site:

* **the table**: the share of the site's word tokens that its learned entries explain as
  substitutions. A farm run through a spinner table has a few percent of its words explained
  (every covered word is replaced); a clean site has almost nothing, because its over-used words are
  topic words that fail the context and spread checks. :func:`spun_score` maps that share through a
  logistic curve fitted on the dev sites of benchmarks/farms.py (clean sites of every register
  against simulated farms).
* **the pages**: how many of its pages the page detector flags. The detector's threshold lets at
  most 1% of the clean calibration pages of any register through; a site with far more flagged
  pages than a clean site could show is spun even when no table stands out (a spinner that draws
  among several replacements, or spins only some pages). :func:`page_score` is a binomial test
  against a null rate of :data:`PAGE_NULL_RATE`, three times the design rate, for registers the
  calibration did not see.

The site's ``spun_score`` is the larger of the two; ``is_spun`` applies :data:`THRESHOLD`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from despin.lexicon import SynonymLexicon
from despin.tables.decipher import Decipherment, Entry
from despin.tables.pairs import TableRow
from despin.tables.table import SpinnerTable
from despin.types import shown_score

# Logistic curve over log10(explained share): fitted on benchmarks/farms.py dev sites (25 pages each).
SCORE_SLOPE = 6.0
# An explained share of 1% of word tokens scores 0.5: just above the most any of 30 clean 25-page dev
# sites per register reached (technical 0.85%), so no clean dev site of any register is flagged.
SCORE_CENTER = -2.0
THRESHOLD = 0.5
# The share of a clean site's pages the page detector may flag, under the null hypothesis.
PAGE_NULL_RATE = 0.03
# A site whose flagged pages are this unlikely under the null scores THRESHOLD on page evidence.
PAGE_ALPHA = 0.001


def spun_score(explained: float) -> float:
    """Calibrated probability that a site was spun, from the share of its words its table explains.

    Example:
        >>> round(spun_score(0.0), 3), round(spun_score(0.02), 3)
        (0.0, 0.859)
    """
    x = math.log10(max(explained, 1e-6))
    return 1.0 / (1.0 + math.exp(-SCORE_SLOPE * (x - SCORE_CENTER)))


def binomial_tail(k: int, n: int, p: float) -> float:
    """``P(X >= k)`` for ``X ~ Binomial(n, p)``.

    Example:
        >>> round(binomial_tail(1, 2, 0.5), 3), binomial_tail(0, 5, 0.1)
        (0.75, 1.0)
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in range(k, n + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def page_score(flagged: int, pages: int) -> float:
    """Evidence that a site is spun from the number of its pages the page detector flags.

    ``1 / (1 + p / PAGE_ALPHA)`` where ``p`` is the chance that a clean site of ``pages`` pages shows at
    least ``flagged`` flagged ones: THRESHOLD exactly at ``p = PAGE_ALPHA``, near 1 far beyond it.

    Example:
        >>> round(page_score(0, 25), 3), round(page_score(8, 25), 3)
        (0.001, 1.0)
    """
    return 1.0 / (1.0 + binomial_tail(flagged, pages, PAGE_NULL_RATE) / PAGE_ALPHA)


@dataclass(frozen=True, slots=True)
class SiteTable:
    """What :func:`despin.learn_site` learned from one site's pages.

    Attributes:
        rows: the learned entries (observed, original, count, prob).
        table: the same rows as a :class:`~despin.tables.SpinnerTable`, what ``despin restore --table``
            reads once saved (``site.table.save(path)``).
        entries: the same entries with their evidence (expected and seen counts, two contexts).
        pages, words: the size of the site.
        spun_score: the site's evidence of spinning, the larger of the table's and the pages' (see the
            module docstring); the table's is a calibrated probability.
        is_spun: ``spun_score >= threshold``.
        pages_flagged: how many pages the page detector flagged (None when it was not run).
        decipherment: the full result (per-page evidence, observed and expected word frequencies).
    """

    rows: tuple[TableRow, ...]
    entries: tuple[Entry, ...]
    pages: int
    words: int
    spun_score: float
    is_spun: bool
    decipherment: Decipherment
    pages_flagged: int | None = None
    table: SpinnerTable = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", SpinnerTable.from_rows(self.rows))

    def table_text(self, comment: str | None = None) -> str:
        """The TSV table (``observed<TAB>original<TAB>count<TAB>prob``): ``self.table``'s file."""
        return self.table.with_comment(comment).to_tsv()

    def lexicon(self) -> SynonymLexicon:
        """The table as a lexicon (``self.table.lexicon``); ``despin.restore(text, table=site)`` takes the site."""
        return self.table.lexicon

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "words": self.words,
            "entries": len(self.rows),
            "spun_score": shown_score(self.spun_score),
            "is_spun": self.is_spun,
            "explained": round(self.decipherment.explained, 5),
            "pages_flagged": self.pages_flagged,
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


def judge_site(d: Decipherment, *, page_flags: Sequence[bool] | None = None, threshold: float = THRESHOLD) -> SiteTable:
    """Score one site from its decipherment (:func:`despin.tables.decipher.decipher` of its pages).

    Args:
        d: the site's decipherment: its table and how much of the site it explains.
        page_flags: the page detector's verdict on each page, in order; without it only the table counts.
        threshold: the site's ``spun_score`` from which it ``is_spun``.

    Raises:
        ValueError: ``page_flags`` does not have one flag per page.
    """
    score = spun_score(d.explained) if d.entries else 0.0
    flagged = None
    if page_flags is not None:
        if len(page_flags) != d.n_pages:
            raise ValueError(f"{len(page_flags)} page flags for {d.n_pages} pages")
        flagged = sum(map(bool, page_flags))
        score = max(score, page_score(flagged, d.n_pages))
    return SiteTable(tuple(d.rows), d.entries, d.n_pages, d.n_words, score, score >= threshold, d, flagged)
