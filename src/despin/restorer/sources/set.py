"""A list of candidate sources asked as one: merged by original, ranked, cut, cached where context does not matter."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property, lru_cache

from despin.lexicon import SynonymLexicon
from despin.restorer.sources.base import Candidate, CandidateKind, CandidateSource
from despin.restorer.sources.table import TableSource

CACHE_SIZE = 200_000
# Candidates kept per span, ranked by channel plus unigram prior (the decoder ranks them again in
# context and keeps fewer). A word surely replaced (an odd capital) keeps more.
MAX_CANDIDATES = 12
WIDE_MAX_CANDIDATES = 60


class CandidateSet:
    """Ask ``sources`` (in priority order) for an observed phrase's originals.

    A source that ignores context is cached per phrase; one that reads the context (its kind in
    ``context_kinds``) is asked every time, and its proposals come after the others'. When two
    sources propose the same original, the earlier source's candidate is kept.

    Args:
        sources: the default sources, in priority order.
        wide_sources: the sources for a word known to be replaced (an odd capital).
        vocab: corpus counts, for the unigram prior that ranks candidates.
        lexicon: the thesaurus, whose multi-word phrases bound the spans the decoder tries.
    """

    def __init__(
        self,
        sources: Sequence[CandidateSource],
        wide_sources: Sequence[CandidateSource],
        *,
        vocab: Mapping[str, int],
        lexicon: SynonymLexicon,
        context_kinds: Iterable[CandidateKind] = (CandidateKind.LM_FILL,),
    ) -> None:
        ctx = frozenset(context_kinds)
        self.kinds = tuple(s.kind for s in sources)
        self._static = [s for s in sources if s.kind not in ctx]
        self._context = [s for s in sources if s.kind in ctx]
        self._static_wide = [s for s in wide_sources if s.kind not in ctx]
        self._context_wide = [s for s in wide_sources if s.kind in ctx]
        self.lexicon = lexicon
        table = next((s for s in sources if isinstance(s, TableSource)), None)
        self.table: SynonymLexicon | None = table.table if table is not None else None
        # First words of the table's observed phrases: this spinner writes them.
        self.table_starts: frozenset[str] = table.starts if table is not None else frozenset()
        total = max(1, sum(vocab.values()))
        self._logps = _UnigramLogProbs(vocab, total)
        self.max_phrase_len = max(lexicon.max_phrase_len, self.table.max_phrase_len if self.table else 1)
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._static_candidates)

    @cached_property
    def _phrase_prefixes(self) -> frozenset[str]:
        # Every multi-word key of the reverse channels and its word prefixes (built on the first phrase asked).
        table = _word_prefixes(self.table.observed()) if self.table else frozenset()
        return _word_prefixes(self.lexicon.observed()) | table

    def may_extend(self, phrase: str) -> bool:
        """Whether ``phrase`` (two or more words) or a longer phrase starting with it may have candidates."""
        return phrase in self._phrase_prefixes

    def prior(self, phrase: str) -> float:
        """ln P_unigram of a phrase (add-one smoothed), summed over its words."""
        if " " not in phrase:
            return self._logps[phrase]
        return sum(self._logps[w] for w in phrase.split(" "))

    def _static_candidates(self, observed: str, wide: bool) -> tuple[Candidate, ...]:
        found: dict[str, Candidate] = {}
        case: list[Candidate] = []
        for source in self._static_wide if wide else self._static:
            for cand in source.propose(observed, (), ()):
                if cand.kind is CandidateKind.CASE:
                    case.append(cand)  # the observed word itself: never merged with a replacement
                elif cand.original != observed and cand.original not in found:
                    found[cand.original] = cand
        return tuple(case[:1]) + self._ranked(found.values(), WIDE_MAX_CANDIDATES if wide else MAX_CANDIDATES)

    def _ranked(self, cands: Iterable[Candidate], limit: int) -> tuple[Candidate, ...]:
        items = list(cands)
        prior = [c.log_channel + self.prior(c.original) for c in items]
        top = sorted(range(len(items)), key=prior.__getitem__, reverse=True)[:limit]
        return tuple(items[i] for i in top)

    def propose(
        self, observed: str, left: Sequence[str] = (), right: Sequence[str] = (), *, wide: bool = False
    ) -> tuple[Candidate, ...]:
        """Candidates for ``observed`` (lower case) between ``left`` and ``right``, best prior first."""
        static = self._cached(observed, wide)
        sources = self._context_wide if wide else self._context
        if not sources or " " in observed:
            return static
        seen = {c.original for c in static}
        extra = [
            c
            for s in sources
            for c in s.propose(observed, left, right)
            if c.original not in seen and c.original != observed
        ]
        if not extra:
            return static
        return static + self._ranked(extra, WIDE_MAX_CANDIDATES if wide else MAX_CANDIDATES)


class _UnigramLogProbs(dict[str, float]):
    """Word -> add-one smoothed ln P_unigram, computed on first use."""

    def __init__(self, vocab: Mapping[str, int], total: int) -> None:
        super().__init__()
        self.vocab, self.total = vocab, total

    def __missing__(self, word: str) -> float:
        value = self[word] = math.log((self.vocab.get(word, 0) + 1) / self.total)
        return value


def _word_prefixes(phrases: Iterable[str]) -> frozenset[str]:
    """The prefixes of two or more words of the multi-word ``phrases`` (themselves included)."""
    out: set[str] = set()
    for phrase in phrases:
        if " " in phrase:
            words = phrase.split(" ")
            out.update(" ".join(words[:n]) for n in range(2, len(words) + 1))
    return frozenset(out)
