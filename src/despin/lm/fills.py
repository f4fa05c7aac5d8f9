"""Slot fills: the words the training corpus puts between a left and a right word.

The restorer's context source asks which words fit a slot ``left _ right`` in clean text; among them,
the ones related to the observed word are candidate originals even when no thesaurus links the
pair (a spinner whose table we never saw). KenLM cannot enumerate continuations, so the build step
counts bigrams of the training split once (:func:`despin.training.fills.build_filler`) and keeps,
for the ``n_words`` most frequent words, every bigram seen ``min_count`` times, in two compressed
sparse rows: the followers of each word and the predecessors of each word.

A fill's score is the pointwise association of the slot with the word,
``log c(left, x) + log c(x, right) - log c(x)``; with one side missing (a sentence edge, or a context
word outside the table) only the other side counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.errors import ModelError


@dataclass(frozen=True)
class SlotFiller:
    """Bigram followers and predecessors over a fixed word list.

    Args:
        words: the word list; ids are positions in it.
        counts: each word's corpus count.
        fwd_ptr, fwd_ids, fwd_counts: followers of word ``i`` are ``fwd_ids[fwd_ptr[i]:fwd_ptr[i+1]]``
            (sorted ids) with their bigram counts.
        bwd_ptr, bwd_ids, bwd_counts: predecessors, likewise.

    Example:
        >>> f = SlotFiller.from_bigrams({("kepala", "daerah"): 9, ("daerah", "itu"): 5, ("kepala", "sekolah"): 4,
        ...                              ("sekolah", "itu"): 2, ("kepala", "desa"): 3})
        >>> [w for w, _ in f.fill("kepala", "itu")]
        ['daerah', 'sekolah']
        >>> [w for w, _ in f.fill("kepala", None)]
        ['daerah', 'sekolah', 'desa']
    """

    words: tuple[str, ...]
    counts: np.ndarray
    fwd_ptr: np.ndarray
    fwd_ids: np.ndarray
    fwd_counts: np.ndarray
    bwd_ptr: np.ndarray
    bwd_ids: np.ndarray
    bwd_counts: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})
        object.__setattr__(self, "_log_counts", np.log(np.maximum(self.counts, 1)).astype(np.float32))

    @classmethod
    def from_bigrams(
        cls, bigrams: Mapping[tuple[str, str], int], unigrams: Mapping[str, int] | None = None
    ) -> SlotFiller:
        """Build from bigram counts (and unigram counts; bigram marginals when None)."""
        words = sorted({w for pair in bigrams for w in pair})
        index = {w: i for i, w in enumerate(words)}
        counts = np.zeros(len(words), dtype=np.int64)
        if unigrams is None:
            for (left, _), n in bigrams.items():
                counts[index[left]] += n
        else:
            counts[:] = [unigrams.get(w, 1) for w in words]
        lefts = np.array([index[x] for x, _ in bigrams], dtype=np.int32)
        rights = np.array([index[y] for _, y in bigrams], dtype=np.int32)
        ns = np.array(list(bigrams.values()), dtype=np.int32)
        return cls.from_arrays(tuple(words), counts, lefts, rights, ns)

    @classmethod
    def from_arrays(
        cls, words: tuple[str, ...], counts: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
    ) -> SlotFiller:
        """Build from parallel arrays of bigram (left id, right id, count)."""
        n = len(words)

        def rows(head: np.ndarray, tail: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            order = np.lexsort((tail, head))
            ptr = np.zeros(n + 1, dtype=np.int64)
            np.add.at(ptr, head + 1, 1)
            return np.cumsum(ptr), tail[order].astype(np.int32), c[order].astype(np.int32)

        fwd = rows(a, b)
        bwd = rows(b, a)
        return cls(words, np.asarray(counts, dtype=np.int64), *fwd, *bwd)

    def to_arrays(self) -> dict[str, Any]:
        """The arrays to save (``numpy.savez``); :meth:`from_saved` reads them back."""
        return {
            "words": np.array("\n".join(self.words)),
            "counts": self.counts,
            "fwd_ptr": self.fwd_ptr,
            "fwd_ids": self.fwd_ids,
            "fwd_counts": self.fwd_counts,
            "bwd_ptr": self.bwd_ptr,
            "bwd_ids": self.bwd_ids,
            "bwd_counts": self.bwd_counts,
        }

    @classmethod
    def from_saved(cls, arrays: Mapping[str, Any]) -> SlotFiller:
        try:
            words = tuple(str(arrays["words"]).split("\n"))
            return cls(
                words,
                *(
                    np.asarray(arrays[k])
                    for k in ("counts", "fwd_ptr", "fwd_ids", "fwd_counts", "bwd_ptr", "bwd_ids", "bwd_counts")
                ),
            )
        except KeyError as exc:
            raise ModelError(f"slot-fill table lacks {exc}") from None

    def __contains__(self, word: str) -> bool:
        return word in self._index  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.words)

    def fill(self, left: str | None, right: str | None, k: int = 50) -> list[tuple[str, float]]:
        """The ``k`` words that best fill ``left _ right``, best first, with their scores (natural log)."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        log_counts: np.ndarray = self._log_counts  # type: ignore[attr-defined]
        li = index.get(left) if left is not None else None
        ri = index.get(right) if right is not None else None
        if li is None and ri is None:
            return []
        if li is not None:
            f_ids = self.fwd_ids[self.fwd_ptr[li] : self.fwd_ptr[li + 1]]
            f_cnt = self.fwd_counts[self.fwd_ptr[li] : self.fwd_ptr[li + 1]]
        if ri is not None:
            b_ids = self.bwd_ids[self.bwd_ptr[ri] : self.bwd_ptr[ri + 1]]
            b_cnt = self.bwd_counts[self.bwd_ptr[ri] : self.bwd_ptr[ri + 1]]
        if li is not None and ri is not None:
            ids, fi, bi = np.intersect1d(f_ids, b_ids, assume_unique=True, return_indices=True)
            score = np.log(f_cnt[fi]) + np.log(b_cnt[bi]) - log_counts[ids]
        elif li is not None:
            ids, score = f_ids, np.log(f_cnt).astype(np.float32)
        else:
            ids, score = b_ids, np.log(b_cnt).astype(np.float32)
        if len(ids) > k:
            top = np.argpartition(-score, k)[:k]
            ids, score = ids[top], score[top]
        order = np.lexsort((ids, -score))
        words = self.words
        return [(words[int(i)], float(s)) for i, s in zip(ids[order], score[order], strict=True)]

    def fills(self, left: Sequence[str], right: Sequence[str], k: int = 50) -> list[tuple[str, float]]:
        """:meth:`fill` with the nearest word of each context (or none)."""
        return self.fill(left[-1] if left else None, right[0] if right else None, k)
