"""One sentence window's lattice: the first stage, then every searched word's readings scored by the edit model.

For each word the first stage scores how likely it was changed from what one LM pass over the
observed words tells (how much its context wants it, its frequency, whether spinners write it,
whether it is a common word capitalised in mid-sentence, a repeat, over-used on the page). A word at
or above the gate is searched: every candidate the sources propose is scored by the edit model in
the observed context (:mod:`despin.restorer.edit_model`), which gives the word's local P(changed),
and the best few become arcs for the Viterbi decoder.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from despin.lm.base import LanguageModel
from despin.lm.ngram import NUM
from despin.restorer.decoder import LN10, Arc, ArcKind, Transitions
from despin.restorer.edit_model import REPEAT, EditModel, kind_features
from despin.restorer.relatedness import Relatedness
from despin.restorer.sources.base import WEAK_KINDS, Candidate, CandidateKind
from despin.restorer.sources.set import CandidateSet
from despin.restorer.word_features import word_row
from despin.text.normalize import lm_key
from despin.text.tokenize import Token

WORD_CACHE_SIZE = 200_000
# A word written capitalised in mid-sentence in under this share of its clean occurrences is a
# spinner's capital, not a name: 3% keeps names ("Jakarta", >90%) and title words ("Menteri",
# 20-60%) apart from common words (<1%) in the training split's case statistics.
ODD_CAPITAL_SHARE = 0.03
# A sentence's first word counts as part of a following name only if it is itself capitalised
# inside sentences this often ("Presiden Joko", not "Namun Joko").
NAME_START_SHARE = 0.1
# A sentence with at least this share of its later words capitalised (and three of them) is a title
# written in title case: its capitals say nothing about a spinner.
TITLE_CASE_SHARE = 0.5
# After these, a capital starts a clause, a quote, a parenthesis or a list item: it is no odd capital.
_OPENERS = frozenset(".:;!?\"'()[]-\u2013\u2014\u201c\u201d\u2018\u2019|/\u2022*")
# Right context of a reading's local score: the next observed words after its span.
RIGHT_WORDS = 2
# A capitalised word seen fewer times than this is taken for a name: only a learned table may change it.
NAME_MIN_COUNT = 50
# Arcs kept per span for the decoder, after ranking every candidate in its observed context.
MAX_ARCS = 6


@dataclass(slots=True)
class Reading:
    """One alternative reading of a searched word, as the edit model saw it (kept for training)."""

    kind: ArcKind
    length: int  # observed tokens it covers
    words: tuple[str, ...]  # what it emits
    features: list[float]  # keep, candidate or repeat features (empty for a repeat)
    lm: float  # log10 P(words + the next observed words | observed left context)
    score: float  # the edit model's score, LM term included
    candidate: Candidate | None = None


@dataclass(slots=True)
class Searched:
    """A word the first stage sent to the search: its readings and the edit model's P(keep)."""

    position: int  # token index in the window
    readings: list[Reading]  # keep first
    p_keep: float  # the conditional logit's P(kept as written), in the observed context
    best: Reading | None  # the most probable reading other than keeping
    unknown: Reading | None = None  # "changed, original none of these" (kept out of ``readings``)
    cheap: list[float] = field(default_factory=list)  # the word's CHEAP_FEATURES


@dataclass(slots=True)
class Lattice:
    """A window's lattice and what building it learned."""

    keys: list[str]
    transitions: Transitions
    arcs_at: list[list[Arc]]
    odd: list[bool]
    rows: list[list[float]] = field(default_factory=list)  # each word's evidence row, in order
    words: list[int] = field(default_factory=list)  # the window position of each row's word
    searched: list[Searched] = field(default_factory=list)
    n_capital: int = 0
    n_repeat: int = 0


@dataclass(slots=True)
class Observation:
    """A sentence window after the first stage's LM pass: per word, its cheap features."""

    lo: int
    hi: int
    sent_start: int
    keys: list[str]
    transitions: Transitions
    odd: list[bool]  # per token position
    words: list[int] = field(default_factory=list)  # the window position of each word
    cheap: list[list[float]] = field(default_factory=list)  # per word, CHEAP_FEATURES
    must_search: list[bool] = field(default_factory=list)  # per word: an odd capital, a repeat, a table word
    in_table: list[bool] = field(default_factory=list)
    n_capital: int = 0
    n_repeat: int = 0


