"""Alignment: evidence offsets, block rules, the fast LCS against a pure-Python reference, and the anchored
alignment of long texts against the whole-document aligner it replaced."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from itertools import accumulate, islice
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from despin.errors import ConfigError
from despin.model.bundle import DEFAULT_PATH, Model
from despin.spinner import spin
from despin.tracer.align import (
    DEFAULT_MAX_BLOCK,
    MAX_CELLS,
    WINDOW_FACTOR,
    WINDOW_SLACK,
    Aligner,
    Alignment,
    _keys,
    _matching_runs,
    _spans,
    align,
)
from despin.tracer.query import DEFAULT_THRESHOLD, match_score
from despin.training.corpora import default_data_dir
from despin.types import Substitution


def lcs_length(a: list[str], b: list[str]) -> int:
    """Reference: textbook O(n*m) longest common subsequence."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def test_single_word_substitution_has_exact_offsets() -> None:
    spun, source = (
        "Presiden Joko meresmikan jembatan agung di Kupang.",
        "Presiden Joko meresmikan jembatan besar di Kupang.",
    )
    a = align(spun, source)
    assert [(s.spun, s.source) for s in a.substitutions] == [("agung", "besar")]
    s = a.substitutions[0]
    assert spun[s.spun_start : s.spun_end] == "agung"
    assert source[s.source_start : s.source_end] == "besar"
    assert a.n_spun == 7 and a.n_equal == 6 and a.n_substituted == 1
    assert a.coverage == 1.0


def test_multiword_swap_is_one_substitution() -> None:
    a = align("Oleh karena itu harga naik tajam.", "Maka harga naik tajam.")
    assert [(s.spun, s.source) for s in a.substitutions] == [("Oleh karena itu", "Maka")]


def test_appended_footer_longer_than_max_block_is_not_a_substitution() -> None:
    source = "Harga beras naik lagi di pasar Cianjur hari ini."
    spun = source + "\n\nSumber Referensi Berita: Kompas.com dan lain lain"
    a = align(spun, source)
    assert a.substitutions == ()
    assert a.coverage == pytest.approx(a.n_equal / a.n_spun)
    assert a.coverage < 1.0


def test_case_is_ignored_and_punctuation_changes_are_not_evidence() -> None:
    a = align("HARGA naik; turun.", "harga naik, turun.")
    assert a.substitutions == ()
    assert a.n_equal == 3


def test_weights_drive_weighted_match() -> None:
    weights = {"jokowi": 10.0}
    a = align("jokowi pergi", "jokowi datang", weight=lambda k: weights.get(k, 1.0))
    assert a.weighted_match == pytest.approx(10.0 / 11.0)
    assert a.n_equal == 1


def test_unrelated_text_has_low_coverage() -> None:
    a = align(
        "Tim nasional kalah dua gol dari Thailand di stadion Bangkok tadi malam.",
        "Harga cabai rawit melonjak menjelang Lebaran karena pasokan dari petani berkurang.",
    )
    assert a.n_equal == 1  # "dari"
    assert a.coverage < 0.5


def test_max_block_is_checked() -> None:
    with pytest.raises(ConfigError, match="max_block"):
        Aligner("a b", max_block=0)


def test_empty_source() -> None:
    a = align("kata kata", "")
    assert a.n_equal == 0 and a.substitutions == ()


WORDS = st.lists(st.sampled_from(["rumah", "besar", "agung", "itu", "kami", "pergi", "datang", "yang"]), max_size=25)


@settings(max_examples=200, deadline=None)
@given(WORDS, WORDS)
def test_fast_lcs_equals_reference(a: list[str], b: list[str]) -> None:
    ids: dict[str, int] = {}
    runs = _matching_runs([ids.setdefault(w, len(ids)) for w in a], [ids.setdefault(w, len(ids)) for w in b])
    assert sum(size for _, _, size in runs) == lcs_length(a, b)
    al = align(" ".join(a), " ".join(b))
    assert al.n_spun == len(a)
    # The whole source is aligned unless it is much longer than the spun text (then only a window of it).
    if len(b) <= WINDOW_FACTOR * len(a) + WINDOW_SLACK:
        assert al.n_equal == lcs_length(a, b)
    else:
        assert al.n_equal <= lcs_length(a, b)


