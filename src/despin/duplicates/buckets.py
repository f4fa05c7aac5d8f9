"""Candidate pairs from LSH band keys: pages that share a band key, in buckets no larger than a cap.

This is datatrove's ``MinhashDedupBuckets`` step: each task holds the ``(key, page)`` entries of
its share of the key space from every shard, sorts them, and pairs the pages of every run of equal
keys. A run larger than ``cap`` is a key that boilerplate or a very common name gave to many
pages: it is skipped, so a task emits at most ``cap / 2`` pairs per entry and retrieval stays
linear in the corpus. A true copy shares many bands with its source, so losing one to a crowded
bucket costs nothing (docs/dedup.md measures it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

PAIR_DTYPE = np.dtype([("a", "<u8"), ("b", "<u8"), ("n", "<u4")])
ENTRY_DTYPE = np.dtype([("key", "<u8"), ("ref", "<u8")])


def bucket_pairs(entries: npt.NDArray[np.void], *, cap: int) -> npt.NDArray[np.void]:
    """Every pair ``a < b`` of pages sharing a key, with the number of keys they share (``PAIR_DTYPE``).

    Args:
        entries: ``ENTRY_DTYPE`` records (any order); a page appears once per band.
        cap: runs of equal keys with more pages than this are skipped.

    Example:
        >>> e = np.array([(5, 1), (5, 2), (7, 1), (7, 2), (9, 3)], dtype=ENTRY_DTYPE)
        >>> [tuple(int(x) for x in p) for p in bucket_pairs(e, cap=10)]
        [(1, 2, 2)]
    """
    if len(entries) < 2:
        return np.zeros(0, dtype=PAIR_DTYPE)
    e = np.sort(entries, order=["key", "ref"])
    keys, refs = e["key"], e["ref"]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    a_parts: list[npt.NDArray[np.uint64]] = []
    b_parts: list[npt.NDArray[np.uint64]] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]).tolist():
        # All runs of one size at once: a (runs x size) block of refs, then its upper triangle.
        first = starts[sizes == size]
        block = refs[first[:, None] + np.arange(size)[None, :]]
        i, j = np.triu_indices(size, k=1)
        a_parts.append(block[:, i].ravel())
        b_parts.append(block[:, j].ravel())
    if not a_parts:
        return np.zeros(0, dtype=PAIR_DTYPE)
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    keep = a != b
    return count_pairs(a[keep], b[keep])


def count_pairs(
    a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], n: npt.NDArray[np.uint32] | None = None
) -> npt.NDArray[np.void]:
    """Unique ``(min, max)`` pairs with summed counts (1 each when ``n`` is None), sorted."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    raw = np.zeros(len(lo), dtype=PAIR_DTYPE)
    raw["a"], raw["b"] = lo, hi
    raw["n"] = 1 if n is None else n
    if len(raw) == 0:
        return raw
    order = np.lexsort((raw["b"], raw["a"]))
    raw = raw[order]
    new = np.r_[True, (raw["a"][1:] != raw["a"][:-1]) | (raw["b"][1:] != raw["b"][:-1])]
    starts = np.flatnonzero(new)
    out = raw[starts].copy()
    out["n"] = np.add.reduceat(raw["n"].astype(np.uint64), starts).astype(np.uint32)
    return out


def top_candidates(pairs: npt.NDArray[np.void], *, min_bands: int, per_page: int) -> npt.NDArray[np.void]:
    """Pairs sharing ``min_bands`` bands or more, at most ``per_page`` per first page (most bands first).

    Example:
        >>> p = np.array([(1, 2, 3), (1, 3, 1), (1, 4, 2)], dtype=PAIR_DTYPE)
        >>> [(int(x["b"]), int(x["n"])) for x in top_candidates(p, min_bands=2, per_page=1)]
        [(2, 3)]
    """
    p = pairs[pairs["n"] >= min_bands]
    if len(p) == 0:
        return p
    order = np.lexsort((p["b"], -p["n"].astype(np.int64), p["a"]))
    p = p[order]
    starts = np.flatnonzero(np.r_[True, p["a"][1:] != p["a"][:-1]])
    rank = np.arange(len(p)) - np.repeat(starts, np.diff(np.r_[starts, len(p)]))
    kept = p[rank < per_page]
    return kept[np.lexsort((kept["b"], kept["a"]))]
