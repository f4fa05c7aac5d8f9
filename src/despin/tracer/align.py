"""Verify a candidate source by token alignment, and list the substitutions as evidence.

The alignment is a longest common subsequence over lower-cased tokens (rapidfuzz ``Indel.opcodes``,
bit-parallel C++), which keeps the most unchanged words matched. Every maximal run of differences
between two matched runs is one block; a block with a short, non-empty side on both texts is a
substitution (``max_block`` tokens per side: a spinner swaps a word or a short phrase, so a longer
difference is an added or dropped passage, not a synonym). A pure-Python reference of the LCS is
kept in tests/unit/test_trace_align.py.

Tokens here are runs of letters and digits (``kata-kata`` and ``Ma'ruf`` kept whole) and single
punctuation marks: a plain ``re.findall`` is 4x faster than :func:`despin.text.tokenize`, and
alignment needs no finer units. Offsets are found only for sources that pass (``with_evidence``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import accumulate

from rapidfuzz.distance import Indel

from despin.errors import ConfigError
from despin.types import Substitution

# A spinner swaps one word or a short phrase ("oleh karena itu" -> "maka"); 4 tokens per side covers the
# multi-word entries of mythes-id and Wordnet Bahasa that spinners use in practice.
DEFAULT_MAX_BLOCK = 4
_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Alignment:
    """The evidence that a source explains a spun text.

    ``n_*`` count content tokens (words and numbers) of the spun text; ``w_*`` are the same sums
    weighted by the caller's token weights (IDF in :func:`despin.trace.trace`).
    """

    substitutions: tuple[Substitution, ...]
    n_spun: int
    n_equal: int
    n_substituted: int
    w_spun: float
    w_equal: float

    @property
    def coverage(self) -> float:
        """Share of spun content tokens the source explains: kept as is, or swapped in a short block."""
        return (self.n_equal + self.n_substituted) / self.n_spun if self.n_spun else 0.0

    @property
    def weighted_match(self) -> float:
        """Weighted share of spun content tokens that appear unchanged, in order, in the source."""
        return self.w_equal / self.w_spun if self.w_spun > 0 else 0.0


def _keys(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN_RE.findall(text)]


def _spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN_RE.finditer(text)]


class Aligner:
    """One spun text, prepared once and aligned to many candidate sources.

    Args:
        spun: the suspected spun copy.
        weight: weight of a spun token key (lower case) for ``w_*``; 1.0 each when None.
        max_block: the longest side, in tokens, of a difference still reported as a substitution.

    Raises:
        ConfigError: ``max_block`` < 1.
    """

    def __init__(self, spun: str, *, weight: Callable[[str], float] | None = None,
                 max_block: int = DEFAULT_MAX_BLOCK) -> None:
        if max_block < 1:
            raise ConfigError(f"max_block must be >= 1, got {max_block}")
        self.spun, self.max_block = spun, max_block
        keys = _keys(spun)
        self._vocab: dict[str, int] = {}
        self._ids = [self._vocab.setdefault(k, len(self._vocab)) for k in keys]
        content = [k[0].isalnum() for k in keys]
        by_key = {k: weight(k) for k in set(keys)} if weight else {}
        weights = [by_key.get(k, 1.0) if c else 0.0 for k, c in zip(keys, content, strict=True)]
        self._content = content
        self._n_prefix = [0, *accumulate(int(c) for c in content)]
        self._w_prefix = [0.0, *accumulate(weights)]
        self._spun_spans: list[tuple[int, int]] | None = None
        # The last source aligned without evidence, its counts and blocks: asking for its evidence next
        # (what trace does for a source that passes) costs only the offsets, not a second alignment.
        self._last: tuple[str, Alignment, list[tuple[int, int, int, int]]] | None = None

    def align(self, source: str, *, with_evidence: bool = True) -> Alignment:
        """Align the spun text to ``source``; substitutions (with offsets) only when ``with_evidence``."""
        last = self._last
        if with_evidence and last is not None and last[0] is source:
            return replace(last[1], substitutions=self._evidence(source, last[2]) if last[2] else ())
        vocab = self._vocab
        src_ids = [vocab.get(k, -1) for k in _keys(source)]  # -1: a word the spun text lacks
        n_pre, w_pre, max_block = self._n_prefix, self._w_prefix, self.max_block
        n_equal = n_sub = 0
        w_equal = 0.0
        blocks: list[tuple[int, int, int, int]] = []
        start: tuple[int, int] | None = None  # (i1, j1) of the open difference block
        i_end = j_end = 0
        for op in Indel.opcodes(self._ids, src_ids):
            i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
            if op.tag == "equal":
                if start is not None:
                    blocks.append((start[0], i1, start[1], j1))
                    start = None
                n_equal += n_pre[i2] - n_pre[i1]
                w_equal += w_pre[i2] - w_pre[i1]
            elif start is None:
                start = (i1, j1)
            i_end, j_end = i2, j2
        if start is not None:
            blocks.append((start[0], i_end, start[1], j_end))
        subs = [b for b in blocks if 0 < b[1] - b[0] <= max_block and 0 < b[3] - b[2] <= max_block
                and n_pre[b[1]] > n_pre[b[0]]]  # a punctuation-only change is no synonym swap
        n_sub = sum(n_pre[b[1]] - n_pre[b[0]] for b in subs)
        counts = Alignment((), n_pre[-1], n_equal, n_sub, w_pre[-1], w_equal)
        if not with_evidence:
            self._last = (source, counts, subs)
            return counts
        return replace(counts, substitutions=self._evidence(source, subs) if subs else ())

    def _evidence(self, source: str, blocks: list[tuple[int, int, int, int]]) -> tuple[Substitution, ...]:
        if self._spun_spans is None:
            self._spun_spans = _spans(self.spun)
        a, b = self._spun_spans, _spans(source)
        out = []
        for i1, i2, j1, j2 in blocks:
            s0, s1, t0, t1 = a[i1][0], a[i2 - 1][1], b[j1][0], b[j2 - 1][1]
            out.append(Substitution(s0, s1, t0, t1, self.spun[s0:s1], source[t0:t1]))
        return tuple(out)


def align(
    spun: str,
    source: str,
    *,
    weight: Callable[[str], float] | None = None,
    max_block: int = DEFAULT_MAX_BLOCK,
) -> Alignment:
    """Align ``spun`` to ``source`` and list substitutions with character offsets into both texts.

    Args:
        spun: the suspected spun copy.
        source: the candidate source.
        weight: weight of a spun token key (lower case) for ``w_*``; 1.0 each when None.
        max_block: the longest side, in tokens, of a difference still reported as a substitution.

    Returns:
        The alignment counts and the substitutions, in text order.

    Raises:
        ConfigError: ``max_block`` < 1.

    Example:
        >>> a = align("Rumah itu agung sekali.", "Rumah itu besar sekali.")
        >>> [(s.spun, s.source) for s in a.substitutions], a.coverage
        ([('agung', 'besar')], 1.0)
    """
    return Aligner(spun, weight=weight, max_block=max_block).align(source)