@dataclass(frozen=True)
class PageCounts:
    """Word counts of the page a window belongs to: the over-use and on-page features read them."""

    counts: Mapping[str, int]
    n_words: int


class ReadCounts(Mapping[str, int]):
    """A page's counts that remember which words were read, and their counts: a decoded window depends on the
    page's counts of its candidates, which are known only once it is built."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self._counts = counts
        self.read: dict[str, int] = {}

    def __getitem__(self, word: str) -> int:
        n = self.read[word] = self._counts.get(word, 0)
        if not n:
            raise KeyError(word)
        return n

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)


class LatticeBuilder:
    """Builds sentence-window lattices for one lexicon, table and edit model."""

    def __init__(
        self,
        lm: LanguageModel,
        candidates: CandidateSet,
        model: EditModel,
        *,
        vocab: Mapping[str, int],
        case_share: Mapping[str, tuple[float, float]],
        relatedness: Relatedness,
    ) -> None:
        self.lm, self.candidates, self.model = lm, candidates, model
        self.vocab, self.case_share, self.relatedness = vocab, case_share, relatedness
        self._null = lm.null()
        self._total = max(1, sum(vocab.values()))
        self.unigram = lru_cache(maxsize=WORD_CACHE_SIZE)(self._unigram)
        self.word_stats = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word_stats)

    def _unigram(self, word: str) -> float:
        return float(self.lm.base_score(self._null, word, self.lm.new_state()))

    def _word_stats(self, word: str) -> tuple[float, float, bool, float, bool]:
        """(ln(1 + count), spin prior, has originals, ln P_unigram, written reduplicated) of a word."""
        vocab = self.vocab
        count = vocab.get(word, 0)
        originals = self.candidates.lexicon.originals(word)
        mass = sum(vocab.get(o, 0) * p for o, p in originals.items())
        table = self.candidates.table
        has = bool(originals) or (table is not None and bool(table.originals(word)))
        redup = vocab.get(f"{word}-{word}", 0) > 0
        return (
            math.log1p(count),
            math.log((mass + 1.0) / (count + 1.0)),
            has,
            math.log((count + 0.5) / self._total),
            redup,
        )

    # -- capitals ---------------------------------------------------------------------------------
    def odd_capital(self, toks: list[Token], k: int, sent_start: int) -> tuple[bool, bool]:
        """Whether a word is a common word capitalised in mid-sentence, as spinners write: (alone, beside a capital).

        Alone, a word that clean text almost never capitalises between lower-case words is odd. Beside
        another capital it may be part of a name or a title ("Drama Penggerebekan"), which people write,
        or a spinner's capital next to a name or another of its capitals: it is odd when clean text almost
        never capitalises it even there, and the models weigh the two cases apart.
        """
        tok = toks[k]
        if k == sent_start or tok.kind != "word" or not tok.text[:1].isupper() or tok.text.isupper():
            return False, False
        prev = toks[k - 1]
        if prev.kind != "word" and prev.text in _OPENERS:
            return False, False  # a quote, a parenthesis, a dateline or a list item starts
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        # A sentence's first word counts as a neighbouring capital only if it is itself often part of names.
        beside = (
            prev.kind == "word"
            and prev.text[:1].isupper()
            and (k - 1 != sent_start or self.case_share.get(lm_key(prev.text), (1.0, 1.0))[1] > NAME_START_SHARE)
        ) or (nxt is not None and nxt.kind == "word" and nxt.text[:1].isupper())
        key = lm_key(tok.text)
        shares = self.case_share.get(key)
        if shares is None:  # too rare to know how it is written: odd if it is a word spinners emit
            odd = bool(self.candidates.lexicon.originals(key))
        else:
            odd = (shares[1] if beside else shares[0]) < ODD_CAPITAL_SHARE
        return odd and not beside, odd and beside

    # -- the first stage's view: one LM pass ------------------------------------------------------
    def observe(self, toks: list[Token], lo: int, hi: int, sent_start: int, page: PageCounts) -> Observation:
        """Tokens ``lo:hi`` of a sentence starting at ``sent_start``, after one LM pass: each word's cheap features."""
        keys = [
            NUM if t.kind == "number" else (t.text.lower() if t.text.isascii() else lm_key(t.text)) for t in toks[lo:hi]
        ]
        n = hi - lo
        lm = self.lm
        score_fn, new_state = lm.base_score, lm.new_state
        trans = Transitions(lm)
        memo = trans.memo
        state = lm.begin()
        states = trans.observed = [state]
        unigram = self.unigram
        fit: list[float] = []
        for word in keys:
            out = new_state()
            lp = score_fn(state, word, out)
            memo[(state, word)] = (lp, out)
            states.append(out)
            state = out
            fit.append(lp - unigram(word))
        fit.append(0.0)
        obs = Observation(lo, hi, sent_start, keys, trans, [False] * n)
        later = [t for t in toks[max(lo, sent_start + 1) : hi] if t.kind == "word"]
        n_caps = sum(t.text[:1].isupper() for t in later)
        title = n_caps >= 3 and n_caps >= TITLE_CASE_SHARE * len(later)
        table_starts = self.candidates.table_starts
        page_words = max(1, page.n_words)
        for p in range(n):
            k = lo + p
            tok = toks[k]
            if tok.kind != "word":
                continue
            word = keys[p]
            capital = not title and k != sent_start and tok.text[:1].isupper()
            alone, beside = self.odd_capital(toks, k, sent_start) if capital else (False, False)
            odd = obs.odd[p] = alone or beside
            obs.n_capital += odd
            # A spinner doubles a word as it is written ("yang yang"); "dan Dan" is more often a title or a name.
            repeat = p > 0 and toks[k - 1].kind == "word" and toks[k - 1].text == tok.text
            obs.n_repeat += repeat
            log_count, spin_prior, has_originals, log_uni, redup = self.word_stats(word)
            overuse = math.log((page.counts.get(word, 1) + 0.5) / (page_words * math.exp(log_uni) + 0.5))
            in_table = word in table_starts
            obs.words.append(p)
            obs.cheap.append(
                [
                    fit[p],
                    fit[p + 1],
                    log_count,
                    spin_prior,
                    float(has_originals or in_table),
                    float(alone),
                    float(beside),
                    float(repeat),
                    overuse,
                    float(len(word) <= 3),
                    float(capital and not odd),
                    float(repeat and redup),
                ]
            )
            obs.must_search.append(in_table or odd or repeat)
            obs.in_table.append(in_table)
        return obs

    # -- the lattice ---------------------------------------------------------------------------------
    def build(self, toks: list[Token], obs: Observation, page: PageCounts, searched_words: Sequence[bool]) -> Lattice:
        """The lattice of an observed window: each word in ``searched_words`` (by word index) gets its readings.

        Every word gets an evidence row: its cheap features, and the summary of its search if it had one.
        """
        model = self.model
        lat = Lattice(obs.keys, obs.transitions, [], obs.odd)
        lat.n_capital, lat.n_repeat = obs.n_capital, obs.n_repeat
        word_at = {p: i for i, p in enumerate(obs.words)}
        for p in range(obs.hi - obs.lo):
            i = word_at.get(p)
            if i is None:
                lat.arcs_at.append([Arc(p, 1, (obs.keys[p],), 0.0, ArcKind.KEEP)])
                continue
            cheap = obs.cheap[i]
            keep_features = [1.0, *cheap, float(obs.in_table[i])]
            keep_arc = Arc(p, 1, (obs.keys[p],), model.keep_score(keep_features), ArcKind.KEEP)
            arcs = [keep_arc]
            searched: Searched | None = None
            if searched_words[i]:
                k = obs.lo + p
                repeat = cheap[REPEAT] > 0
                searched = self._search(toks, lat, p, k, obs.sent_start, obs.odd[p], repeat, keep_features, page)
                searched.cheap = cheap
                lat.searched.append(searched)
                arcs = self._arcs(searched, keep_arc)
            lat.arcs_at.append(arcs)
            lat.rows.append(word_row(cheap, searched))
            lat.words.append(p)
        return lat

    def _search(
        self,
        toks: list[Token],
        lat: Lattice,
        p: int,
        k: int,
        sent_start: int,
        odd: bool,
        repeat: bool,
        keep_features: list[float],
        page: PageCounts,
    ) -> Searched:
        """Score every reading of the word at ``p`` in its observed context."""
        model = self.model
        gen = self.candidates
        keys, n = lat.keys, len(lat.keys)
        trans = lat.transitions
        memo, score_fn, new_state = trans.memo, self.lm.base_score, self.lm.new_state
        left_state = trans.observed[p]
        lm_w = LN10 * model.lm_weight
        # A capitalised word that is not odd may be a name: only a link of its own may change it, and
        # a rare one (a name, a foreign word) only this spinner's learned table.
        name = k != sent_start and toks[k].text[:1].isupper() and not odd
        rare_name = name and self.vocab.get(keys[p], 0) < NAME_MIN_COUNT
        left_words = keys[max(0, p - 2) : p]
        spans: list[tuple[int, tuple[Candidate, ...]]] = []
        phrase = keys[p]
        for length in range(1, min(gen.max_phrase_len, n - p) + 1):
            if length > 1:
                if toks[k + length - 1].kind != "word":
                    break
                phrase = f"{phrase} {keys[p + length - 1]}"
                if not gen.may_extend(phrase):
                    break
            right_words = keys[p + length : p + length + RIGHT_WORDS]
            cands = gen.propose(phrase, left_words, right_words, wide=odd)
            if cands:
                spans.append((length, cands))
        longest = max((length for length, _ in spans), default=1)
        end = min(n, p + longest + RIGHT_WORDS)

        def lm_score(words: tuple[str, ...], length: int) -> float:
            total = 0.0
            state = left_state
            for word in (*words, *keys[p + length : end]):
                key = (state, word)
                hit = memo.get(key)
                if hit is None:
                    out = new_state()
                    hit = memo[key] = (score_fn(state, word, out), out)
                total += hit[0]
                state = hit[1]
            return total

        word = keys[p]
        keep_lm = lm_score((word,), 1)
        readings = [
            Reading(ArcKind.KEEP, 1, (word,), keep_features, keep_lm, model.keep_score(keep_features) + lm_w * keep_lm)
        ]
        if repeat:
            lp = lm_score((), 1)
            readings.append(Reading(ArcKind.REPEAT, 1, (), [], lp, model.repeat_delete + lm_w * lp))
        counts = page.counts
        vocab = self.vocab
        related = self.relatedness.score
        observed_count = vocab.get(word, 0)
        for length, cands in spans:
            observed = word if length == 1 else " ".join(keys[p : p + length])
            for cand in cands:
                if (name and cand.kind in WEAK_KINDS) or (rare_name and cand.kind is not CandidateKind.TABLE):
                    continue
                if cand.kind is CandidateKind.CASE and not odd:
                    continue
                single = len(cand.words) == 1 and length == 1
                features = [
                    *kind_features(cand.kind),
                    cand.log_channel,
                    related(cand.original, observed) if single else 0.0,
                    math.log((vocab.get(cand.original, 0) + 1) / (observed_count + 1)) if single else 0.0,
                    0.0 if single else 1.0,
                    math.log1p(counts.get(cand.original, 0)) if cand.kind is not CandidateKind.CASE else 0.0,
                ]
                lp = lm_score(cand.words, length)
                readings.append(
                    Reading(
                        ArcKind.SYNONYM,
                        length,
                        cand.words,
                        features,
                        lp,
                        model.candidate_score(features) + lm_w * lp,
                        cand,
                    )
                )
        n_candidates = len(readings) - 1 - repeat
        unknown_features = [1.0, float(odd), math.log1p(n_candidates)]
        unknown = Reading(
            ArcKind.KEEP, 1, (word,), unknown_features, keep_lm, model.unknown_score(unknown_features) + lm_w * keep_lm
        )
        top = max(r.score for r in (*readings, unknown))
        z = math.fsum(math.exp(r.score - top) for r in (*readings, unknown))
        p_keep = math.exp(readings[0].score - top) / z
        others = readings[1:]
        best = max(others, key=_score) if others else None
        return Searched(p, readings, p_keep, best, unknown)

    def _arcs(self, searched: Searched, keep_arc: Arc) -> list[Arc]:
        """The keep arc, a repeat deletion, and the best ``MAX_ARCS`` other readings, as decoder arcs.

        An arc's cost is its reading's score without the LM term: the decoder adds the sentence's LM score.
        """
        p = searched.position
        lm_w = LN10 * self.model.lm_weight
        arcs = [keep_arc]
        n_syn = 0
        for r in sorted(searched.readings[1:], key=_score, reverse=True):
            if r.kind is ArcKind.REPEAT:
                arcs.append(Arc(p, 1, (), r.score - lm_w * r.lm, ArcKind.REPEAT))
            elif n_syn < MAX_ARCS and r.candidate is not None:
                n_syn += 1
                cand = r.candidate
                arcs.append(Arc(p, r.length, r.words, r.score - lm_w * r.lm, ArcKind.SYNONYM, cand.original, cand.kind))
        return arcs


def _score(r: Reading) -> float:
    return r.score