@settings(max_examples=200, deadline=None)
@given(WORDS, WORDS)
def test_substitutions_are_sorted_disjoint_and_point_at_their_text(a: list[str], b: list[str]) -> None:
    spun, source = " ".join(a), " ".join(b)
    subs = align(spun, source).substitutions
    for s in subs:
        assert spun[s.spun_start : s.spun_end] == s.spun
        assert source[s.source_start : s.source_end] == s.source
        assert s.spun.lower() != s.source.lower()
    for x, y in zip(subs, subs[1:], strict=False):
        assert x.spun_end < y.spun_start and x.source_end <= y.source_start
    assert 0.0 <= align(spun, source).coverage <= 1.0


def test_identical_text_is_fully_equal() -> None:
    text = "Menurut dia, titik temu masih bisa dicari. Sebab, transportasi online masih punya pasar."
    a = align(text, text)
    assert a.substitutions == () and a.coverage == 1.0 and a.weighted_match == 1.0


# ---------------------------------------------------------------- the whole-document aligner, as a reference


def reference_align(
    spun: str, source: str, *, weight: Callable[[str], float] | None = None, max_block: int = DEFAULT_MAX_BLOCK
) -> Alignment:
    """The aligner before issue 12 (commit abd6118), unchanged: one ``Indel.opcodes`` over the whole texts.

    Time and memory grow with ``len(spun) * len(source)`` tokens (16 GB for two 2 MB texts), so it is
    only run here, on texts of up to a few hundred KB.
    """
    keys = _keys(spun)
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(k, len(vocab)) for k in keys]
    content = [k[0].isalnum() for k in keys]
    by_key = {k: weight(k) for k in set(keys)} if weight else {}
    weights = [by_key.get(k, 1.0) if c else 0.0 for k, c in zip(keys, content, strict=True)]
    n_pre = [0, *accumulate(int(c) for c in content)]
    w_pre = [0.0, *accumulate(weights)]
    src_ids = [vocab.get(k, -1) for k in _keys(source)]
    n_equal = 0
    w_equal = 0.0
    blocks: list[tuple[int, int, int, int]] = []
    start: tuple[int, int] | None = None
    i_end = j_end = 0
    for op in Indel.opcodes(ids, src_ids):
        i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
        if op.tag == "equal":
            if start is not None:
                blocks.append((start[0], i1, start[1], j1))
                start = None
            n_equal += n_pre[i2] - n_pre[i1]
            w_equal += w_pre[i2] - w_pre[i1]
        elif start is None:
            start = (i1, j1)
        i_end, j_end = i2, j2
    if start is not None:
        blocks.append((start[0], i_end, start[1], j_end))
    subs = [
        b for b in blocks if 0 < b[1] - b[0] <= max_block and 0 < b[3] - b[2] <= max_block and n_pre[b[1]] > n_pre[b[0]]
    ]
    n_sub = sum(n_pre[b[1]] - n_pre[b[0]] for b in subs)
    a, b = _spans(spun), _spans(source)
    evidence = []
    for i1, i2, j1, j2 in subs:
        s0, s1, t0, t1 = a[i1][0], a[i2 - 1][1], b[j1][0], b[j2 - 1][1]
        evidence.append(Substitution(s0, s1, t0, t1, spun[s0:s1], source[t0:t1]))
    return Alignment(tuple(evidence), n_pre[-1], n_equal, n_sub, w_pre[-1], w_equal)


SHARED_DATA = default_data_dir()  # $DESPIN_DATA or ../shared/data (tests/conftest.py: the mini corpora otherwise)
needs_corpus = pytest.mark.skipif(
    not (SHARED_DATA / "corpus" / "indosum_dev.jsonl.gz").is_file() or not (DEFAULT_PATH / "manifest.json").is_file(),
    reason="needs the corpora (default_data_dir()) and the default model bundle (its lexicon spins the documents)",
)


