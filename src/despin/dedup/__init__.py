"""Corpus deduplication that sees through spinning: retrieval, verification, direction and site verdicts.

The pure pieces of ``despin dedup`` (no file I/O): :mod:`~despin.dedup.signature` (MinHash bands over
rare words), :mod:`~despin.dedup.buckets` (candidate pairs), :mod:`~despin.dedup.verify` (alignment
both ways), :mod:`~despin.dedup.direction` (which side is the copy) and :mod:`~despin.dedup.links`
(sources, clusters, farms). The corpus job that runs them is :mod:`despin.batch.dedup`.
"""

from despin.dedup.options import DedupOptions, Keep, Relation

__all__ = ["DedupOptions", "Keep", "Relation"]
