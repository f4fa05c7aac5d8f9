"""The restorer's fast paths against straightforward reference implementations kept here.

As rapidfuzz keeps a plain ``levenshtein()`` beside its fast one: Viterbi (with and without a
shared transitions memo) against enumerating every path of small lattices, the confidence
window scoring against scoring from scratch, and candidate generation against the plain
per-item loops it replaced (:func:`reference_candidates`), on synthetic lexicons rich in ties.
A tiny deterministic LM stands in for KenLM, so every expected value is exact.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from operator import itemgetter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from despin.lexicon import SynonymLexicon
from despin.lm import FakeLM, advance_many
from despin.restorer.candidates import CandidateGenerator
from despin.restorer.decoder import LN10, Arc, Transitions, viterbi, window_score

# ----------------------------------------------------------------------------- Viterbi

VOCAB = ["pemerintah", "akan", "membangun", "jalan", "zona", "baru", "di", "kota", "raya", "bakal"]


@st.composite
def lattices(draw: st.DrawFn) -> list[list[Arc]]:
    """A keep arc at every position plus 0-3 alternatives of 1-2 tokens emitting 0-2 words."""
    n = draw(st.integers(1, 6))
    arcs_at: list[list[Arc]] = []
    for p in range(n):
        arcs = [Arc(p, 1, (draw(st.sampled_from(VOCAB)),), draw(st.floats(-3, 3)), "keep")]
        for _ in range(draw(st.integers(0, 3))):
            length = draw(st.integers(1, min(2, n - p)))
            words = tuple(draw(st.lists(st.sampled_from(VOCAB), max_size=2)))
            arcs.append(Arc(p, length, words, draw(st.floats(-6, 0)), "synonym", " ".join(words)))
        arcs_at.append(arcs)
    return arcs_at


def path_total(lm: FakeLM, path: Sequence[Arc], weight: float) -> float:
    """A path's score, summed in the order Viterbi sums it."""
    w = weight * LN10
    score, state = 0.0, lm.begin()
    for arc in path:
        lp, state = advance_many(lm, state, arc.words)
        score = score + w * lp + arc.cost
    return score + w * lm.end(state)


def all_paths(arcs_at: Sequence[Sequence[Arc]], p: int = 0) -> list[list[Arc]]:
    if p == len(arcs_at):
        return [[]]
    return [[a, *rest] for a in arcs_at[p] for rest in all_paths(arcs_at, p + a.length)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(arcs_at=lattices(), weight=st.sampled_from([0.5, 1.0]))
def test_viterbi_equals_brute_force(arcs_at: list[list[Arc]], weight: float) -> None:
    lm = FakeLM()
    path = viterbi(lm, arcs_at, lm_weight=weight, beam=10_000)  # a beam this wide never prunes
    pos = 0
    for arc in path:
        assert arc.start == pos and any(arc is a for a in arcs_at[pos])
        pos += arc.length
    assert pos == len(arcs_at)
    best = max(path_total(lm, q, weight) for q in all_paths(arcs_at))
    assert math.isclose(path_total(lm, path, weight), best, rel_tol=0.0, abs_tol=1e-12)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(arcs_at=lattices(), beam=st.integers(1, 4))
def test_a_shared_memo_changes_no_path(arcs_at: list[list[Arc]], beam: int) -> None:
    fresh = viterbi(FakeLM(), arcs_at, beam=beam)
    lm = FakeLM()
    memo = Transitions(lm)
    for arc in (a for arcs in arcs_at for a in arcs):  # transitions a lattice may have scored already
        memo.window(memo.context([], bos=True), arc.words, eos=False)
    assert viterbi(lm, arcs_at, beam=beam, transitions=memo) == fresh
    scored = lm.calls
    assert viterbi(lm, arcs_at, beam=beam, transitions=memo) == fresh
    assert lm.calls == scored  # a second pass finds every transition in the memo


# ----------------------------------------------------------------------------- window scores


def reference_window(
    lm: FakeLM, left: list[str], middle: Sequence[str], right: list[str], *, bos: bool, eos: bool
) -> float:
    state = lm.begin() if bos else lm.null()
    _, state = advance_many(lm, state, left)
    total, state = advance_many(lm, state, [*middle, *right])
    if eos:
        total += lm.end(state)
    return total


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    left=st.lists(st.sampled_from(VOCAB), max_size=3),
    rivals=st.lists(st.lists(st.sampled_from(VOCAB), max_size=2), min_size=1, max_size=4),
    right=st.lists(st.sampled_from(VOCAB), max_size=3),
    bos=st.booleans(),
    eos=st.booleans(),
)
def test_window_scores_with_a_shared_context_equal_scoring_from_scratch(
    left: list[str], rivals: list[list[str]], right: list[str], bos: bool, eos: bool
) -> None:
    lm = FakeLM()
    memo = Transitions(lm)
    context = memo.context(left, bos=bos)  # once for every rival, as Restorer._edits does
    for middle in rivals:
        expect = reference_window(lm, left, middle, right, bos=bos, eos=eos)
        assert memo.window(context, [*middle, *right], eos=eos) == expect
        assert window_score(lm, left, middle, right, bos=bos, eos=eos) == expect


