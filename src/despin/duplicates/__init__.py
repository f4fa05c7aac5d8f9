"""Corpus deduplication that sees through spinning: retrieval, verification, direction and site verdicts.

The pure pieces of ``despin dedup`` (no file I/O): :mod:`~despin.duplicates.signature` (MinHash
bands over rare words), :mod:`~despin.duplicates.buckets` (candidate pairs),
:mod:`~despin.duplicates.verify` (alignment both ways), :mod:`~despin.duplicates.direction` (which
side is the copy) and :mod:`~despin.duplicates.links` (sources, clusters, farms). The corpus job
that runs them is :mod:`despin.batch.dedup`. The package is not named ``dedup``, so that
``despin.dedup`` is always the verb (as ``despin.trace`` is never the ``tracer`` package).
"""

from despin.duplicates.options import DedupOptions, Keep, Relation

__all__ = ["DedupOptions", "Keep", "Relation"]
