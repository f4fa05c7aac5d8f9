"""Candidate originals for each observed span: the restorer's reverse channel.

Three sources, each with its own channel probability ``P(observed | original)``:
the reverse synonym lexicon, a learned spinner table (trusted more: it was read off this
spinner's own output), and distributional neighbours, which cover spinners whose table we have
never seen.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter

from despin.lexicon import SynonymLexicon


@dataclass(frozen=True, slots=True)
class Candidate:
    original: str  # lower-case phrase, single-spaced
    words: tuple[str, ...]
    log_channel: float  # natural log of P(observed | original, spun)
    source: str  # "lexicon" | "table" | "neighbour" | "two_hop"


class CandidateGenerator:
    """Propose originals for an observed lower-case phrase.

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
    ) -> None:
        self.lexicon = lexicon
        self.vocab = vocab
        self.table = table
        self.neighbours = neighbours or {}
        self.log_neighbour = math.log(neighbour_channel)
        self.two_hop, self.two_hop_width = two_hop, two_hop_width
        self.two_hop_keep = 3 * max_candidates  # the strongest paths only: ranking hundreds costs more than it finds
        self.min_count = min_count
        self.max_candidates = max_candidates
        self.max_phrase_len = max(lexicon.max_phrase_len, table.max_phrase_len if table else 1)
        self._total = max(1, sum(vocab.values()))
        self._cache: dict[str, tuple[Candidate, ...]] = {}
        self._logps: dict[str, float] = {}
        self._known_words = frozenset(w for w, c in vocab.items() if c >= min_count)

    def _logp(self, word: str) -> float:
        hit = self._logps.get(word)
        if hit is None:
            hit = self._logps[word] = math.log((self.vocab.get(word, 0) + 1) / self._total)
        return hit

    def _known(self, phrase: str) -> bool:
        if " " not in phrase:
            return phrase in self._known_words
        return all(w in self._known_words for w in phrase.split(" "))

    def _unigram(self, phrase: str) -> float:
        if " " not in phrase:
            return self._logp(phrase)
        return sum(self._logp(w) for w in phrase.split(" "))

    def _two_hop(self, observed: str) -> dict[str, float]:
        """Originals two synonym links away, through the most frequent words linked to ``observed``.

        Two thesauri rarely list the same pair, but they often share a neighbour: on dev spins
        with a table disjoint from our lexicon, 62% of the true originals are two links away
        (and 8% among the distributional neighbours).
        """
        lex = self.lexicon
        hops = {**{y: 1.0 for y in lex.synonyms(observed)}, **lex.originals(observed)}
        via = sorted(hops, key=lambda y: -self.vocab.get(y, 0))[: self.two_hop_width]
        out: dict[str, float] = {}
        known = self._known_words
        for y in via:
            hy = hops[y]
            for orig, p in lex.originals(y).items():
                if p * hy > out.get(orig, 0.0) and (orig in known or self._known(orig)):
                    out[orig] = p * hy
        return dict(heapq.nlargest(self.two_hop_keep, out.items(), key=itemgetter(1)))

    def candidates(self, observed: str) -> tuple[Candidate, ...]:
        """Candidates for ``observed`` (lower-case), best first; cached per phrase."""
        hit = self._cache.get(observed)
        if hit is not None:
            return hit
        if not (
            self.lexicon.originals(observed)
            or observed in self.neighbours
            or (self.two_hop and " " not in observed and self.lexicon.synonyms(observed))
            or (self.table is not None and self.table.originals(observed))
        ):
            return ()
        found: dict[str, tuple[float, str]] = {}
        if self.table is not None:
            for orig, p in self.table.originals(observed).items():
                # A learned table is evidence about this very spinner: floor it well above the lexicon.
                found[orig] = (math.log(max(p, 0.3)), "table")
        for orig, p in self.lexicon.originals(observed).items():
            if orig not in found and self._known(orig):
                found[orig] = (math.log(p), "lexicon")
        if " " not in observed:
            for orig in self.neighbours.get(observed, ()):
                if orig not in found and orig != observed and self._known(orig):
                    found[orig] = (self.log_neighbour, "neighbour")
            if self.two_hop:
                for orig, p in self._two_hop(observed).items():
                    if orig not in found and orig != observed:
                        found[orig] = (math.log(p), "two_hop")
        ranked = heapq.nlargest(self.max_candidates, found.items(), key=lambda kv: kv[1][0] + self._unigram(kv[0]))
        out = tuple(Candidate(orig, tuple(orig.split(" ")), lc, src) for orig, (lc, src) in ranked)
        if len(self._cache) < 200_000:
            self._cache[observed] = out
        return out
