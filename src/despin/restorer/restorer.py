"""The restorer: per-sentence noisy-channel decoding, then edits with posterior confidences."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import itemgetter

from cachetools import LRUCache

from despin.errors import ConfigError
from despin.lm.base import LanguageModel
from despin.lm.ngram import NUM
from despin.restorer.candidates import Candidate, CandidateGenerator
from despin.restorer.decoder import LN10, Arc, Transitions, viterbi
from despin.restorer.footer import find_footer
from despin.text.normalize import lm_key
from despin.text.tokenize import Token, sentences, tokenize
from despin.types import Edit, Footer

# Sentences longer than this are decoded in windows, which bounds time and memory per sentence.
MAX_SENTENCE_TOKENS = 120
# Cache sizes (entries, each an LRU): a long-lived model meets unboundedly many distinct words.
WORD_CACHE_SIZE = 200_000  # unigram log-probs, keep costs, candidate options per phrase
WINDOW_CACHE_SIZE = 4_096  # decoded sentence windows: a second pass re-decodes only what changed
# A word written capitalised in mid-sentence in under this share of its clean occurrences is a
# spinner's capital, not a name: 3% keeps names ("Jakarta", >90%) and title words ("Menteri",
# 20-60%) apart from common words ("kini", <1%) in the training split's case statistics.
ODD_CAPITAL_SHARE = 0.03
# A sentence's first word counts as part of a following name only if it is itself capitalised
# inside sentences this often ("Presiden Joko", not "Namun Joko").
NAME_START_SHARE = 0.1
# A sentence with at least this share of its later words capitalised (and three of them) is a
# title or headline written in title case ("Gempa Menghancurkan Pulau ..."): its capitals say nothing
# about a spinner. On dev spins, case edits inside such lines were most of the damage to untouched words.
TITLE_CASE_SHARE = 0.5
# One spin per discourse: a spinner writes the same word for the same original throughout a page
# (or draws from few), so the occurrences of one observed word pool their evidence. A word's
# occurrences that the decoder would change to the same original are all changed when their summed
# log-odds against keeping reach the edit bar's; an occurrence counts at most this many log-odds units,
# so one certain occurrence alone cannot carry a doubtful one.
POOL_MAX_LOGIT = 4.0


@dataclass(frozen=True, slots=True)
class RestoreConfig:
    """Decoder weights. An arc scores ``lm_weight * ln P_LM`` plus the terms below.

    The defaults are the noisy channel's own priors: a word is spun with probability rho = 0.12
    (so keeping it earns ln((1 - rho) / rho) = 2.0), and a common word capitalised in
    mid-sentence with probability 0.9 (ln(0.1 / 0.9) - 2.0 = -4.2). A conditional logit fitted
    on calib spins preferred a weaker LM (0.48) but restored fewer words at equal damage on
    dev, so we keep the priors and move along the recall/damage curve with ``min_confidence``.
    """

    lm_weight: float = 1.0
    channel_weight: float = 1.0  # times ln P(observed | original)
    unigram_weight: float = 0.0  # times ln P_unigram(emitted words)
    keep_bias: float = 2.0  # for keeping a word as written
    keep_capital_bias: float = -4.2  # added when the kept word is a common word capitalised mid-sentence
    # Replaces keep_bias for a word the learned table (``table=``) says this spinner writes: the
    # spinner's own table makes a replacement far likelier than rho. Set on the dev farms of
    # benchmarks/farms.py.
    table_keep_bias: float = -2.0
    neighbour_bias: float = -3.0  # for a distributional-neighbour candidate (no lexicon link)
    two_hop_bias: float = -2.0  # for a candidate two lexicon links away
    multiword_bias: float = 0.0  # for an arc that covers several observed words
    rho_repeat: float = 0.3  # prior that an immediately repeated word is a spinner artifact
    beam: int = 6
    max_candidates: int = 6  # per span, after ranking every candidate in its observed context
    # A word whose context raises its probability (and its successor's) by more than this many
    # log10 units over their unigram probabilities fits, and is not searched for an original.
    # On dev spins at 15%, a gate of 1.0 keeps 92% of spun words and skips half the clean ones.
    gate: float = 1.0
    # A span is edited when the posterior mass against keeping it reaches this. On 20 dev
    # documents spun at 15%: 0.85 restores 49% of substituted words at 1.0% damage to untouched
    # ones, 0.92 46% at 0.75%, 0.96 41% at 0.63%.
    min_confidence: float = 0.95

    def __post_init__(self) -> None:
        for name in ("rho_repeat", "min_confidence"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(f"{name} must be in (0, 1), got {value}")
        if self.beam < 1 or self.max_candidates < 0 or self.lm_weight <= 0:
            raise ConfigError("beam must be >= 1, max_candidates >= 0 and lm_weight > 0")


@dataclass(frozen=True, slots=True)
class RestoreOutcome:
    """What one decoding pass found; the detector reads its statistics as features."""

    edits: tuple[Edit, ...]
    footer: Footer | None
    n_words: int
    n_candidates: int  # word tokens that had at least one candidate original
    n_capital: int  # common words capitalised mid-sentence
    n_repeat: int
    lm_gain: float  # log10 P(restored) - log10 P(observed), summed over sentences
    n_unfit: int = 0  # words whose context does not want them (failing the gate), with or without candidates
    n_spelling: int = 0  # words with a slang, abbreviation or typo reading (non-standard spelling)
    # One-word changes on the decoder's best path, whether or not they pass the edit bar, and their
    # summed P(changed): the evidence below the bar is most of what a lightly spun document leaves.
    n_proposed: int = 0
    soft_changed: float = 0.0


class Restorer:
    """Undo synonym spinning with a language model and a reverse synonym channel.

    Args:
        lm: an :class:`~despin.lm.base.LanguageModel`.
        candidates: the reverse channel.
        case_share: lower-case word -> shares of its mid-sentence occurrences written capitalised
            in clean text, (between lower-case words, anywhere); a word almost never capitalised
            there is a spinner artifact when it is.
        config: decoder parameters.
    """

    def __init__(
        self,
        lm: LanguageModel,
        candidates: CandidateGenerator,
        *,
        case_share: Mapping[str, tuple[float, float]],
        config: RestoreConfig | None = None,
    ) -> None:
        self.lm = lm
        self.candidates = candidates
        self.case_share = case_share
        self.config = config or RestoreConfig()
        c = self.config
        self._repeat = math.log(c.rho_repeat)
        self._no_repeat = math.log(1.0 - c.rho_repeat)
        self._null = lm.null()
        # Bounded LRU caches (functools' C implementation: these sit on the decoder's hot path).
        self._unigram = lru_cache(maxsize=WORD_CACHE_SIZE)(self._unigram_uncached)
        self._keep_cost = lru_cache(maxsize=WORD_CACHE_SIZE)(self._keep_cost_uncached)
        self._options = lru_cache(maxsize=WORD_CACHE_SIZE)(self._options_uncached)
        self._windows: LRUCache[tuple[str, str, str, bool], _Window] = LRUCache(maxsize=WINDOW_CACHE_SIZE)

    def _unigram_uncached(self, word: str) -> float:
        return float(self.lm.base_score(self._null, word, self.lm.new_state()))

    def _keep_cost_uncached(self, key: str, odd: bool) -> float:
        c = self.config
        return c.keep_bias + odd * c.keep_capital_bias + c.unigram_weight * LN10 * self._unigram(key)

    def _spin_cost(self, cand: Candidate, length: int) -> float:
        c = self.config
        return (
            c.channel_weight * cand.log_channel
            + c.unigram_weight * LN10 * sum(self._unigram(w) for w in cand.words)
            + (cand.source == "neighbour") * c.neighbour_bias
            + (cand.source == "two_hop") * c.two_hop_bias
            + (length > 1) * c.multiword_bias
        )

    # -- lattice ---------------------------------------------------------------------------
    def _odd_capital(self, toks: list[Token], k: int, sent_start: int) -> bool:
        """A common word written with a capital in mid-sentence, as spinners do, rather than a name."""
        tok = toks[k]
        if k == sent_start or tok.kind != "word" or not tok.text[:1].isupper() or tok.text.isupper():
            return False
        prev = toks[k - 1]
        if prev.text in (".", ":", '"', "'", "(", "\u201c", "\u201d", "-"):
            return False  # a quote or title starts
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        # Beside another capital (not just the sentence's first word) we may be inside a name.
        # A sentence's first word counts only if it is itself often part of names ("Menteri").
        in_name = (
            prev.kind == "word"
            and prev.text[:1].isupper()
            and (k - 1 != sent_start or self.case_share.get(lm_key(prev.text), (1.0, 1.0))[1] > NAME_START_SHARE)
        ) or (nxt is not None and nxt.kind == "word" and nxt.text[:1].isupper())
        key = lm_key(tok.text)
        shares = self.case_share.get(key)
        if shares is None:  # too rare to know how it is written: odd if it is a word spinners emit
            return not in_name and bool(self.candidates.lexicon.originals(key))
        isolated, anywhere = shares
        return anywhere < ODD_CAPITAL_SHARE if in_name else isolated < ODD_CAPITAL_SHARE

    def _options_uncached(self, phrase: str, length: int, wide: bool) -> tuple[_Option, ...]:
        """Candidate originals of an observed phrase of ``length`` tokens, with their channel costs.

        ``wide``: the phrase was surely replaced (an odd capital), so search further for its original.
        """
        gen = self.candidates
        cands = gen.wide_candidates(phrase) if wide else gen.candidates(phrase)
        return tuple(
            (cand.words, self._spin_cost(cand, length), cand.original, cand.source in _WEAK_SOURCES) for cand in cands
        )

    def _arcs(self, toks: list[Token], lo: int, hi: int, sent_start: int) -> _Lattice:
        c = self.config
        # lm_token inlined (a call per token): numbers collapse, ASCII words need only lower().
        keys = [
            NUM if t.kind == "number" else (t.text.lower() if t.text.isascii() else lm_key(t.text)) for t in toks[lo:hi]
        ]
        n = hi - lo
        # One pass over the observed sentence gives every left-context state and each word's
        # log-probability; words the LM finds plausible in place are not worth a candidate search.
        lm = self.lm
        score_fn, new_state = lm.base_score, lm.new_state
        trans = Transitions(lm)
        memo = trans.memo
        state = lm.begin()
        states = trans.observed = [state]
        unigram = self._unigram
        fit: list[float] = []  # log10 P(word | context) - log10 P(word): how much the context wants it
        for word in keys:
            out = new_state()
            lp = score_fn(state, word, out)
            memo[(state, word)] = (lp, out)
            states.append(out)
            state = out
            fit.append(lp - unigram(word))
        fit.append(0.0)
        lat = _Lattice(keys, trans, [], [False] * n)
        keep_cost_of = self._keep_cost
        table_starts = self.candidates.table_starts
        later = [t for t in toks[max(lo, sent_start + 1) : hi] if t.kind == "word"]
        n_caps = sum(t.text[:1].isupper() for t in later)
        title = n_caps >= 3 and n_caps >= TITLE_CASE_SHARE * len(later)
        for p in range(n):
            k = lo + p
            tok = toks[k]
            word = keys[p]
            if tok.kind != "word":
                lat.arcs_at.append([Arc(p, 1, (word,), 0.0, "keep")])
                continue
            odd = lat.odd[p] = not title and tok.text[:1].isupper() and self._odd_capital(toks, k, sent_start)
            lat.n_capital += odd
            in_table = word in table_starts
            keep = keep_cost_of(word, odd) + in_table * (c.table_keep_bias - c.keep_bias)
            arcs = [Arc(p, 1, (word,), keep, "keep")]
            unfit = fit[p] + fit[p + 1] < c.gate
            lat.n_unfit += unfit
            if odd or unfit or in_table:
                # A capitalised word that is not odd may be a name: only a synonym link may change it,
                # never mere distributional similarity (which would turn "Bandung" into "Jakarta").
                name = k != sent_start and tok.text[:1].isupper() and not odd
                n_found = self._replacements(toks, lat, p, k, name, odd, arcs)
                lat.n_candidates += n_found > 0
                spelling = self.candidates.spelling
                lat.n_spelling += spelling is not None and bool(spelling.originals(word))
            if p > 0 and word == keys[p - 1] and toks[k - 1].kind == "word":
                lat.n_repeat += 1
                arcs[0] = Arc(p, 1, (word,), arcs[0].cost + self._no_repeat, "keep")
                arcs.append(Arc(p, 1, (), self._repeat, "repeat"))
            lat.arcs_at.append(arcs)
        return lat

    def _replacements(
        self, toks: list[Token], lat: _Lattice, p: int, k: int, name: bool, odd: bool, arcs: list[Arc]
    ) -> int:
        """Append to ``arcs`` the best ``max_candidates`` replacements of spans starting at ``p``.

        Candidates are ranked by LM score in the observed context (with the next observed word)
        plus channel cost. Returns how many candidates were ranked.
        """
        c = self.config
        gen = self.candidates
        keys, n = lat.keys, len(lat.keys)
        trans = lat.transitions
        memo, score_fn, new_state = trans.memo, self.lm.base_score, self.lm.new_state
        left = trans.observed[p]
        lm_w = LN10 * c.lm_weight
        found: list[tuple[float, int, tuple[str, ...], float, str]] = []
        phrase = keys[p]
        for length in range(1, min(gen.max_phrase_len, n - p) + 1):
            if length > 1:
                if toks[k + length - 1].kind != "word":
                    break
                phrase = f"{phrase} {keys[p + length - 1]}"
                if not gen.may_extend(phrase):
                    break  # no candidate for this phrase nor for any longer one
            options = self._options(phrase, length, odd)
            if not options:
                continue
            follow = keys[p + length : p + length + 1]
            nxt = follow[0] if follow else None
            for words, cost, original, weak in options:
                if name and weak:
                    continue
                # log10 P(words + follow | observed left context), summed in the order viterbi
                # sums; the memo keeps the transitions for viterbi (a repeat look-up rarely hits).
                if len(words) == 1 and nxt is not None:  # most candidates: the loop below, unrolled
                    word = words[0]
                    mid = new_state()
                    s1 = score_fn(left, word, mid)
                    memo[(left, word)] = (s1, mid)
                    out = new_state()
                    s2 = score_fn(mid, nxt, out)
                    memo[(mid, nxt)] = (s2, out)
                    lp = 0.0 + s1 + s2
                else:
                    lp = 0.0
                    state = left
                    for word in (*words, *follow):
                        out = new_state()
                        s = score_fn(state, word, out)
                        memo[(state, word)] = (s, out)
                        lp += s
                        state = out
                found.append((lm_w * lp + cost, length, words, cost, original))
        found.sort(key=itemgetter(0), reverse=True)  # stable: ties keep proposal order
        for _, length, words, cost, original in found[: c.max_candidates]:
            arcs.append(Arc(p, length, words, cost, "synonym", original))
        return len(found)

    # -- decoding ---------------------------------------------------------------------------
    def restore(self, text: str) -> RestoreOutcome:
        """Decode ``text``; edits carry offsets into ``text`` and are sorted and disjoint."""
        footer = find_footer(text)
        body = text[: footer.start] if footer else text
        toks = tokenize(body)
        edits: list[Edit] = []
        n_words = sum(t.kind == "word" for t in toks)
        n_cand = n_cap = n_rep = n_unfit = n_spell = 0
        gain = 0.0
        proposals: list[_Proposal] = []
        for s_lo, s_hi in sentences(body, toks):
            for lo in range(s_lo, s_hi, MAX_SENTENCE_TOKENS):
                hi = min(s_hi, lo + MAX_SENTENCE_TOKENS)
                win = self._window(body, toks, lo, hi, s_lo)
                base = toks[lo].start
                edits.extend(replace(e, start=e.start + base, end=e.end + base) for e in win.edits)
                proposals.extend((a + base, b + base, o, q, odd, first) for a, b, o, q, odd, first in win.proposals)
                n_cand, n_cap, n_rep = n_cand + win.n_candidates, n_cap + win.n_capital, n_rep + win.n_repeat
                gain += win.gain
                n_unfit, n_spell = n_unfit + win.n_unfit, n_spell + win.n_spelling
        if len(proposals) > 1:
            edits = _pool(body, edits, proposals, self.config.min_confidence)
        soft = math.fsum(q for _, _, _, q, _, _ in proposals)
        return RestoreOutcome(
            tuple(edits), footer, n_words, n_cand, n_cap, n_rep, gain, n_unfit, n_spell, len(proposals), soft
        )

    def _window(self, body: str, toks: list[Token], lo: int, hi: int, sent_start: int) -> _Window:
        """Decode tokens ``lo:hi`` of a sentence starting at ``sent_start``; edits relative to ``toks[lo]``.

        A window's decoding depends on its own text, on whether it starts the sentence, and on the
        tokens just outside it (which decide whether a capital is odd or part of a name), so the
        result is cached under those: a document's second pass, and boilerplate repeated across
        documents, decode only what is new.
        """
        key = (
            body[toks[lo].start : toks[hi - 1].end],
            toks[lo - 1].text if lo > sent_start else "",
            toks[hi].text if hi < len(toks) else "",
            lo == sent_start,
        )
        hit = self._windows.get(key)
        if hit is not None:
            return hit
        lat = self._arcs(toks, lo, hi, sent_start)
        sent_edits: list[Edit] = []
        proposals: list[_Proposal] = []
        g = 0.0
        if lat.n_candidates or lat.n_repeat or lat.n_capital:
            c = self.config
            path = viterbi(self.lm, lat.arcs_at, lm_weight=c.lm_weight, beam=c.beam, transitions=lat.transitions)
            sent_edits, g, proposals = self._edits(body, toks, lo, sent_start, lat, path)
        base = toks[lo].start
        rel = tuple(replace(e, start=e.start - base, end=e.end - base) for e in sent_edits)
        rel_props = tuple((a - base, b - base, o, q, odd, first) for a, b, o, q, odd, first in proposals)
        hit = self._windows[key] = _Window(
            rel, lat.n_candidates, lat.n_capital, lat.n_repeat, g, lat.n_unfit, lat.n_spelling, rel_props
        )
        return hit

    def _edits(
        self, body: str, toks: list[Token], lo: int, sent_start: int, lat: _Lattice, path: list[Arc]
    ) -> tuple[list[Edit], float, list[_Proposal]]:
        order = self.lm.order
        trans = lat.transitions
        lm_w = LN10 * self.config.lm_weight
        emitted: list[tuple[str, ...]] = [arc.words for arc in path]
        n_emitted = sum(len(ws) for ws in emitted)
        before = 0  # words emitted before the current arc
        out: list[Edit] = []
        proposals: list[_Proposal] = []
        gain = 0.0
        for idx, arc in enumerate(path):
            n_before, before = before, before + len(arc.words)
            p = arc.start
            k = lo + p
            tok = toks[k]
            odd = tok.kind == "word" and arc.kind == "keep" and lat.odd[p]
            if arc.kind == "keep" and not odd:
                continue
            left = [w for ws in emitted[max(0, idx - order) : idx] for w in ws][-(order - 1) :]
            right = [w for ws in emitted[idx + 1 : idx + order] for w in ws][: order - 1]
            bos = n_before < order - 1
            eos = n_emitted - before < order - 1
            # Posterior of the chosen arc among every arc over the same span, the rest of the path fixed.
            rivals = [a for a in lat.arcs_at[p] if a.length == arc.length]
            if arc.length > 1:
                keep_words = tuple(lat.keys[p : p + arc.length])
                keep_cost = sum(self._keep_cost(word, False) for word in keep_words)
                rivals.append(Arc(p, arc.length, keep_words, keep_cost, "keep"))
            # The left context once for every rival; the memo holds what the lattice and Viterbi scored.
            context = trans.context(left, bos=bos)
            scores = [lm_w * trans.window(context, [*a.words, *right], eos=eos) + a.cost for a in rivals]
            top = max(scores)
            z = sum(math.exp(s - top) for s in scores)
            mine = next(s for a, s in zip(rivals, scores, strict=True) if a is arc)
            confidence = math.exp(mine - top) / z
            keep_score = next((s for a, s in zip(rivals, scores, strict=True) if a.kind == "keep"), mine)
            if arc.kind == "keep":  # an odd capital the LM would keep: only its case is restored
                if _beside_capital(toks, k):
                    continue  # a run of capitals is more often a heading than a spinner's word
                out.append(Edit(tok.start, tok.end, tok.text, tok.text.lower(), confidence, "case"))
                continue
            # Whether to edit is decided by the mass *against keeping*: near-synonym originals
            # ("walau", "walaupun", "meskipun") split the posterior between them, and keeping the
            # spinner's word because no single one reaches the bar restores nothing.
            p_changed = 1.0 - math.exp(keep_score - top) / z if keep_score != mine else 1.0 - confidence
            if arc.kind == "synonym" and arc.length == 1 and tok.kind == "word":
                proposals.append((tok.start, tok.end, arc.original, p_changed, lat.odd[p], k == sent_start))
            if p_changed < self.config.min_confidence:
                if arc.kind == "synonym" and arc.length == 1 and lat.odd[p] and not _beside_capital(toks, k):
                    # Unsure of the original, but sure the capital is the spinner's: restore the case.
                    out.append(Edit(tok.start, tok.end, tok.text, tok.text.lower(), 1.0 - confidence, "case"))
                continue
            gain += (mine - keep_score) / LN10
            last = toks[k + arc.length - 1]
            if arc.kind == "repeat":
                prev = toks[k - 1]
                out.append(Edit(prev.end, tok.end, body[prev.end : tok.end], "", confidence, "repeat"))
                continue
            restored = _match_case(arc.original, tok.text, first=(k == sent_start), odd=lat.odd[p])
            observed = body[tok.start : last.end]
            if restored != observed:
                out.append(Edit(tok.start, last.end, observed, restored, confidence, "synonym"))
        return out, gain, proposals


# A one-word replacement on the decoder's path: (start, end, original, P(changed), odd capital, sentence start).
_Proposal = tuple[int, int, str, float, bool, bool]


def _pool(body: str, edits: list[Edit], proposals: list[_Proposal], bar: float) -> list[Edit]:
    """Edits after pooling the evidence of every occurrence of the same observed word (one spin per discourse)."""
    groups: dict[str, list[_Proposal]] = {}
    for prop in proposals:
        groups.setdefault(body[prop[0] : prop[1]].lower(), []).append(prop)
    need = math.log(bar / (1.0 - bar))
    promote: list[Edit] = []
    for props in groups.values():
        if len(props) < 2:
            continue
        votes: dict[str, float] = {}
        for _, _, original, p_changed, _, _ in props:
            q = min(max(p_changed, 1e-6), 1 - 1e-6)
            votes[original] = votes.get(original, 0.0) + max(
                -POOL_MAX_LOGIT, min(POOL_MAX_LOGIT, math.log(q / (1 - q)))
            )
        best = max(votes, key=votes.__getitem__)
        if votes[best] < need:
            continue
        pooled = 1.0 / (1.0 + math.exp(-votes[best]))
        for start, end, original, p_changed, odd, first in props:
            if original == best and p_changed < bar:
                observed = body[start:end]
                restored = _match_case(original, observed, first=first, odd=odd)
                if restored != observed:
                    promote.append(Edit(start, end, observed, restored, pooled, "synonym"))
    if not promote:
        return edits
    spans = [(e.start, e.end) for e in promote]
    kept = [e for e in edits if not any(e.start < b and a < e.end for a, b in spans)]
    return sorted(kept + promote, key=lambda e: (e.start, e.end))


# Candidate sources with no lexicon link of their own: never allowed to change a name.
_WEAK_SOURCES = ("neighbour", "two_hop", "spelling")
# (emitted words, channel cost, original, weak): a weak candidate has no lexicon link of its own.
_Option = tuple[tuple[str, ...], float, str, bool]


@dataclass(frozen=True, slots=True)
class _Window:
    """One decoded sentence window: its edits (offsets from its first token) and its counts."""

    edits: tuple[Edit, ...]
    n_candidates: int
    n_capital: int
    n_repeat: int
    gain: float
    n_unfit: int
    n_spelling: int
    proposals: tuple[_Proposal, ...] = ()


@dataclass(slots=True)
class _Lattice:
    """One sentence window's lattice and what building it learned."""

    keys: list[str]  # LM tokens of the observed words
    transitions: Transitions  # KenLM transitions scored so far, shared with the decoder
    arcs_at: list[list[Arc]]  # arcs starting at each position
    odd: list[bool]  # per position: a common word capitalised mid-sentence
    n_candidates: int = 0
    n_capital: int = 0
    n_repeat: int = 0
    n_unfit: int = 0
    n_spelling: int = 0


def _beside_capital(toks: list[Token], k: int) -> bool:
    """Whether the word at ``k`` has a capitalised word right before or after it."""
    before = k > 0 and toks[k - 1].kind == "word" and toks[k - 1].text[:1].isupper()
    after = k + 1 < len(toks) and toks[k + 1].kind == "word" and toks[k + 1].text[:1].isupper()
    return before or after


def _match_case(original: str, observed: str, *, first: bool, odd: bool) -> str:
    if observed.isupper() and len(observed) > 1:
        return original.upper()
    if first and observed[:1].isupper():
        return original[:1].upper() + original[1:]
    if observed[:1].isupper() and not odd:
        return original[:1].upper() + original[1:]
    return original
