"""``trace``: retrieve candidate sources from an :class:`Index`, verify them by alignment, keep the best."""

from __future__ import annotations

import math
import re

from despin.errors import ConfigError, IndexCorruptError
from despin.tracer.align import Aligner, Alignment
from despin.tracer.index import DEFAULT_MAX_IDS, Index
from despin.types import SourceMatch, TraceResult

# Calibrated on benchmarks/trace.py (seed 0, 27k references): true sources of 60%-spun IndoSum test
# articles score >= 0.55 (lowest seen 0.559), while the best wrong candidate of an article absent from
# the index scored <= 0.35, except one article that reuses whole background paragraphs of an indexed
# one (0.55). 0.45 sits in the gap.
DEFAULT_THRESHOLD = 0.45
# Retrieval ranks the true source first for every benchmark query; the best other candidate reached
# 0.49 of its retrieval score. Verifying candidates down to 0.2 of the best (at most 5) keeps a
# second source of a patchwork article while aligning ~2 documents per query.
DEFAULT_CANDIDATES = 5
MIN_RETRIEVAL_RATIO = 0.2
# The 64 rarest query tokens: names, numbers and rare terms, which a thesaurus cannot swap.
DEFAULT_QUERY_FEATURES = 64

# A spun sentence keeps most of its words; a few common words found in an unrelated article keep 2 or
# 3. Below this many kept words the score is scaled down, so that 3 never reach DEFAULT_THRESHOLD and
# 4 do only with everything else explained.
MIN_EQUAL_WORDS = 8

_RUN_RE = re.compile(r"[^\W_]+")


def match_score(a: Alignment) -> float:
    """The 0..1 score of a source: ``(2 * coverage + weighted_match) / 3``.

    Why this mix (measured on benchmarks/trace.py): coverage alone separates spun copies from unrelated
    articles best (a spinner leaves short substitution blocks between kept words; an unrelated article
    aligns in long, ragged gaps), and the IDF-weighted share of words kept in order stops a short text
    of common words from scoring high on coverage alone. A text of a few words is explained by almost
    any article (two of them kept, one "substituted"): below :data:`MIN_EQUAL_WORDS` words kept in
    order, the score is scaled down in proportion.
    """
    evidence = min(1.0, a.n_equal / MIN_EQUAL_WORDS)
    return (2.0 * a.coverage + a.weighted_match) / 3.0 * evidence


def trace(
    text: str,
    *,
    index: Index,
    top: int = 5,
    threshold: float | None = None,
    n_candidates: int | None = None,
    max_query_features: int = DEFAULT_QUERY_FEATURES,
    max_ids: int = DEFAULT_MAX_IDS,
    with_text: bool = False,
) -> TraceResult:
    """Find the sources of ``text`` in ``index``, best first, each with its aligned substitutions.

    Args:
        text: the suspected spun copy.
        index: the reference collection.
        top: at most this many matches.
        threshold: the least score reported; :data:`DEFAULT_THRESHOLD` when None.
        n_candidates: how many retrieved documents may be verified by alignment (``max(top, 5)`` when None).
        max_query_features: how many of the query's rarest tokens drive retrieval.
        max_ids: budget of posting ids read per query (beyond the 8 rarest tokens); bounds the
            retrieval cost at any index size (see :meth:`Index.candidates`).
        with_text: include each match's source text.

    Returns:
        The matches, best first; empty when nothing scores ``threshold`` or more.

    Raises:
        ConfigError: ``top`` < 1, or ``threshold`` outside [0, 1].
    """
    if top < 1:
        raise ConfigError(f"top must be >= 1, got {top}")
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold must be in [0, 1], got {threshold}")
    limit = n_candidates or max(top, DEFAULT_CANDIDATES)
    with index._lock, index.store.snapshot():
        ranked, df, n_docs = index.candidates(text, limit=limit, max_query_features=max_query_features, max_ids=max_ids)
        if ranked:
            floor = ranked[0][1] * MIN_RETRIEVAL_RATIO
            ranked = [(i, s) for i, s in ranked if s >= floor]
        texts = index.store.texts([i for i, _ in ranked])
    if not ranked:
        return TraceResult(())
    hi = index.config.max_token_chars

    def weight(key: str) -> float:
        n = df.get(key[:hi])
        if n is None:  # "1.500", "kata-kata": the most common of its runs (the smallest weight)
            n = max((df.get(r[:hi], 0) for r in _RUN_RE.findall(key)), default=0)
        return math.log((n_docs + 1) / n) + 1.0 if n else math.log(n_docs + 1) + 1.0

    aligner = Aligner(text, weight=weight)
    matches: list[SourceMatch] = []
    for doc_id, _ in ranked:
        if doc_id not in texts:
            raise IndexCorruptError(f"{index.store.path}: postings name document {doc_id}, which is not stored")
        source_id, source = texts[doc_id]
        a = aligner.align(source, with_evidence=False)
        score = match_score(a)
        if score >= threshold:
            a = aligner.align(source)
            matches.append(SourceMatch(source_id, score, a.coverage, a.substitutions, source if with_text else None))
    matches.sort(key=lambda m: (-m.score, m.source_id))
    return TraceResult(tuple(matches[:top]))
