"""The restorer: one decoding pass over a document, with the evidence the page score and the edit decisions need.

For each sentence window, the first stage scores every word from one LM pass over the observed
words; the words it sends on are searched (:mod:`despin.restorer.lattice`) and the Viterbi decoder
(:mod:`despin.restorer.decoder`) picks the best reading of the whole window. A pass returns:

* every word's evidence row (:mod:`despin.restorer.word_features`): what the first stage saw and,
  for a searched word, what the search found; the page score's word model reads them;
* the changes on the decoder's path as :class:`Proposal` s, each with the share of the evidence
  against keeping its span that its reading holds: the document restorer decides which to apply
  once the page score says how likely each word is changed and how heavily the page was spun.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import islice

from cachetools import LRUCache

from despin.errors import ConfigError
from despin.lm.base import LanguageModel
from despin.restorer.decoder import LN10, Arc, ArcKind, viterbi
from despin.restorer.edit_model import EditModel
from despin.restorer.first_stage import FirstStage
from despin.restorer.footer import find_footer
from despin.restorer.lattice import Lattice, LatticeBuilder, Observation, PageCounts, ReadCounts, Reading, Searched
from despin.restorer.sources.base import CandidateKind
from despin.restorer.sources.set import CandidateSet
from despin.restorer.word_features import word_row
from despin.text.normalize import lm_key
from despin.text.tokenize import Token, sentences, tokenize
from despin.types import EditKind, Footer

# Sentences longer than this are decoded in windows, which bounds time and memory per sentence.
MAX_SENTENCE_TOKENS = 120
WINDOW_CACHE_SIZE = 4_096  # decoded sentence windows: a second pass re-decodes only what changed


@dataclass(frozen=True, slots=True)
class DecodeConfig:
    """Search settings of the decoder (the scores themselves are the edit model's)."""

    beam: int = 6

    def __post_init__(self) -> None:
        if self.beam < 1:
            raise ConfigError(f"beam must be >= 1, got {self.beam}")


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change on the decoder's path: replace ``observed`` at [start, end) by ``restored``.

    ``word`` is the index (among the page's words) of the word whose evidence says whether the span
    was changed, and ``share`` the share of the evidence against keeping the span that this reading
    holds among its rivals (the path around it fixed).
    """

    start: int
    end: int
    observed: str
    restored: str
    kind: EditKind
    word: int
    share: float
    key: str = ""  # the observed word's lower-case form, which pools occurrences (one spin per page)
    case_fallback: bool = False  # an odd capital: if the reading is too unsure, its case alone may be restored


@dataclass(frozen=True, slots=True)
class RestoreOutcome:
    """What one decoding pass found; the page score and the document restorer read it."""

    proposals: tuple[Proposal, ...]
    footer: Footer | None
    n_words: int
    rows: tuple[tuple[float, ...], ...]  # per word, its evidence row (WORD_FEATURES)
    n_searched: int  # words the first stage sent to the search
    n_capital: int  # common words capitalised mid-sentence
    n_repeat: int  # immediate repeats
    decoded: bool = True  # False: the first stage found too little evidence to decode the page


@dataclass(frozen=True, slots=True)
class _Window:
    proposals: tuple[Proposal, ...]  # offsets from the window's first token, word indices from its first word
    rows: tuple[tuple[float, ...], ...]
    n_searched: int
    n_capital: int
    n_repeat: int
    reads: tuple[tuple[str, int], ...]  # the page counts its readings read: a page with other counts decodes anew


class Restorer:
    """Decode documents: the first stage over every word, then the search and the Viterbi decoder where it points.

    Args:
        lm: an :class:`~despin.lm.base.LanguageModel`.
        builder: observes each window and builds its lattice.
        first_stage: which words to search, and which pages to decode at all.
        config: search settings.
    """

    def __init__(
        self,
        lm: LanguageModel,
        builder: LatticeBuilder,
        *,
        first_stage: FirstStage | None = None,
        config: DecodeConfig | None = None,
    ) -> None:
        self.lm = lm
        self.builder = builder
        self.model: EditModel = builder.model
        self.first_stage = first_stage or FirstStage()
        self.config = config or DecodeConfig()
        self._observed: LRUCache[tuple[object, ...], Observation] = LRUCache(maxsize=WINDOW_CACHE_SIZE)
        self._windows: LRUCache[tuple[object, ...], _Window] = LRUCache(maxsize=WINDOW_CACHE_SIZE)

    @property
    def candidates(self) -> CandidateSet:
        """The candidate set the lattice asks (for benchmarks and error analysis)."""
        return self.builder.candidates

    def restore(self, text: str, *, decode: bool = False) -> RestoreOutcome:
        """Decode ``text``; proposals carry offsets into ``text`` and are sorted and disjoint.

        A page whose first-stage evidence is below the pre-screen is not decoded (no proposal, no
        search features), unless ``decode``.
        """
        footer = find_footer(text)
        body = text[: footer.start] if footer else text
        toks = tokenize(body)
        counts = Counter(lm_key(t.text) for t in toks if t.kind == "word")
        page = PageCounts(counts, sum(counts.values()))
        windows: list[tuple[tuple[object, ...], Observation]] = []
        for s_lo, s_hi in sentences(body, toks):
            for lo in range(s_lo, s_hi, MAX_SENTENCE_TOKENS):
                hi = min(s_hi, lo + MAX_SENTENCE_TOKENS)
                key = self._key(body, toks, lo, hi, s_lo, page)
                obs = self._observed.get(key)
                if obs is None:
                    obs = self._observed[key] = self.builder.observe(toks, lo, hi, s_lo, page)
                elif obs.lo != lo:  # the same window elsewhere (on this page or another): its features, our place
                    obs = replace(obs, lo=lo, hi=hi, sent_start=s_lo)
                windows.append((key, obs))
        cheap = [row for _, obs in windows for row in obs.cheap]
        n_cap = sum(obs.n_capital for _, obs in windows)
        n_rep = sum(obs.n_repeat for _, obs in windows)
        stage = self.first_stage
        q = stage.probabilities(cheap)
        if not decode and cheap and stage.page_evidence(q) < stage.skip_below:
            rows = tuple(tuple(word_row(row, None)) for row in cheap)
            return RestoreOutcome((), footer, len(rows), rows, 0, n_cap, n_rep, decoded=False)
        search = (q >= stage.gate).tolist()
        proposals: list[Proposal] = []
        rows_out: list[tuple[float, ...]] = []
        n_searched = 0
        first = 0
        for key, obs in windows:
            mask = tuple(
                s or must for s, must in zip(search[first : first + len(obs.words)], obs.must_search, strict=True)
            )
            win = self._window(body, toks, obs, page, key, mask)
            base = toks[obs.lo].start
            proposals.extend(
                replace(p, start=p.start + base, end=p.end + base, word=p.word + first) for p in win.proposals
            )
            rows_out.extend(win.rows)
            n_searched += win.n_searched
            first += len(obs.words)
        return RestoreOutcome(tuple(proposals), footer, len(rows_out), tuple(rows_out), n_searched, n_cap, n_rep)

    @staticmethod
    def _key(body: str, toks: list[Token], lo: int, hi: int, sent_start: int, page: PageCounts) -> tuple[object, ...]:
        """What a window's observation depends on: its text, whether it starts the sentence, the tokens just
        outside it (which decide whether a capital is odd), and the page counts of its words."""
        words = [lm_key(t.text) for t in toks[lo:hi] if t.kind == "word"]
        return (
            body[toks[lo].start : toks[hi - 1].end],
            toks[lo - 1].text if lo > sent_start else "",
            toks[hi].text if hi < len(toks) else "",
            lo == sent_start,
            tuple(page.counts.get(w, 0) for w in words),
            page.n_words,
        )

    def _window(
        self,
        body: str,
        toks: list[Token],
        obs: Observation,
        page: PageCounts,
        key: tuple[object, ...],
        mask: tuple[bool, ...],
    ) -> _Window:
        """Decode one observed window, searching the words in ``mask``; cached (a second pass decodes what changed)."""
        hit = self._windows.get((key, mask))
        if hit is not None and all(page.counts.get(w, 0) == n for w, n in hit.reads):
            return hit
        memo = obs.transitions.memo
        n_observed = len(memo)
        counts = ReadCounts(page.counts)
        lat = self.builder.build(toks, obs, replace(page, counts=counts), mask)
        proposals: list[Proposal] = []
        if lat.searched:
            path = viterbi(
                self.lm, lat.arcs_at, lm_weight=self.model.lm_weight, beam=self.config.beam, transitions=lat.transitions
            )
            proposals = self._proposals(body, toks, obs.lo, obs.sent_start, lat, path)
            proposals = self._local_proposals(body, toks, obs.lo, obs.sent_start, lat, proposals)
        base = toks[obs.lo].start
        rel = tuple(replace(p, start=p.start - base, end=p.end - base) for p in proposals)
        rows = tuple(tuple(r) for r in lat.rows)
        hit = _Window(rel, rows, len(lat.searched), lat.n_capital, lat.n_repeat, tuple(counts.read.items()))
        if len(memo) > n_observed:
            # The readings' LM states are spent; a cached observation keeps only its own path's (memory stays
            # linear in the text, not in the text times its candidates).
            obs.transitions.memo = dict(islice(memo.items(), n_observed))
        self._windows[(key, mask)] = hit
        return hit

    def _proposals(
        self, body: str, toks: list[Token], lo: int, sent_start: int, lat: Lattice, path: list[Arc]
    ) -> list[Proposal]:
        """The changes on ``path``, each with the likelihood ratio of its span being changed."""
        order = self.lm.order
        trans = lat.transitions
        model = self.model
        lm_w = LN10 * model.lm_weight
        emitted: list[tuple[str, ...]] = [arc.words for arc in path]
        n_emitted = sum(len(ws) for ws in emitted)
        word_of = {p: i for i, p in enumerate(lat.words)}
        known_share = {s.position: 1.0 - local_share(s, s.unknown) for s in lat.searched if s.unknown is not None}
        before = 0
        out: list[Proposal] = []
        for idx, arc in enumerate(path):
            n_before, before = before, before + len(arc.words)
            if arc.kind is ArcKind.KEEP:
                continue
            p = arc.start
            k = lo + p
            tok = toks[k]
            left = [w for ws in emitted[max(0, idx - order) : idx] for w in ws][-(order - 1) :]
            right = [w for ws in emitted[idx + 1 : idx + order] for w in ws][: order - 1]
            bos = n_before < order - 1
            eos = n_emitted - before < order - 1
            # Posterior of the chosen arc among every arc over the same span, the rest of the path fixed.
            rivals = [a for a in lat.arcs_at[p] if a.length == arc.length]
            if arc.length > 1:
                keep_words = tuple(lat.keys[p : p + arc.length])
                keep_cost = sum(a.cost for q in range(p, p + arc.length) for a in lat.arcs_at[q][:1])
                rivals.append(Arc(p, arc.length, keep_words, keep_cost, ArcKind.KEEP))
            context = trans.context(left, bos=bos)
            scores = [lm_w * trans.window(context, [*a.words, *right], eos=eos) + a.cost for a in rivals]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            z = math.fsum(weights)
            mine = next(w for a, w in zip(rivals, weights, strict=True) if a is arc) / z
            keep = next((w for a, w in zip(rivals, weights, strict=True) if a.kind is ArcKind.KEEP), 0.0) / z
            # The path's arcs have no "none of these": scale by the share the local model leaves to the candidates.
            share = mine / max(1.0 - keep, 1e-12) * known_share.get(p, 1.0)
            word = word_of[p]
            last = toks[k + arc.length - 1]
            if arc.kind is ArcKind.REPEAT:
                prev = toks[k - 1]
                out.append(Proposal(prev.end, tok.end, body[prev.end : tok.end], "", EditKind.REPEAT, word, share))
                continue
            observed = body[tok.start : last.end]
            if arc.source is CandidateKind.CASE:
                out.append(Proposal(tok.start, tok.end, observed, observed.lower(), EditKind.CASE, word, share))
                continue
            proposal = _synonym(toks, k, sent_start, tok.start, observed, arc.original, arc.length, lat, p, word, share)
            if proposal is not None:
                out.append(proposal)
        return out

    def _local_proposals(
        self, body: str, toks: list[Token], lo: int, sent_start: int, lat: Lattice, path_proposals: list[Proposal]
    ) -> list[Proposal]:
        """The path's proposals, plus the best other reading of every searched word the path kept.

        Whether a word was changed is the word model's call, which sees more than the decoder's keep
        cost; where the path kept a word, its best alternative in the observed context is what an edit
        would write, with its share of the readings other than keeping.
        """
        taken = [(p.start, p.end) for p in path_proposals]
        out = list(path_proposals)
        word_of = {p: i for i, p in enumerate(lat.words)}
        for s in lat.searched:
            best = s.best
            if best is None:
                continue
            k = lo + s.position
            tok = toks[k]
            last = toks[k + best.length - 1]
            start = toks[k - 1].end if best.kind is ArcKind.REPEAT else tok.start
            if any(a < last.end and start < b for a, b in taken):
                continue
            share = local_share(s, best)
            word = word_of[s.position]
            observed = body[start : last.end]
            if best.kind is ArcKind.REPEAT:
                out.append(Proposal(start, tok.end, observed, "", EditKind.REPEAT, word, share))
            elif best.candidate is not None and best.candidate.kind is CandidateKind.CASE:
                out.append(Proposal(start, tok.end, observed, observed.lower(), EditKind.CASE, word, share))
            elif best.candidate is not None:
                original, pos = best.candidate.original, s.position
                proposal = _synonym(toks, k, sent_start, start, observed, original, best.length, lat, pos, word, share)
                if proposal is None:
                    continue
                out.append(proposal)
            taken.append((start, last.end))
        return sorted(out, key=lambda p: (p.start, p.end))


def local_share(searched: Searched, reading: Reading) -> float:
    """``reading``'s share of the evidence against keeping the word, "none of these" included."""
    others = [*searched.readings[1:], *((searched.unknown,) if searched.unknown else ())]
    top = max(r.score for r in others)
    return math.exp(reading.score - top) / math.fsum(math.exp(r.score - top) for r in others)


def beside_capital(toks: list[Token], k: int) -> bool:
    """Whether the word at ``k`` has a capitalised word right before or after it."""
    before = k > 0 and toks[k - 1].kind == "word" and toks[k - 1].text[:1].isupper()
    after = k + 1 < len(toks) and toks[k + 1].kind == "word" and toks[k + 1].text[:1].isupper()
    return before or after


def match_case(original: str, observed: str, *, first: bool, odd: bool) -> str:
    """``original`` written in the case of ``observed`` (an odd mid-sentence capital is not copied)."""
    if observed.isupper() and len(observed) > 1:
        return original.upper()
    if first and observed[:1].isupper():
        return original[:1].upper() + original[1:]
    if observed[:1].isupper() and not odd:
        return original[:1].upper() + original[1:]
    return original


def page_counts(text: str) -> Mapping[str, int]:
    """Lower-case word counts of a text (what the page features read)."""
    return Counter(lm_key(t.text) for t in tokenize(text) if t.kind == "word")


def _synonym(
    toks: list[Token],
    k: int,
    sent_start: int,
    start: int,
    observed: str,
    original: str,
    length: int,
    lat: Lattice,
    position: int,
    word: int,
    share: float,
) -> Proposal | None:
    """A synonym proposal replacing ``observed`` (from ``start`` to the end of its ``length`` words at token
    ``k``) by ``original`` in the observed word's case; None when that writes the same text."""
    odd = lat.odd[position]
    restored = match_case(original, toks[k].text, first=(k == sent_start), odd=odd)
    if restored == observed:
        return None
    return Proposal(
        start,
        toks[k + length - 1].end,
        observed,
        restored,
        EditKind.SYNONYM,
        word,
        share,
        key=lat.keys[position] if length == 1 else "",
        case_fallback=odd and length == 1 and not beside_capital(toks, k),
    )
