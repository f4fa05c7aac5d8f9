"""The spinner simulator: rates, seeds, modes, artefacts, and gold edits that undo the spin exactly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.model.bundle import read_table
from despin.spinner import OUTLETS, Spinner, spin, spin_batch, unspin
from despin.text.tokenize import tokenize
from despin.types import Spin

TABLE = Path(__file__).parents[1] / "data" / "spin_table.tsv"

TEXT = (
    "Pemerintah mengatakan rumah itu besar. Masyarakat bisa melakukan pertemuan di jalan ketika "
    "Joko datang, tetapi karena itu berita amat ramai.\n"
    "Rapat petugas kota berlangsung sangat lama pada 12 Mei."
)

# A lexicon that covers every word of WORDS, so the rate is limited by nothing but the target.
WORDS = ["kata", "rumah", "besar", "jalan", "kota", "hari", "orang", "air", "batu", "kayu"]
FULL = SynonymLexicon.from_pairs(
    [(w, f"{w}x") for w in WORDS] + [(w, f"{w}y") for w in WORDS] + [(w, f"{w}z") for w in WORDS]
)
QUIET: dict[str, Any] = {"capitalize": 0.0, "repeat": 0.0, "footer": False}


@pytest.fixture(scope="module")
def table() -> SynonymLexicon:
    return read_table(TABLE)


def check_edits(out: Spin, original: str) -> None:
    """Edits are in bounds, sorted, disjoint, match the spun text, and undo the spin exactly."""
    prev_end = 0
    for e in out.edits:
        assert prev_end <= e.start < e.end <= len(out.text), e
        assert out.text[e.start : e.end] == e.observed
        assert e.kind in ("synonym", "repeat", "footer")
        if e.kind != "synonym":
            assert e.original == ""
        prev_end = e.end
    assert unspin(out) == original


def n_covered(out: Spin) -> int:
    """Word tokens of the original that synonym edits replaced."""
    return sum(len([t for t in tokenize(e.original) if t.kind == "word"]) for e in out.edits if e.kind == "synonym")


def test_table_fixture_parses_multiword_both_ways(table: SynonymLexicon) -> None:
    assert "kediaman" in table.synonyms("rumah") and "tempat tinggal" in table.synonyms("rumah")
    assert table.synonyms("karena itu") == ("oleh sebab itu",)  # many-to-many
    assert table.synonyms("kota") == ("kota besar",)  # one-to-many


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.15, 0.4, 1.0])
def test_rate_is_the_share_of_word_tokens(rate: float) -> None:
    text = " ".join(WORDS[i % len(WORDS)] for i in range(400)) + "."
    out = spin(text, lexicon=FULL, rate=rate, seed=5, **QUIET)
    # Stochastic rounding of rate * n: never more than one word away.
    assert abs(n_covered(out) - rate * 400) <= 1
    check_edits(out, text)


def test_rate_averages_out_over_short_texts() -> None:
    spinner = Spinner(FULL, rate=0.15, seed=2, **QUIET)
    outs = spinner.spin_batch(["rumah besar kota."] * 400)
    share = sum(n_covered(o) for o in outs) / (3 * 400)
    assert 0.12 < share < 0.18


def test_only_covered_tokens_are_eligible(table: SynonymLexicon) -> None:
    out = spin(TEXT, lexicon=table, rate=1.0, seed=0, **QUIET)
    originals = {e.original.lower() for e in out.edits}
    assert originals <= set(table.words())
    # Every covered word of TEXT is substituted at rate 1 (none is a name or a number).
    assert "ramai" not in originals and "datang" not in originals
    check_edits(out, TEXT)


def test_names_and_numbers_are_skipped() -> None:
    lex = SynonymLexicon.from_pairs([("besar", "agung"), ("12", "dua belas"), ("mei", "bulan lima")])
    text = "Kota itu Besar sekali, 12 Mei besar."
    out = spin(text, lexicon=lex, rate=1.0, seed=0, **QUIET)
    assert out.text == "Kota itu Besar sekali, 12 Mei agung."
    check_edits(out, text)


def test_sentence_initial_replacement_is_capitalised() -> None:
    lex = SynonymLexicon.from_pairs([("rumah", "kediaman"), ("besar", "agung")])
    out = spin("Rumah besar. BESAR rumah.", lexicon=lex, rate=1.0, seed=0, **QUIET)
    assert out.text == "Kediaman agung. AGUNG kediaman."


def test_capital_artefact_in_mid_sentence() -> None:
    text = " ".join(WORDS * 20)
    always = spin(text, lexicon=FULL, rate=0.5, seed=1, capitalize=1.0, repeat=0.0, footer=False)
    never = spin(text, lexicon=FULL, rate=0.5, seed=1, capitalize=0.0, repeat=0.0, footer=False)
    synonyms = [e for e in always.edits if e.kind == "synonym"]
    assert synonyms and all(e.observed[0].isupper() and e.original[0].islower() for e in synonyms)
    assert all(e.observed[0].islower() for e in never.edits)
    # The capital draw never shifts the other choices: same sites, same words.
    assert [e.observed.lower() for e in always.edits] == [e.observed for e in never.edits]


def test_repeat_edits_delete_the_second_copy() -> None:
    text = "yang di sana, yang lain."
    out = spin(text, lexicon=FULL, rate=0.0, seed=0, repeat=1.0, footer=False)
    assert out.text == "yang yang di di sana sana, yang yang lain lain."
    assert [e.observed for e in out.edits] == [" yang", " di", " sana", " yang", " lain"]
    assert all(e.kind == "repeat" and e.original == "" for e in out.edits)
    check_edits(out, text)


def test_substituted_words_are_not_repeated() -> None:
    out = spin("rumah besar", lexicon=FULL, rate=1.0, seed=0, repeat=1.0, capitalize=0.0, footer=False)
    assert [e.kind for e in out.edits] == ["synonym", "synonym"]


def test_footer_names_the_outlet_and_keeps_trailing_whitespace() -> None:
    text = "rumah besar.\n"
    out = spin(text, lexicon=FULL, rate=0.0, seed=0, outlet="Kompas.com")
    footer = out.edits[-1]
    assert footer.kind == "footer" and footer.observed.endswith("Kompas.com")
    assert footer.observed.startswith("\n\n") and out.text.endswith("Kompas.com\n")
    check_edits(out, text)


def test_footer_outlet_is_a_seeded_pick() -> None:
    picks = {spin("rumah.", lexicon=FULL, rate=0.0, seed=s).edits[-1].observed for s in range(40)}
    assert len(picks) > 5
    assert all(any(p.endswith(o) for o in OUTLETS) for p in picks)


def test_same_seed_same_spin_other_seed_other_spin(table: SynonymLexicon) -> None:
    a = spin(TEXT, lexicon=table, rate=0.4, seed=7)
    assert a == spin(TEXT, lexicon=table, rate=0.4, seed=7)
    assert a != spin(TEXT, lexicon=table, rate=0.4, seed=8)


def test_deterministic_mode_uses_one_replacement_per_word() -> None:
    text = " ".join(WORDS * 30)
    spinner = Spinner(FULL, rate=0.8, seed=3, mode="deterministic", **QUIET)
    seen: dict[str, set[str]] = {}
    for out in spinner.spin_batch([text, " ".join(reversed(WORDS * 30)), text]):
        for e in out.edits:
            seen.setdefault(e.original, set()).add(e.observed)
    assert seen and all(len(v) == 1 for v in seen.values())
    # Another seed is another spinner: some words map elsewhere.
    other = Spinner(FULL, rate=0.8, seed=4, mode="deterministic", **QUIET).spin(text)
    assert any(seen[e.original] != {e.observed} for e in other.edits)


def test_random_mode_varies_the_replacement() -> None:
    out = spin(" ".join(["rumah"] * 60), lexicon=FULL, rate=1.0, seed=0, **QUIET)
    assert set(Counter(e.observed for e in out.edits)) == {"rumahx", "rumahy", "rumahz"}


def test_multiword_longest_match_and_phrase_replacements(table: SynonymLexicon) -> None:
    text = "karena itu ketika"
    out = spin(text, lexicon=table, rate=1.0, seed=0, **QUIET)
    assert out.edits[0].original == "karena itu" and out.edits[0].observed == "oleh sebab itu"
    check_edits(out, text)
    single = spin(text, lexicon=table, rate=1.0, seed=0, multiword=False, **QUIET)
    assert all(" " not in e.original for e in single.edits)


def test_multiword_keys_do_not_cross_punctuation_or_lines() -> None:
    lex = SynonymLexicon.from_pairs([("karena itu", "oleh sebab itu")])
    for text in ("karena, itu", "karena\nitu", "karena itu"):
        out = spin(text, lexicon=lex, rate=1.0, seed=0, **QUIET)
        assert bool(out.edits) == (text == "karena itu")


def test_wrong_sense_takes_two_hop_synonyms() -> None:
    # "bisa" means both "can" (dapat) and "venom" (racun); a chained lookup reaches "toksin".
    lex = SynonymLexicon.from_pairs([("bisa", "racun"), ("racun", "toksin"), ("bisa", "dapat")])
    text = " ".join(["bisa"] * 30)
    out = spin(text, lexicon=lex, rate=1.0, seed=0, wrong_sense=1.0, **QUIET)
    assert {e.observed for e in out.edits} == {"toksin"}
    direct = spin(text, lexicon=lex, rate=1.0, seed=0, wrong_sense=0.0, **QUIET)
    assert {e.observed for e in direct.edits} == {"racun", "dapat"}


def test_weighted_choice_follows_weights() -> None:
    lex = SynonymLexicon.from_pairs([("rumah", "kediaman", 99.0), ("rumah", "wisma", 1.0)])
    out = spin(" ".join(["rumah"] * 200), lexicon=lex, rate=1.0, seed=0, choice="weighted", **QUIET)
    counts = Counter(e.observed for e in out.edits)
    assert counts["kediaman"] > 180


def test_spin_batch_equals_spin_per_document(table: SynonymLexicon) -> None:
    texts = [TEXT, "rumah besar.", TEXT]
    batch = spin_batch(texts, lexicon=table, seed=9, rate=0.3)
    assert batch == [spin(t, lexicon=table, seed=9, rate=0.3, doc=i) for i, t in enumerate(texts)]
    assert batch[0] != batch[2]  # documents draw differently


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 1.5}, "rate must be in"),
        ({"repeat": -0.1}, "repeat must be in"),
        ({"mode": "shuffle"}, "mode must be"),
        ({"choice": "best"}, "choice must be"),
        ({"outlet": " "}, "outlet must not be blank"),
        ({"footer_templates": ("Sumber",)}, "no {outlet} field"),
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Spinner(FULL, **kwargs)


# -- properties --------------------------------------------------------------------------------

_word = st.sampled_from(WORDS + ["Rumah", "Joko", "yang", "di", "12", "kata-kata", "Besar"])
_sep = st.sampled_from([" ", "  ", ", ", ". ", "\n", " - ", "\t", "! "])
_texts = st.lists(st.tuples(_word, _sep), min_size=1, max_size=40).map(lambda parts: "".join(w + s for w, s in parts))


@settings(max_examples=150, deadline=None)
@given(
    text=_texts,
    rate=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
    mode=st.sampled_from(["random", "deterministic"]),
    capitalize=st.floats(0.0, 1.0),
    repeat=st.floats(0.0, 0.5),
    footer=st.booleans(),
)
def test_property_gold_edits_undo_the_spin(
    text: str, rate: float, seed: int, mode: Any, capitalize: float, repeat: float, footer: bool
) -> None:
    lex = SynonymLexicon.merge(FULL, SynonymLexicon.from_pairs([("kata", "ujar kata"), ("rumah besar", "istana")]))
    options = {"rate": rate, "seed": seed, "mode": mode, "capitalize": capitalize, "repeat": repeat, "footer": footer}
    out = spin(text, lexicon=lex, **options)
    check_edits(out, text)
    assert out == spin(text, lexicon=lex, **options)  # the same options, the same spin
    assert sum(e.kind == "footer" for e in out.edits) == int(footer)
    assert n_covered(out) <= int(rate * len([t for t in tokenize(text) if t.kind == "word"])) + 1


@settings(max_examples=80, deadline=None)
@given(text=st.text(min_size=1, max_size=200), seed=st.integers(0, 1000))
def test_property_any_unicode_text_roundtrips(text: str, seed: int) -> None:
    out = spin(text, lexicon=FULL, rate=0.5, seed=seed, repeat=0.2)
    check_edits(out, text)