# ----------------------------------------------------------------------------- candidates


def reference_candidates(
    lexicon: SynonymLexicon,
    vocab: Mapping[str, int],
    neighbours: Mapping[str, tuple[str, ...]],
    table: SynonymLexicon | None,
    observed: str,
    *,
    min_count: int = 2,
    max_candidates: int = 12,
    two_hop_width: int = 6,
) -> list[tuple[str, float, str]]:
    """The candidate generator as first written: plain loops, heapq.nlargest, no caches."""
    total = max(1, sum(vocab.values()))
    known_words = {w for w, c in vocab.items() if c >= min_count}

    def known(phrase: str) -> bool:
        return all(w in known_words for w in phrase.split(" "))

    def unigram(phrase: str) -> float:
        return sum(math.log((vocab.get(w, 0) + 1) / total) for w in phrase.split(" "))

    def two_hop() -> dict[str, float]:
        hops = {**{y: 1.0 for y in lexicon.synonyms(observed)}, **lexicon.originals(observed)}
        via = sorted(hops, key=lambda y: -vocab.get(y, 0))[:two_hop_width]
        out: dict[str, float] = {}
        for y in via:
            for orig, p in lexicon.originals(y).items():
                if p * hops[y] > out.get(orig, 0.0) and known(orig):
                    out[orig] = p * hops[y]
        return dict(heapq.nlargest(3 * max_candidates, out.items(), key=itemgetter(1)))

    if not (
        lexicon.originals(observed)
        or observed in neighbours
        or (" " not in observed and lexicon.synonyms(observed))
        or (table is not None and table.originals(observed))
    ):
        return []
    found: dict[str, tuple[float, str]] = {}
    if table is not None:
        for orig, p in table.originals(observed).items():
            found[orig] = (math.log(max(p, 0.3)), "table")
    for orig, p in lexicon.originals(observed).items():
        if orig not in found and known(orig):
            found[orig] = (math.log(p), "lexicon")
    if " " not in observed:
        for orig in neighbours.get(observed, ()):
            if orig not in found and orig != observed and known(orig):
                found[orig] = (math.log(0.05), "neighbour")
        for orig, p in two_hop().items():
            if orig not in found and orig != observed:
                found[orig] = (math.log(p), "two_hop")
    ranked = heapq.nlargest(max_candidates, found.items(), key=lambda kv: kv[1][0] + unigram(kv[0]))
    return [(orig, lc, src) for orig, (lc, src) in ranked]