def corpus_docs(n: int) -> list[str]:
    """The first ``n`` documents of 200+ characters of each of three registers: news, web news, Wikipedia."""
    out: list[str] = []
    for name in ("indosum_dev", "clickid_link_gaps", "nlp_ngram_wiki"):
        with gzip.open(SHARED_DATA / "corpus" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            texts = (json.loads(line)["text"] for line in fh)
            out += islice((t for t in texts if len(t) >= 200), n)
    return out


def idf_like(key: str) -> float:
    """A deterministic stand-in for trace's IDF weights: ``w_equal`` must match to the last bit too."""
    return 1.0 + (sum(map(ord, key)) % 13) / 3.0


def _tokens(text: str) -> int:
    return len(_keys(text))


@pytest.fixture(scope="module")
def spun_docs(model: Model) -> list[tuple[str, str]]:
    """(spun, source): 75 documents of three registers, each spun at 20, 40 and 60%."""
    docs = corpus_docs(25)
    return [
        (spin(doc, lexicon=model.lexicon, rate=rate, seed=7, doc=k).text, doc)
        for k, doc in enumerate(docs)
        for rate in (0.2, 0.4, 0.6)
    ]


@needs_corpus
def test_alignment_equals_the_whole_document_aligner_on_spun_documents(spun_docs: list[tuple[str, str]]) -> None:
    """Every normal-length pair is aligned in one piece: identical to the old aligner, to the last bit,
    for the true source, and for an unrelated document unless it is long enough to be windowed (then
    the window must not make it a match either)."""
    windowed = 0
    for k, (spun, doc) in enumerate(spun_docs):
        unrelated = spun_docs[(k + 3) % len(spun_docs)][1]
        aligner = Aligner(spun, weight=idf_like)
        for source in (doc, unrelated):
            assert _tokens(spun) * _tokens(source) <= MAX_CELLS
            got, want = aligner.align(source), reference_align(spun, source, weight=idf_like)
            if _tokens(source) <= WINDOW_FACTOR * _tokens(spun) + WINDOW_SLACK:
                assert got == want, k
            else:
                assert source is unrelated and match_score(got) < DEFAULT_THRESHOLD, k
                windowed += 1
    assert windowed < len(spun_docs) // 2  # most pairs still compare whole


@needs_corpus
def test_long_spun_copies_align_in_bounded_pieces_exactly_as_the_whole_document_aligner(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concatenated articles (~140 KB, past MAX_CELLS): the anchored alignment is the old one, substitution
    for substitution, while no single ``Indel.opcodes`` call exceeds MAX_CELLS."""
    docs = corpus_docs(200)
    sizes: list[int] = []
    real = Indel.opcodes

    def spy(a: Any, b: Any) -> Any:
        sizes.append(len(a) * len(b))
        return real(a, b)

    for rate, seed in ((0.2, 1), (0.6, 2)):
        rng = random.Random(seed)
        picked = rng.sample(docs, min(70, len(docs)))
        while _tokens("\n".join(picked)) < 17_000:  # shorter documents (the mini corpora): take more of them
            picked.append(rng.choice(docs))
        source = "\n".join(picked)
        spun = spin(source, lexicon=model.lexicon, rate=rate, seed=seed).text
        assert _tokens(spun) * _tokens(source) > 2 * MAX_CELLS
        want = reference_align(spun, source, weight=idf_like)
        sizes.clear()
        with monkeypatch.context() as m:
            m.setattr(Indel, "opcodes", spy)
            got = Aligner(spun, weight=idf_like).align(source)
        assert len(sizes) > 1 and max(sizes) <= MAX_CELLS
        assert got == want, rate


@needs_corpus
def test_anchored_alignment_of_normal_documents_in_small_pieces_stays_close(spun_docs: list[tuple[str, str]]) -> None:
    """Forced into pieces of 256 x 256 tokens (the default keeps such documents whole), a spun copy still
    aligns nearly always to the very same alignment, and its score moves little when it does not.

    Measured on the trace benchmark's 598 reported matches (benchmarks/trace_long.py, full): 97.5%
    identical, 99.3% with the same ``n_equal``, scores within 0.03. The differences are ties between
    equally long alignments, or a cut at a unique token that no longest alignment passes through.
    """
    same = same_lcs = 0
    for k, (spun, doc) in enumerate(spun_docs):
        want = reference_align(spun, doc, weight=idf_like)
        got = Aligner(spun, weight=idf_like, max_cells=1 << 16).align(doc)
        assert abs(match_score(got) - match_score(want)) < 0.05, k
        same += got == want
        same_lcs += got.n_equal == want.n_equal
    assert same >= 0.9 * len(spun_docs), same
    assert same_lcs >= 0.95 * len(spun_docs), same_lcs


def is_common_subsequence(runs: list[tuple[int, int, int]], a: list[int], b: list[int]) -> bool:
    i_end = j_end = 0
    for i, j, size in runs:
        if size < 1 or i < i_end or j < j_end or a[i : i + size] != b[j : j + size]:
            return False
        i_end, j_end = i + size, j + size
    return i_end <= len(a) and j_end <= len(b)


IDS = st.lists(st.integers(0, 6), max_size=120)


@settings(max_examples=300, deadline=None)
@given(IDS, IDS, st.integers(1, 400))
def test_pieces_stay_within_max_cells_and_form_a_common_subsequence(a: list[int], b: list[int], cells: int) -> None:
    sizes: list[int] = []
    real = Indel.opcodes

    def spy(x: Any, y: Any) -> Any:
        sizes.append(len(x) * len(y))
        return real(x, y)

    Indel.opcodes = spy
    try:
        runs = _matching_runs(a, b, cells)
    finally:
        Indel.opcodes = real
    assert all(s <= cells for s in sizes)
    assert is_common_subsequence(runs, a, b)
    assert all(x[0] + x[2] < y[0] or x[1] + x[2] < y[1] for x, y in zip(runs, runs[1:], strict=False))
    if len(a) * len(b) <= cells:
        assert sum(r[2] for r in runs) == lcs_length([str(x) for x in a], [str(x) for x in b])


def test_max_cells_is_checked() -> None:
    with pytest.raises(ConfigError, match="max_cells"):
        Aligner("a b", max_cells=0)


def test_a_long_spun_copy_is_aligned_in_linear_time_and_bounded_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regression of issue 12: 120,000 tokens on each side (~750 KB) took a 1.8 GB, 14-billion-cell
    ``Indel.opcodes``; now every piece is within MAX_CELLS, and the kept words are all found (a few swaps
    read as a deletion and an insertion, as they do in the whole-document alignment: ties of the LCS)."""
    rng = random.Random(12)
    vocab = [f"kata{i}" for i in range(400)]
    words = [rng.choice(vocab) for _ in range(120_000)]
    source = " ".join(words)
    spun = " ".join(w if i % 7 else "anyar" for i, w in enumerate(words))
    sizes: list[int] = []
    real = Indel.opcodes

    def spy(a: Any, b: Any) -> Any:
        sizes.append(len(a) * len(b))
        return real(a, b)

    monkeypatch.setattr(Indel, "opcodes", spy)
    a = align(spun, source)
    assert max(sizes) <= MAX_CELLS
    assert a.n_equal == 120_000 - len(range(0, 120_000, 7))
    assert a.n_substituted > 0.99 * len(range(0, 120_000, 7)) and a.coverage > 0.999
    assert all(s.spun == "anyar" for s in a.substitutions)


def test_a_text_without_tokens_aligns_to_a_long_source_as_nothing() -> None:
    for spun in ("", "  ", "..."):
        al = align(spun, "rumah " * 60)
        assert al.n_equal == 0 and al.substitutions == () and (spun != "..." or al.n_spun == 0)
