"""Verify a candidate source by token alignment, and list the substitutions as evidence.

The alignment is a longest common subsequence over lower-cased tokens (rapidfuzz ``Indel.opcodes``,
bit-parallel C++), which keeps the most unchanged words matched. Every maximal run of differences
between two matched runs is one block; a block with a short, non-empty side on both texts is a
substitution (``max_block`` tokens per side: a spinner swaps a word or a short phrase, so a longer
difference is an added or dropped passage, not a synonym). A pure-Python reference of the LCS and
the previous whole-document aligner are kept in tests/unit/test_trace_align.py.

``Indel.opcodes`` costs time and memory in proportion to ``n * m`` (one bit per cell: two 2 MB texts
would need 16 GB). A pair of texts up to :data:`MAX_CELLS` cells is aligned whole, exactly as before;
a longer pair is cut at anchors (token n-grams found once in each text, in the order of both) into
segments of at most :data:`MAX_CELLS` cells, each aligned by ``Indel.opcodes`` (:func:`_matching_runs`),
so the cost stays near-linear: at most ``sqrt(MAX_CELLS) * (n + m) / 2`` cells in all.

Tokens here are runs of letters and digits (``kata-kata`` and ``Ma'ruf`` kept whole) and single
punctuation marks: a plain ``re.findall`` is 4x faster than :func:`despin.text.tokenize`, and
alignment needs no finer units. Offsets are found only for sources that pass (``with_evidence``).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import accumulate

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Indel

from despin.errors import ConfigError
from despin.types import Substitution

# A spinner swaps one word or a short phrase ("oleh karena itu" -> "maka"); 4 tokens per side covers the
# multi-word entries of mythes-id and Wordnet Bahasa that spinners use in practice.
DEFAULT_MAX_BLOCK = 4
_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*|[^\w\s]")
# The largest alignment done in one piece: n * m token pairs (1 bit each in Indel.opcodes, so 16 MB and
# ~20 ms). Two texts of 11,000 tokens (~75 KB) each fit: every article of the benchmark corpora (at most
# 20 KB) is aligned whole, exactly as before anchoring existed.
MAX_CELLS = 1 << 27
# Anchors: single tokens (names, numbers) and token 4-grams found exactly once in each text. A 4-gram
# is unique in a long text even when its words are common, and survives between a spinner's swaps.
_ANCHOR_GRAMS = (1, 4)
# How many times a gap between anchors that is still too large is searched again for anchors unique
# within it, before it is cut along its diagonal.
_MAX_DEPTH = 4

# A source more than this many times as long as the spun text (plus the slack, in tokens) is aligned
# only in its best window of that length: see :meth:`Aligner._window`. A spun copy is about as long as
# its source (a spinner adds words more often than it drops them), so whole copies align whole.
WINDOW_FACTOR = 2.0
WINDOW_SLACK = 20

Run = tuple[int, int, int]  # (i, j, size): a[i : i + size] == b[j : j + size]


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
        max_cells: the largest ``n * m`` aligned in one piece (see :func:`_matching_runs`); it bounds
            the alignment's memory (``max_cells / 8`` bytes) and time.

    Raises:
        ConfigError: ``max_block`` < 1 or ``max_cells`` < 1.
    """

    def __init__(
        self,
        spun: str,
        *,
        weight: Callable[[str], float] | None = None,
        max_block: int = DEFAULT_MAX_BLOCK,
        max_cells: int = MAX_CELLS,
    ) -> None:
        if max_block < 1:
            raise ConfigError(f"max_block must be >= 1, got {max_block}")
        if max_cells < 1:
            raise ConfigError(f"max_cells must be >= 1, got {max_cells}")
        self.spun, self.max_block, self.max_cells = spun, max_block, max_cells
        keys = _keys(spun)
        self._vocab: dict[str, int] = {}
        self._ids = [self._vocab.setdefault(k, len(self._vocab)) for k in keys]
        content = [k[0].isalnum() for k in keys]
        by_key = {k: weight(k) for k in set(keys)} if weight else {}
        weights = [by_key.get(k, 1.0) if c else 0.0 for k, c in zip(keys, content, strict=True)]
        self._content = content
        # Weight of each spun word id, for finding where in a long source the spun text sits.
        self._id_weight = np.zeros(len(self._vocab), dtype=np.float64)
        for i, w in zip(self._ids, weights, strict=True):
            self._id_weight[i] = w
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
        w0, w1 = self._window(src_ids)
        n_pre, w_pre, max_block = self._n_prefix, self._w_prefix, self.max_block
        n_equal = 0
        w_equal = 0.0
        blocks: list[tuple[int, int, int, int]] = []  # the differences between matched runs
        i_end, j_end = 0, w0
        for i, j, size in _matching_runs(self._ids, src_ids[w0:w1], self.max_cells):
            j += w0
            if i > i_end or j > j_end:
                blocks.append((i_end, i, j_end, j))
            i_end, j_end = i + size, j + size
            n_equal += n_pre[i_end] - n_pre[i]
            w_equal += w_pre[i_end] - w_pre[i]
        if i_end < len(self._ids) or j_end < w1:
            blocks.append((i_end, len(self._ids), j_end, w1))
        subs = [
            b
            for b in blocks
            if 0 < b[1] - b[0] <= max_block and 0 < b[3] - b[2] <= max_block and n_pre[b[1]] > n_pre[b[0]]
        ]  # a punctuation-only change is no synonym swap
        n_sub = sum(n_pre[b[1]] - n_pre[b[0]] for b in subs)
        counts = Alignment((), n_pre[-1], n_equal, n_sub, w_pre[-1], w_equal)
        if not with_evidence:
            self._last = (source, counts, subs)
            return counts
        return replace(counts, substitutions=self._evidence(source, subs) if subs else ())

    def _window(self, src_ids: list[int]) -> tuple[int, int]:
        """The part of the source the spun text is aligned to: all of it, unless it is much longer.

        A source longer than :data:`WINDOW_FACTOR` times the spun text is cut to the window of that many
        tokens that holds the most weight of the spun text's words. An alignment over the whole of a
        long source lets a short text take each of its words from wherever it occurs first (three
        common words "match" any long article, and a quoted paragraph is matched piecemeal across the
        article); within the window, the spun text is aligned where it actually sits.
        """
        n, m = len(self._ids), len(src_ids)
        width = int(WINDOW_FACTOR * n) + WINDOW_SLACK
        if m <= width or not self._vocab:
            return 0, m
        ids = np.asarray(src_ids, dtype=np.int64)
        weight = np.where(ids >= 0, self._id_weight[np.maximum(ids, 0)], 0.0)
        total = np.concatenate(([0.0], np.cumsum(weight)))
        start = int(np.argmax(total[width:] - total[:-width]))
        return start, start + width

    def _evidence(self, source: str, blocks: list[tuple[int, int, int, int]]) -> tuple[Substitution, ...]:
        if self._spun_spans is None:
            self._spun_spans = _spans(self.spun)
        a, b = self._spun_spans, _spans(source)
        out = []
        for i1, i2, j1, j2 in blocks:
            s0, s1, t0, t1 = a[i1][0], a[i2 - 1][1], b[j1][0], b[j2 - 1][1]
            out.append(Substitution(s0, s1, t0, t1, self.spun[s0:s1], source[t0:t1]))
        return tuple(out)