def synthetic(seed: int) -> tuple[SynonymLexicon, dict[str, int], dict[str, tuple[str, ...]], SynonymLexicon]:
    """A dense synonym graph over 40 words and a few phrases, with few distinct weights and counts (many ties)."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(40)]
    phrases = [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(8)] + ["w1 w2 w3"]
    pairs = [(rng.choice(words + phrases), rng.choice(words + phrases), rng.choice([1.0, 2.0])) for _ in range(400)]
    vocab = {w: rng.choice([0, 1, 2, 2, 5, 9]) for w in words if rng.random() < 0.9}
    neighbours = {w: tuple(rng.sample(words, 4)) for w in rng.sample(words, 10)}
    table = SynonymLexicon.from_pairs([(rng.choice(words), rng.choice(words + phrases)) for _ in range(30)])
    return SynonymLexicon.from_pairs(pairs), vocab, neighbours, table


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_table", [False, True])
def test_candidates_equal_the_reference(seed: int, with_table: bool) -> None:
    lexicon, vocab, neighbours, table = synthetic(seed)
    gen = CandidateGenerator(lexicon, vocab, neighbours=neighbours, table=table if with_table else None)
    queries = sorted({*lexicon.words(), *(s for w in lexicon.words() for s in lexicon.synonyms(w)), "w1 w2", "nope"})
    n_nonempty = 0
    for observed in queries * 2:  # the second round is served from the caches
        got = [(c.original, c.log_channel, c.source) for c in gen.candidates(observed)]
        expect = reference_candidates(lexicon, vocab, neighbours, table if with_table else None, observed)
        assert got == expect, observed
        assert all(c.words == tuple(c.original.split(" ")) for c in gen.candidates(observed))
        n_nonempty += bool(got)
    assert n_nonempty > len(queries)  # the comparison is not vacuous


@pytest.mark.parametrize("seed", range(3))
def test_a_phrase_that_may_not_extend_has_no_longer_candidates(seed: int) -> None:
    lexicon, vocab, neighbours, table = synthetic(seed)
    gen = CandidateGenerator(lexicon, vocab, neighbours=neighbours, table=table)
    words = [f"w{i}" for i in range(40)]
    for a in words:
        for b in words:
            if not gen.may_extend(f"{a} {b}"):
                assert gen.candidates(f"{a} {b}") == ()
                assert all(gen.candidates(f"{a} {b} {c}") == () for c in words[:10])
    assert gen.may_extend("w1 w2")  # a prefix of the phrase "w1 w2 w3"


def test_fake_lm_recombines_paths() -> None:
    """The fake LM forgets context after a "z" word, so Viterbi's recombination is exercised."""
    lm = FakeLM()
    _, a = advance_many(lm, lm.begin(), ["akan", "zona"])
    _, b = advance_many(lm, lm.null(), ["jalan", "zona"])
    assert a == b and hash(a) == hash(b)
    assert advance_many(lm, lm.begin(), ["akan"])[0] != advance_many(lm, lm.null(), ["akan"])[0]


# ----------------------------------------------------------------------------- typo search


def test_typo_search_over_the_length_band_finds_what_the_whole_pool_finds() -> None:
    """The typo channel searches only words within the edit limit in length; the whole pool finds the same."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    from despin.restorer.slang import TYPO_CANDIDATES, TYPO_MIN_COUNT, SpellingChannel

    rng = random.Random(5)
    letters = "abdegiklmnprstu"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 12))) for _ in range(3000)}
    vocab = {w: TYPO_MIN_COUNT + rng.randint(0, 3) for w in words}  # many count ties: pool order matters
    channel = SpellingChannel(vocab, slang={})
    pool = channel._typo_pool
    queries = [w[:i] + w[i + 1 :] for w in sorted(words)[:300] for i in (1, 3)]
    queries += [w[:2] + w[3] + w[2] + w[4:] for w in sorted(words)[300:600]]
    checked = 0
    for q in queries:
        if len(q) < 4 or vocab.get(q, 0) >= channel.unknown_below:
            continue
        limit = 1 if len(q) <= 6 else 2
        full = process.extract(q, pool, scorer=OSA.distance, score_cutoff=limit, limit=TYPO_CANDIDATES)
        band = process.extract(
            q, channel._typo_band(len(q), limit), scorer=OSA.distance, score_cutoff=limit, limit=TYPO_CANDIDATES
        )
        assert [(w, d) for w, d, _ in band] == [(w, d) for w, d, _ in full]
        checked += bool(full)
    assert checked > 100
