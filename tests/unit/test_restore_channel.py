"""The typo/abbreviation/slang channel, wide candidates for odd capitals, and pooling within a document."""

from __future__ import annotations

from despin.lexicon import SynonymLexicon
from despin.restorer.candidates import CandidateGenerator
from despin.restorer.restorer import _pool
from despin.restorer.slang import SLANG, SpellingChannel
from despin.types import Edit

VOCAB = {
    "dengan": 5000,
    "dari": 4000,
    "berhasil": 300,
    "pemilik": 200,
    "empunya": 40,
    "rumah": 900,
    "turus": 1,
    "terus": 800,
    "sudah": 2000,
}


def test_slang_entry_gives_the_standard_word() -> None:
    ch = SpellingChannel(VOCAB, slang={"udah": ("sudah",)})
    assert ch.originals("udah") == {"sudah": 0.5}


def test_abbreviation_is_a_subsequence_of_a_frequent_word() -> None:
    ch = SpellingChannel(VOCAB, slang={})
    found = ch.originals("dgn")
    assert "dengan" in found
    assert "dari" not in found  # "dgn" is not a subsequence of "dari"


def test_typo_within_one_transposition_or_deletion() -> None:
    ch = SpellingChannel(VOCAB, slang={})
    assert "berhasil" in ch.originals("berhsil")
    assert "empunya" in ch.originals("empuyna")


def test_known_words_get_no_guess() -> None:
    ch = SpellingChannel(VOCAB, slang={})
    assert ch.originals("rumah") == {}
    # A word the caller knows is real (a thesaurus lists it) is not read as a typo however rare.
    assert ch.originals("turus", False) == {}
    assert "terus" in ch.originals("turus")


def test_slang_table_has_no_identity_and_lower_case_keys() -> None:
    for observed, standards in SLANG.items():
        assert observed == observed.lower() and observed not in standards


def test_typo_of_a_synonym_chains_to_its_original() -> None:
    lexicon = SynonymLexicon.from_pairs([("pemilik", "empunya")])
    gen = CandidateGenerator(lexicon, VOCAB, two_hop=False, spelling=SpellingChannel(VOCAB, slang={}))
    found = {c.original: c.source for c in gen.candidates("empuyna")}
    assert found.get("empunya") == "spelling"
    assert found.get("pemilik") == "spelling"


def test_wide_candidates_reach_further_two_hop_originals() -> None:
    # "kata" links to many words; each of them has an original the narrow search may not reach.
    pairs = [("kata", f"w{i}") for i in range(30)] + [(f"o{i}", f"w{i}") for i in range(30)]
    vocab = {"kata": 100, **{f"w{i}": 100 - i for i in range(30)}, **{f"o{i}": 50 for i in range(30)}}
    gen = CandidateGenerator(SynonymLexicon.from_pairs(pairs), vocab, two_hop_width=2)
    narrow = {c.original for c in gen.candidates("kata")}
    wide = {c.original for c in gen.wide_candidates("kata")}
    assert narrow < wide
    assert "o7" in wide and "o7" not in narrow


def test_pooling_promotes_agreeing_doubtful_occurrences() -> None:
    body = "Nan pergi dan nan datang lagi nan"
    spans = [(0, 3), (14, 17), (30, 33)]
    edits = [Edit(0, 3, "Nan", "Yang", 0.97, "synonym")]
    proposals = [
        (0, 3, "yang", 0.97, False, True),
        (14, 17, "yang", 0.8, False, False),
        (30, 33, "yang", 0.7, False, False),
    ]
    out = _pool(body, edits, proposals, 0.95)
    assert [(e.start, e.end, e.restored) for e in out] == [
        (s, e, r) for (s, e), r in zip(spans, ("Yang", "yang", "yang"), strict=True)
    ]


def test_pooling_needs_enough_evidence_and_one_original() -> None:
    body = "nan pergi dan nan datang"
    weak = [(0, 3, "yang", 0.6, False, True), (14, 17, "yang", 0.6, False, False)]
    assert _pool(body, [], weak, 0.95) == []
    split = [(0, 3, "yang", 0.9, False, True), (14, 17, "dan", 0.9, False, False)]
    assert _pool(body, [], split, 0.95) == []