def _matching_runs(a: list[int], b: list[int], max_cells: int = MAX_CELLS) -> list[Run]:
    """The matched runs of an LCS alignment of ``a`` and ``b``, in order, computed within ``max_cells``.

    Up to ``max_cells`` (``len(a) * len(b)``) these are exactly the equal opcodes of
    ``Indel.opcodes(a, b)``. Above it the grid is cut at anchors (:func:`_anchor_chain`) into the
    fewest segments of at most ``max_cells`` each, and each segment is aligned by ``Indel.opcodes``. A
    gap between two consecutive anchors that is still too large is searched again for anchors unique
    within it (up to ``_MAX_DEPTH`` times), then cut along its diagonal (:func:`_align_diagonal`).

    Each segment gets a longest common subsequence, so the whole is a common subsequence; it is a
    longest one whenever the cuts lie on a longest one, as the n-grams that a spun copy shares once
    with its source do. Cost: each ``Indel.opcodes`` call is within ``max_cells`` (``max_cells / 8``
    bytes), and all of them together cover at most ``sqrt(max_cells) * (n + m) / 2`` cells.
    """
    runs: list[Run] = []
    if len(a) * len(b) <= max_cells:
        _align_piece(a, b, 0, len(a), 0, len(b), runs)
    else:
        arrays = (np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
        _align_anchored(a, b, arrays, (0, len(a), 0, len(b)), max_cells, 0, runs)
    return runs


def _align_piece(a: list[int], b: list[int], a0: int, a1: int, b0: int, b1: int, runs: list[Run]) -> None:
    """Append the equal runs of ``Indel.opcodes(a[a0:a1], b[b0:b1])``, one run across a segment cut."""
    if a0 == a1 or b0 == b1:
        return
    for op in Indel.opcodes(a[a0:a1], b[b0:b1]):
        if op.tag != "equal":
            continue
        i, j, size = op.src_start + a0, op.dest_start + b0, op.src_end - op.src_start
        if runs and runs[-1][0] + runs[-1][2] == i and runs[-1][1] + runs[-1][2] == j:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + size)
        else:
            runs.append((i, j, size))


