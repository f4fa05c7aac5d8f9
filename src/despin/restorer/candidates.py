"""Candidate originals for each observed span: the restorer's reverse channel.

Three sources, each with its own channel probability ``P(observed | original)``:
the reverse synonym lexicon, a learned spinner table (trusted more: it was read off this
spinner's own output), and distributional neighbours, which cover spinners whose table we have
never seen.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import itemgetter

from despin.lexicon import SynonymLexicon
from despin.restorer.slang import SpellingChannel

# Two-hop paths kept per candidate slot, the strongest first: a word's two-hop originals number in
# the hundreds, and ranking them all in context costs more than it finds.
TWO_HOP_KEEP_PER_CANDIDATE = 3
# A common word capitalised in mid-sentence was almost surely replaced, and its original is
# usually not a direct synonym of what the spinner wrote: for such a word the two-hop search goes
# this many times wider and this many candidates are ranked in context. On dev spins with the
# lexicon half a spinner did not use, the true original is among 26% of the default candidates and
# among 50% of the wide ones.
WIDE_FACTOR = 4
WIDE_MAX_CANDIDATES = 60
# A standard word behind a typo may itself be the spinner's synonym: its own originals are
# proposed too, this much less likely than the spelling fix alone.
SPELLING_CHAIN = 0.3
CACHE_SIZE = 200_000  # entries of each LRU cache (phrases, words)
# A learned table is evidence about this very spinner: its channel probability is floored this high,
# well above a typical lexicon link (a thesaurus entry spreads 1 over 10-20 synonyms).
TABLE_CHANNEL_FLOOR = 0.3


@dataclass(frozen=True, slots=True)
class Candidate:
    original: str  # lower-case phrase, single-spaced
    words: tuple[str, ...]
    log_channel: float  # natural log of P(observed | original, spun)
    source: str  # "lexicon" | "table" | "neighbour" | "two_hop" | "spelling"


class CandidateGenerator:
    """Propose originals for an observed lower-case phrase: ``gen.candidates(phrase)``, LRU-cached.

    Args:
        lexicon: the synonym graph; its reverse index gives lexicon candidates.
        vocab: corpus counts; originals the corpus never saw ``min_count`` times are dropped,
            because the LM cannot tell whether they fit.
        table: an optional learned spinner table.
        neighbours: word -> distributional neighbours, for unseen spinner tables.
        neighbour_channel: P(observed | original) given to a neighbour candidate. A thesaurus
            entry has 10-20 synonyms, so 1/20 puts a neighbour on par with a weak lexicon link.
        two_hop: also propose originals two lexicon links away (see :meth:`_two_hop`).
        two_hop_width: how many intermediate words to expand, most frequent first.
        max_candidates: keep the best this many per span, ranked by channel + unigram prior.
        spelling: a typo, abbreviation and slang channel (standard words behind non-standard spellings).
    """

    def __init__(
        self,
        lexicon: SynonymLexicon,
        vocab: Mapping[str, int],
        *,
        table: SynonymLexicon | None = None,
        neighbours: Mapping[str, tuple[str, ...]] | None = None,
        neighbour_channel: float = 0.05,
        two_hop: bool = True,
        two_hop_width: int = 6,
        min_count: int = 2,
        max_candidates: int = 12,
        spelling: SpellingChannel | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.vocab = vocab
        self.table = table
        self.neighbours = neighbours or {}
        self.log_neighbour = math.log(neighbour_channel)
        self.two_hop, self.two_hop_width = two_hop, two_hop_width
        self.two_hop_keep = TWO_HOP_KEEP_PER_CANDIDATE * max_candidates
        self.min_count = min_count
        self.max_candidates = max_candidates
        self.spelling = spelling
        self.max_phrase_len = max(lexicon.max_phrase_len, table.max_phrase_len if table else 1)
        # First words of the table's observed phrases: this spinner writes them, so the restorer
        # searches them for an original even where the context accepts them.
        self.table_starts = frozenset(p.split(" ")[0] for p in table.observed()) if table else frozenset()
        total = self._total = max(1, sum(vocab.values()))
        # Bounded LRU caches: a long-lived model meets unboundedly many distinct phrases.
        self.candidates: Callable[[str], tuple[Candidate, ...]] = lru_cache(maxsize=CACHE_SIZE)(self._candidates)
        self.wide_candidates: Callable[[str], tuple[Candidate, ...]] = lru_cache(maxsize=CACHE_SIZE)(
            self._wide_candidates
        )
        self._originals_known: Callable[[str], dict[str, float]] = lru_cache(maxsize=CACHE_SIZE)(
            self._originals_known_uncached
        )
        self._logps = _UnigramLogProbs(vocab, total)
        self._known_words = frozenset(w for w, c in vocab.items() if c >= min_count)
        # Every multi-word key of the reverse channels and its word prefixes: a phrase outside this
        # set has no candidate, and neither has any longer phrase that starts with it.
        self._phrase_prefixes = (
            _prefixes(lexicon) | (_prefixes(table) if table else frozenset()) | _word_prefixes(self.neighbours)
        )

    def _logp(self, word: str) -> float:
        return self._logps[word]

    def may_extend(self, phrase: str) -> bool:
        """Whether ``phrase`` (two or more words) or a longer phrase starting with it may have candidates."""
        return phrase in self._phrase_prefixes

    def _known(self, phrase: str) -> bool:
        if " " not in phrase:
            return phrase in self._known_words
        return all(w in self._known_words for w in phrase.split(" "))

    def _unigram(self, phrase: str) -> float:
        if " " not in phrase:
            return self._logp(phrase)
        return sum(self._logp(w) for w in phrase.split(" "))

    def _two_hop(self, observed: str, width: int | None = None, keep: int | None = None) -> dict[str, float]:
        """Originals two synonym links away, through the most frequent words linked to ``observed``.

        Two thesauri rarely list the same pair, but they often share a neighbour: on dev spins
        with a table disjoint from our lexicon, 62% of the true originals are two links away
        (and 8% among the distributional neighbours).
        """
        lex = self.lexicon
        hops = {**{y: 1.0 for y in lex.synonyms(observed)}, **lex.originals(observed)}
        # The most frequent first (a stable sort: ties keep hop order), counted without a Python key call.
        names = list(hops)
        counts = list(map(self.vocab.get, names, repeat(0)))
        width = self.two_hop_width if width is None else width
        via = [names[i] for i in sorted(range(len(names)), key=counts.__getitem__, reverse=True)[:width]]
        # out[orig] = the strongest path's P, keys in first-seen order. Merged a dict at a time
        # (C-level dict operations) because a word's originals number in the hundreds.
        out: dict[str, float] = {}
        for y in via:
            hy = hops[y]
            known = self._originals_known(y)
            paths = known if hy == 1.0 else {orig: p * hy for orig, p in known.items()}
            stronger_before = {o: out[o] for o in paths.keys() & out.keys() if out[o] >= paths[o]}
            out |= paths  # new keys go last, in this hop's order; old keys keep their place
            out |= stronger_before
        # sorted(reverse=True) is stable, so ties keep first-seen order, as heapq.nlargest would.
        keep = self.two_hop_keep if keep is None else keep
        return dict(sorted(out.items(), key=itemgetter(1), reverse=True)[:keep])

    def _originals_known_uncached(self, word: str) -> dict[str, float]:
        """``lexicon.originals(word)`` without the originals the corpus does not know (cached: never mutate).

        (Vocabulary entries are single LM tokens, never spaced, so a phrase is known when each of its words is.)
        """
        known, is_known = self._known_words, self._known
        originals = self.lexicon.originals(word).items()
        return {o: p for o, p in originals if (o in known if " " not in o else is_known(o))}

    def _candidates(self, observed: str) -> tuple[Candidate, ...]:
        """Candidates for ``observed`` (lower-case), best first; ``self.candidates`` caches it per phrase."""
        return self._propose(observed, wide=False)

    def _wide_candidates(self, observed: str) -> tuple[Candidate, ...]:
        """More candidates, from a wider two-hop search: for a word known to be replaced (an odd capital)."""
        return self._propose(observed, wide=True)

    def _propose(self, observed: str, *, wide: bool) -> tuple[Candidate, ...]:
        lexicon_word = bool(self.lexicon.originals(observed) or self.lexicon.weights(observed))
        spelled = self.spelling.originals(observed, not lexicon_word) if self.spelling is not None else {}
        if not (
            spelled
            or self.lexicon.originals(observed)
            or observed in self.neighbours
            or (self.two_hop and " " not in observed and self.lexicon.weights(observed))
            or (self.table is not None and self.table.originals(observed))
        ):
            return ()
        found: dict[str, tuple[float, str]] = {}
        if self.table is not None:
            for orig, p in self.table.originals(observed).items():
                found[orig] = (math.log(max(p, TABLE_CHANNEL_FLOOR)), "table")
        for orig, p in self._originals_known(observed).items():
            if orig not in found:
                found[orig] = (math.log(p), "lexicon")
        for std, p in spelled.items():
            if std != observed and std not in found and self._known(std):
                found[std] = (math.log(p), "spelling")
        for std, p in spelled.items():
            for orig, q in self._originals_known(std).items():
                if orig not in found and orig != observed:
                    found[orig] = (math.log(p * q * SPELLING_CHAIN), "spelling")
        if " " not in observed:
            for orig in self.neighbours.get(observed, ()):
                if orig not in found and orig != observed and self._known(orig):
                    found[orig] = (self.log_neighbour, "neighbour")
            if self.two_hop:
                hops = (
                    self._two_hop(
                        observed, self.two_hop_width * WIDE_FACTOR, TWO_HOP_KEEP_PER_CANDIDATE * WIDE_MAX_CANDIDATES
                    )
                    if wide
                    else self._two_hop(observed)
                )
                for orig, p in hops.items():
                    if orig not in found and orig != observed:
                        found[orig] = (math.log(p), "two_hop")
        items = list(found.items())
        logps = self._logps
        prior = [lc + (logps[o] if " " not in o else self._unigram(o)) for o, (lc, _) in items]
        # Stable descending sort: the same order and ties as heapq.nlargest, without a Python key call per item.
        limit = WIDE_MAX_CANDIDATES if wide else self.max_candidates
        top = sorted(range(len(items)), key=prior.__getitem__, reverse=True)[:limit]
        return tuple(Candidate(orig, tuple(orig.split(" ")), lc, src) for orig, (lc, src) in (items[i] for i in top))


class _UnigramLogProbs(dict[str, float]):
    """Word -> add-one smoothed ln P_unigram, computed on first use (a plain ``d[w]`` when cached).

    Ranking looks up thousands per document; filling all 100k+ words up front would slow every
    restorer's construction instead.
    """

    def __init__(self, vocab: Mapping[str, int], total: int) -> None:
        super().__init__()
        self.vocab, self.total = vocab, total

    def __missing__(self, word: str) -> float:
        value = self[word] = math.log((self.vocab.get(word, 0) + 1) / self.total)
        return value


# The lexicon's phrase prefixes, kept as long as the lexicon: every restorer over it shares them.
_LEXICON_PREFIXES: weakref.WeakKeyDictionary[SynonymLexicon, frozenset[str]] = weakref.WeakKeyDictionary()


def _prefixes(lexicon: SynonymLexicon) -> frozenset[str]:
    hit = _LEXICON_PREFIXES.get(lexicon)
    if hit is None:
        hit = _LEXICON_PREFIXES[lexicon] = _word_prefixes(lexicon.to_json_dicts()[1])
    return hit


def _word_prefixes(phrases: Iterable[str]) -> frozenset[str]:
    """The prefixes of two or more words of the multi-word ``phrases`` (themselves included)."""
    out: set[str] = set()
    for phrase in phrases:
        if " " in phrase:
            words = phrase.split(" ")
            out.update(" ".join(words[:n]) for n in range(2, len(words) + 1))
    return frozenset(out)
