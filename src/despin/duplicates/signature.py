"""Spin-invariant signatures: MinHash over a page's rare words, cut into LSH bands.

Why these elements (measured in docs/dedup.md): a spinner swaps 10-50% of the words, so word
5-gram shingles of a spun copy share almost nothing with its source (MinHash LSH at 0.3 links 83%
of copies, at 0.8 10%). Single words survive at ``1 - rate``, and the words that identify an
article (names, places, numbers, rare terms) are the ones no thesaurus lists, so they survive
almost all. The set of a page's words minus the ``n_common`` most frequent words of clean
Indonesian keeps a Jaccard similarity of 0.39-0.88 between a source and its spun copy (eight zoo
families, 10-50% spin) against 0.03 between unrelated news pages at the 90th percentile. The
common words must go for a second reason: under a random permutation the globally smallest
common word is the minimum of every page holding it, so it fills one LSH bucket with a third of
the corpus.

Hashing is vectorised: each distinct word is hashed once (CRC-32 of two salted forms, 64 bits),
the ``num_perm`` permutations are multiply-shift hashes over numpy ``uint64`` (wrapping
arithmetic), and a band is a 64-bit mix of its ``rows`` minima.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from despin.errors import ConfigError

_WORD_RE = re.compile(r"[^\W_]+")
_MASK32 = np.uint64(0xFFFFFFFF)
_MIX = np.uint64(0x9E3779B97F4A7C15)
# The empty set's signature: every band gets this value, and a page without rare words gets no bands.
EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a word (the same in every process, unlike ``hash``).

    Example:
        >>> word_hash("jokowi") == word_hash("jokowi") != word_hash("widodo")
        True
    """
    data = word.encode("utf-8")
    return (zlib.crc32(data) << 32) | zlib.crc32(data, 0x5BD1E995)


class Signer:
    """MinHash band signatures of pages over their rare words.

    Args:
        common: the words left out (function words and the most frequent content words).
        num_perm: permutations; must be ``bands * rows``.
        bands: LSH bands; two pages are candidates when they agree on one band.
        rows: minima per band.
        seed: picks the permutations.
        min_chars: shorter words are left out (one-letter words carry no identity).

    Raises:
        ConfigError: a parameter is out of range, or ``num_perm != bands * rows``.

    Example:
        >>> s = Signer({"yang", "di"}, num_perm=8, bands=4, rows=2)
        >>> a = s.sign("Presiden Joko Widodo meresmikan jembatan di Kupang")
        >>> b = s.sign("Presiden Joko Widodo membuka jembatan yang di Kupang")
        >>> a.shape, int((a == b).sum()) >= 1
        ((4,), True)
    """

    def __init__(
        self,
        common: Iterable[str],
        *,
        num_perm: int = 64,
        bands: int = 32,
        rows: int = 2,
        seed: int = 1,
        min_chars: int = 2,
    ) -> None:
        if bands < 1 or rows < 1 or num_perm != bands * rows:
            raise ConfigError(f"num_perm ({num_perm}) must be bands ({bands}) x rows ({rows}), all >= 1")
        if min_chars < 1:
            raise ConfigError(f"min_chars must be >= 1, got {min_chars}")
        self.common = frozenset(common)
        self.num_perm, self.bands, self.rows, self.min_chars = num_perm, bands, rows, min_chars
        rng = np.random.default_rng(seed)
        # Multiply-shift: odd multipliers, the high 32 bits of the 64-bit product are the hash.
        self._a = rng.integers(1, 1 << 63, size=num_perm, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
        self._band_mix = rng.integers(1, 1 << 63, size=rows, dtype=np.uint64) | np.uint64(1)

    def words(self, text: str) -> set[str]:
        """The page's distinct rare words (lower case, common words and short ones dropped)."""
        lo, common = self.min_chars, self.common
        return {w for w in _WORD_RE.findall(text.lower()) if len(w) >= lo and w not in common}

    def minhash(self, words: Iterable[str]) -> npt.NDArray[np.uint64]:
        """The ``num_perm`` minima over ``words`` (all ``EMPTY`` for no words)."""
        hs = np.fromiter((word_hash(w) for w in words), dtype=np.uint64)
        if hs.size == 0:
            return np.full(self.num_perm, EMPTY, dtype=np.uint64)
        with np.errstate(over="ignore"):
            perm = (hs[:, None] * self._a[None, :] + self._b[None, :]) >> np.uint64(32)
        out: npt.NDArray[np.uint64] = perm.min(axis=0)
        return out

    def bands_of(self, minima: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        """One 64-bit key per band: its ``rows`` minima mixed, and the band number."""
        m = minima.reshape(self.bands, self.rows)
        with np.errstate(over="ignore"):
            mixed = (m * self._band_mix[None, :]).sum(axis=1, dtype=np.uint64)
            key = np.asarray(
                (mixed ^ (mixed >> np.uint64(29))) * _MIX + np.arange(self.bands, dtype=np.uint64), dtype=np.uint64
            )
        key[(m == EMPTY).all(axis=1)] = EMPTY
        return key

    def sign(self, text: str) -> npt.NDArray[np.uint64]:
        """The band keys of ``text`` (``EMPTY`` in every band when it has no rare word)."""
        return self.bands_of(self.minhash(self.words(text)))

    def jaccard(self, a: str, b: str) -> float:
        """The exact Jaccard similarity of two pages' rare-word sets (for tests and benchmarks)."""
        x, y = self.words(a), self.words(b)
        return len(x & y) / len(x | y) if x | y else 0.0