def _align_anchored(
    a: list[int],
    b: list[int],
    arrays: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    box: tuple[int, int, int, int],
    max_cells: int,
    depth: int,
    runs: list[Run],
) -> None:
    """Align ``a[a0:a1]`` to ``b[b0:b1]`` (``box``, more than ``max_cells`` cells) in segments cut at anchors."""
    a0, a1, b0, b1 = box
    chain = _anchor_chain(arrays[0][a0:a1], arrays[1][b0:b1], a0, b0) if depth < _MAX_DEPTH else []
    if not chain:
        _align_diagonal(a, b, box, max_cells, runs)
        return
    # Cut points: the two corners and between them the fewest anchors that keep every segment within
    # max_cells (a larger segment sees more of the context that the whole alignment would see).
    cuts = [(a0, b0)]
    fits: tuple[int, int] | None = None  # the farthest point so far within max_cells of the last cut
    for p in [*chain, (a1, b1)]:
        s = cuts[-1]
        if (p[0] - s[0]) * (p[1] - s[1]) <= max_cells:
            fits = p
            continue
        if fits is not None:
            cuts.append(fits)
            s, fits = fits, None
            if (p[0] - s[0]) * (p[1] - s[1]) <= max_cells:
                fits = p
                continue
        cuts.append(p)  # two consecutive anchors too far apart: a segment of its own, refined below
    if cuts[-1] != (a1, b1):
        cuts.append((a1, b1))
    for (i0, j0), (i1, j1) in zip(cuts, cuts[1:], strict=False):
        if (i1 - i0) * (j1 - j0) <= max_cells:
            _align_piece(a, b, i0, i1, j0, j1, runs)
        else:
            _align_anchored(a, b, arrays, (i0, i1, j0, j1), max_cells, depth + 1, runs)


def _align_diagonal(
    a: list[int], b: list[int], box: tuple[int, int, int, int], max_cells: int, runs: list[Run]
) -> None:
    """No anchors: cut both sides into ``p`` equal parts and align part ``t`` with part ``t``.

    A coarse band along the diagonal: each part is within ``max_cells``, and the matches that stay
    near the diagonal are found (a match across parts is lost).
    """
    a0, a1, b0, b1 = box
    na, nb = a1 - a0, b1 - b0
    p = max(1, math.isqrt(na * nb // max_cells))
    while -(-na // p) * -(-nb // p) > max_cells and p < max(na, nb):
        p = min(p + 1 + p // 8, max(na, nb))
    for t in range(p):
        _align_piece(a, b, a0 + na * t // p, a0 + na * (t + 1) // p, b0 + nb * t // p, b0 + nb * (t + 1) // p, runs)


def _anchor_chain(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], a0: int, b0: int) -> list[tuple[int, int]]:
    """Anchors ``(a0 + i, b0 + j)`` of ``a`` and ``b``: a longest chain of unique shared n-grams, in order.

    A candidate is a token or a token n-gram (:data:`_ANCHOR_GRAMS`) that occurs exactly once in each
    of ``a`` and ``b``, as in patience diff. The chain is a longest subset increasing in both texts (a
    spinner keeps the order, so a unique n-gram out of order is a coincidence). The corner
    ``(a0, b0)`` is left out: every cut then makes the problem smaller.
    """
    found_i: list[npt.NDArray[np.int64]] = []
    found_j: list[npt.NDArray[np.int64]] = []
    for k in _ANCHOR_GRAMS:
        if len(a) < k or len(b) < k:
            continue
        keys_a, pos_a = _unique_grams(a, k)
        keys_b, pos_b = _unique_grams(b, k)
        _, xa, xb = np.intersect1d(keys_a, keys_b, assume_unique=True, return_indices=True)
        found_i.append(pos_a[xa])
        found_j.append(pos_b[xb])
    if not found_i:
        return []
    # Sorted by i, then by j descending (so a strictly rising chain takes one j per i), duplicates dropped.
    width = len(b) + 1
    codes = np.unique(np.concatenate(found_i) * width + (len(b) - np.concatenate(found_j)))
    pairs = list(zip((codes // width + a0).tolist(), (len(b) - codes % width + b0).tolist(), strict=True))
    # Longest strictly increasing subsequence of j (patience sorting, O(P log P)).
    tails: list[int] = []  # tails[k]: the smallest last j of a chain of length k + 1
    ends: list[int] = []  # the pair ending that chain
    back = [-1] * len(pairs)
    for x, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            ends.append(x)
        else:
            tails[k], ends[k] = j, x
        back[x] = ends[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    x = ends[-1] if ends else -1
    while x >= 0:
        chain.append(pairs[x])
        x = back[x]
    chain.reverse()
    return [p for p in chain if p != (a0, b0)]


def _unique_grams(ids: npt.NDArray[np.int64], k: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The keys of the ``k``-grams of ``ids`` that occur once (sorted), and where each starts.

    An n-gram's key is a polynomial hash of its ids (64 bits, wrapping). A collision (about one in
    2**64 per pair) could drop an anchor or add a false one; either only moves a cut, since every match
    is still found by ``Indel.opcodes`` on the tokens themselves.
    """
    n = len(ids) - k + 1
    keys = ids[:n].astype(np.uint64)
    for x in range(1, k):
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + ids[x : x + n].astype(np.uint64)
    uniq, first, count = np.unique(keys, return_index=True, return_counts=True)
    once = count == 1
    return uniq[once], first[once].astype(np.int64)


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
