"""Alignment: evidence offsets, block rules, and the fast LCS against a pure-Python reference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from despin.errors import ConfigError
from despin.tracer.align import Aligner, align


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


WORDS = st.lists(
    st.sampled_from(["rumah", "besar", "agung", "itu", "kami", "pergi", "datang", "yang"]), max_size=25
)


@settings(max_examples=200, deadline=None)
@given(WORDS, WORDS)
def test_fast_lcs_equals_reference(a: list[str], b: list[str]) -> None:
    spun, source = " ".join(a), " ".join(b)
    al = align(spun, source)
    assert al.n_equal == lcs_length(a, b)
    assert al.n_spun == len(a)


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
