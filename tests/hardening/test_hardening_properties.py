"""Hypothesis properties that tests/unit and tests/property do not already cover.

* tokenizer: any code point (lone surrogates too) is tokenized without error; tokens never cross
  whitespace, so tokenizing ``a + " " + b`` is tokenizing ``a`` and ``b`` apart.
* decoder: ``viterbi`` finds the best path of a random lattice, checked against brute force with the real
  LM; restore never raises anything but InputError on arbitrary Unicode; restoring a restored spin is a no-op.
* aligner: arbitrary Unicode pairs give in-bounds, ordered substitutions and a coverage in [0, 1].
* index: an index closed and reopened, compacted, or built in other batch sizes answers identically.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import despin
from conftest import SOURCES, needs_model
from despin.errors import InputError
from despin.lm import advance_many
from despin.lm.ngram import NgramLM
from despin.model.bundle import Model
from despin.restorer.decoder import LN10, Arc, viterbi
from despin.text import lm_key, normalize, tokenize, words
from despin.tracer import Index
from despin.tracer.align import align

# Every code point (lone surrogates included), with the troublesome ones drawn often.
SPECIAL = ["\ud800", "\udcff", "\x00", "\u200d", "\u0301", "\u202e", "\ufeff", "\n", ".", "-", "'", "1", "İ", "ß"]
ANY_CHAR = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL), st.sampled_from("aAbZ "))
any_text = st.text(alphabet=ANY_CHAR, max_size=300)
FAST = settings(max_examples=300, deadline=None)
MODEL = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- tokenizer


@FAST
@given(any_text)
def test_tokenizer_takes_any_code_point(text: str) -> None:
    toks = tokenize(text)
    for t in toks:
        assert 0 <= t.start < t.end <= len(text) and text[t.start : t.end] == t.text
        assert not any(c.isspace() for c in t.text)
    assert [t for t in toks if t.kind in ("word", "number")] == words(text)
    for t in toks:
        lm_key(t.text)
    assert normalize(normalize(text)) == normalize(text)


@FAST
@given(any_text, any_text)
def test_tokens_never_cross_whitespace(a: str, b: str) -> None:
    joined = a + " " + b
    shift = len(a) + 1
    expect = tokenize(a) + [t._replace(start=t.start + shift, end=t.end + shift) for t in tokenize(b)]
    assert tokenize(joined) == expect


# ----------------------------------------------------------------------------- decoder

VOCAB = ["pemerintah", "akan", "membangun", "jalan", "baru", "di", "kota", "itu", "raya", "anyar", "segera", ","]


@st.composite
def lattices(draw: st.DrawFn) -> list[list[Arc]]:
    """A lattice as the restorer builds it: a keep arc at every position, plus 0-2 alternatives of 1-2 tokens."""
    n = draw(st.integers(1, 6))
    arcs_at: list[list[Arc]] = []
    for p in range(n):
        keep = draw(st.sampled_from(VOCAB))
        arcs = [Arc(p, 1, (keep,), draw(st.floats(-3, 3)), "keep")]
        for _ in range(draw(st.integers(0, 2))):
            length = draw(st.integers(1, min(2, n - p)))
            emitted = tuple(draw(st.lists(st.sampled_from(VOCAB), min_size=0, max_size=2)))
            arcs.append(Arc(p, length, emitted, draw(st.floats(-6, 0)), "synonym", " ".join(emitted)))
        arcs_at.append(arcs)
    return arcs_at


def path_score(lm: NgramLM, path: list[Arc], weight: float) -> float:
    lp, state = advance_many(lm, lm.begin(), [w for a in path for w in a.words])
    return weight * LN10 * (lp + lm.end(state)) + sum(a.cost for a in path)


def all_paths(arcs_at: list[list[Arc]], p: int = 0) -> list[list[Arc]]:
    if p == len(arcs_at):
        return [[]]
    return [[a, *rest] for a in arcs_at[p] for rest in all_paths(arcs_at, p + a.length)]


@pytest.fixture(scope="module")
def lm(model: Model) -> NgramLM:
    return model.lm  # type: ignore[no-any-return]


@needs_model
@MODEL
@given(arcs_at=lattices(), weight=st.sampled_from([0.5, 1.0]))
def test_viterbi_finds_the_brute_force_best_path(lm: NgramLM, arcs_at: list[list[Arc]], weight: float) -> None:
    path = viterbi(lm, arcs_at, lm_weight=weight, beam=10_000)  # a beam this wide never prunes: exact
    pos = 0
    for arc in path:
        assert arc.start == pos and arc in arcs_at[pos]
        pos += arc.length
    assert pos == len(arcs_at)
    best = max(path_score(lm, q, weight) for q in all_paths(arcs_at))
    assert math.isclose(path_score(lm, path, weight), best, rel_tol=1e-9, abs_tol=1e-9)


@needs_model
@MODEL
@given(text=st.text(alphabet=ANY_CHAR, min_size=0, max_size=120))
def test_restore_raises_only_input_error_on_any_code_points(model: Model, text: str) -> None:
    try:
        res = despin.restore(text, model=model, force=True)
    except InputError:
        valid = bool(text.strip())
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            valid = False
        assert not valid
        return
    assert all(0 <= e.start <= e.end <= len(text) for e in res.edits)


@needs_model
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(sorted(SOURCES)), seed=st.integers(0, 10_000))
@example(source="flood-jakarta", seed=210)  # a two-word span the first pass wrote was replaced on the second
@example(source="flood-jakarta", seed=378)
@example(source="flood-jakarta", seed=1064)
def test_restoring_a_restored_spin_changes_nothing(model: Model, source: str, seed: int) -> None:
    spun = despin.spin(SOURCES[source], model=model, seed=seed, rate=0.3).text
    once = despin.restore(spun, model=model).text
    assert despin.restore(once, model=model).text == once


# ----------------------------------------------------------------------------- aligner


@FAST
@given(st.text(alphabet=ANY_CHAR, max_size=200), st.text(alphabet=ANY_CHAR, max_size=200))
def test_align_takes_any_code_points(spun: str, source: str) -> None:
    a = align(spun, source)
    assert 0.0 <= a.coverage <= 1.0 and 0.0 <= a.weighted_match <= 1.0 + 1e-9
    last_spun = last_src = -1
    for s in a.substitutions:
        assert spun[s.spun_start : s.spun_end] == s.spun and source[s.source_start : s.source_end] == s.source
        assert s.spun_start > last_spun and s.source_start >= last_src
        last_spun, last_src = s.spun_end, s.source_end


@FAST
@given(st.text(alphabet=ANY_CHAR, max_size=200))
def test_a_text_aligns_fully_to_itself(text: str) -> None:
    a = align(text, text)
    assert a.substitutions == ()
    assert a.coverage == (1.0 if a.n_spun else 0.0)


# ----------------------------------------------------------------------------- index

WORDS = sorted({w.strip(".,").lower() for t in SOURCES.values() for w in t.split()})
docs_st = st.dictionaries(
    st.text(alphabet="abcdefgh-", min_size=1, max_size=6),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join),
    min_size=1,
    max_size=12,
)
queries_st = st.lists(st.lists(st.sampled_from(WORDS), min_size=3, max_size=30).map(" ".join), min_size=1, max_size=4)


def answers(ix: Index, queries: list[str]) -> list[dict[str, object]]:
    return [despin.trace(q, index=ix, top=5).to_dict() for q in queries]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=docs_st, queries=queries_st, batch=st.integers(1, 5))
def test_index_answers_identically_after_reopen_compaction_and_rebatching(
    docs: dict[str, str], queries: list[str], batch: int
) -> None:
    assume(any(q.strip() for q in queries))
    records = sorted(docs.items())
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one.db", Path(tmp) / "many.db"
        with Index.create(one) as ix:
            ix.add(records)
            live = answers(ix, queries)
        with Index.open(one) as ix:  # load(save(index))
            assert answers(ix, queries) == live
            assert len(ix) == len(records) and all(k in ix for k, _ in records)
            assert all(ix.text(k) == v for k, v in records)
        with Index.create(many) as ix:  # the same records, committed in other batches
            for k in range(0, len(records), batch):
                ix.add(records[k : k + batch])
            assert ix.compact() >= 0
        with Index.open(many, verify="quick") as ix:
            assert answers(ix, queries) == live
