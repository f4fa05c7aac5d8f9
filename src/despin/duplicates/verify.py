"""Verify a candidate pair by alignment, both ways: is one page a copy of the other, and how?

The tracer's aligner (:class:`despin.tracer.align.Aligner`) runs only on the few pairs retrieval
returns. A pair is a copy when the copy side scores like a traced source (``min_score``), most of
the copy is explained (``min_coverage``: a page quoting a few sentences of another is no copy),
and most of the source is reproduced (``min_source_coverage``: independent reports of one event
share names and a quote, not the article). Which side is the copy is decided later
(:mod:`despin.duplicates.direction`, :mod:`despin.duplicates.links`); here both orientations are measured.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from despin.duplicates.options import DedupOptions, Relation
from despin.tracer.align import Aligner, Alignment
from despin.tracer.query import match_score
from despin.types import Substitution

_RUN_RE = re.compile(r"[^\W_]+")
_DIGIT_RE = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Side:
    """One orientation of a pair: this page aligned as the copy of the other."""

    score: float
    coverage: float
    n_words: int
    n_substituted: int
    substitutions: tuple[Substitution, ...]

    @property
    def substituted(self) -> float:
        """Share of the page's words inside substitution blocks."""
        return self.n_substituted / self.n_words if self.n_words else 0.0

    @classmethod
    def of(cls, a: Alignment, substitutions: tuple[Substitution, ...] | None = None) -> Side:
        """The side of an alignment (its own substitutions, or ``substitutions`` seen from this side).

        A block that changes a number explains nothing: a spinner never changes a number, while two
        reports made from one template (the day's exchange rate, the weather) differ in little else;
        counting their changed numbers as swaps would make them copies of each other.
        """
        subs_all = a.substitutions if substitutions is None else substitutions
        n_num = sum(len(_RUN_RE.findall(s.spun)) for s in subs_all if _DIGIT_RE.search(s.spun + s.source))
        if n_num:
            a = replace(a, n_substituted=max(0, a.n_substituted - n_num))
        subs = tuple(s for s in subs_all if not _DIGIT_RE.search(s.spun + s.source))
        return cls(match_score(a), a.coverage, a.n_spun, a.n_substituted, subs)


def mirrored(sub: Substitution) -> Substitution:
    """The same aligned block seen from the other page."""
    return Substitution(sub.source_start, sub.source_end, sub.spun_start, sub.spun_end, sub.source, sub.spun)


@dataclass(frozen=True, slots=True)
class PairCheck:
    """Both orientations of a candidate pair ``(a, b)``: ``a_copy`` aligns a as the copy of b."""

    a_copy: Side
    b_copy: Side

    def is_copy(self, o: DedupOptions) -> bool:
        """Whether either page copies the other (the stricter side of each test)."""
        for copy, source in ((self.a_copy, self.b_copy), (self.b_copy, self.a_copy)):
            if (
                copy.score >= o.min_score
                and copy.coverage >= o.min_coverage
                and source.coverage >= o.min_source_coverage
            ):
                return True
        return False

    def relation(self, o: DedupOptions, *, a_is_copy: bool) -> Relation:
        side = self.a_copy if a_is_copy else self.b_copy
        return Relation.SPUN if side.substituted >= o.spun_min_substituted else Relation.NEAR_DUPLICATE


def vocab_weight(vocab: Mapping[str, int]) -> Callable[[str], float]:
    """Token weights for the aligner's weighted match: IDF-like, from clean-text counts.

    A word unseen in clean text weighs most; ``log(total / count)`` otherwise. (``trace`` uses the
    index's document frequencies; a corpus job has the model's counts at hand in every worker.)
    """
    total = float(sum(vocab.values())) or 1.0

    def weight(key: str) -> float:
        n = vocab.get(key, 0)
        return math.log(total / n) if n else math.log(total)

    return weight


def check_pair(a: str, b: str, *, weight: Callable[[str], float] | None = None) -> PairCheck:
    """Align ``a`` as a copy of ``b`` and ``b`` as a copy of ``a``, with evidence.

    Example:
        >>> c = check_pair("Rumah itu agung sekali, kata Budi.", "Rumah itu besar sekali, kata Budi.")
        >>> round(c.a_copy.coverage, 2), [(s.spun, s.source) for s in c.a_copy.substitutions]
        (1.0, [('agung', 'besar')])
    """
    forward = Aligner(a, weight=weight).align(b)
    # The other way round only for its counts; its blocks are the forward ones seen from b (aligning
    # again with evidence would double the cost for the same blocks).
    backward = Aligner(b, weight=weight).align(a, with_evidence=False)
    return PairCheck(Side.of(forward), Side.of(backward, tuple(mirrored(s) for s in forward.substitutions)))
