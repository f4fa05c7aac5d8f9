"""The spinner zoo: seeded families that differ in table, choice, rate and artefacts, with exact gold edits."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import pytest
from rapidfuzz.distance import Levenshtein

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.spinner import unspin
from despin.spinner.zoo import (
    NATURAL_SWAPS,
    SpinnerFamily,
    ZooSources,
    build_zoo,
    misspell,
    misspelt_table,
    multiword_table,
    natural_table,
    neighbour_table,
)
from despin.text.tokenize import sentences, tokenize
from despin.types import Spin

TEXT = (
    "Pemerintah kota mengatakan rumah sakit itu besar dan baru. Warga sudah tahu mengapa harga beras naik, "
    "tetapi mereka belum membuat rencana untuk kerja sama dengan perusahaan besar itu.\n"
    "Menurut petugas, jalan menuju rumah sakit rusak karena hujan deras. Anak sekolah harus berjalan kaki "
    "sangat jauh setiap hari, dan banyak orang ingin jalan itu segera diperbaiki oleh pemerintah daerah.\n"
    "Kepala desa menyatakan bahwa masalah itu penting, sehingga rapat akan digelar setelah hari raya."
)
WORDS = sorted({t.text.lower() for t in tokenize(TEXT) if t.kind == "word"})


def _lexicon() -> SynonymLexicon:
    """Every word of TEXT has three made-up replacements; a few one-word <-> multi-word pairs too."""
    pairs = [(w, f"{w}{suffix}") for w in WORDS for suffix in ("x", "y", "z")]
    pairs += [
        ("rumah sakit", "balai pengobatan"),
        ("besar", "sangat luas"),
        ("kerja sama", "kolaborasi"),
        ("jalan", "jalan raya"),
        ("hujan deras", "hujan lebat"),
    ]
    return SynonymLexicon.from_pairs(pairs)


def _sources() -> ZooSources:
    lex = _lexicon()
    wordnet = SynonymLexicon.from_pairs([(w, f"{w}wn") for w in WORDS[::2]])
    mythes = SynonymLexicon.from_pairs([(w, f"{w}my") for w in WORDS[1::2]])
    neighbours = {w: (f"{w}nb", f"{w}2", f"{w}", "lain", "ujung") for w in WORDS}
    return ZooSources(lexicon=lex, wordnet=wordnet, mythes=mythes, neighbours=neighbours)


@pytest.fixture(scope="module")
def zoo() -> dict[str, SpinnerFamily]:
    return build_zoo(_sources(), seed=0)


def _synonyms(out: Spin) -> list[tuple[str, str, int]]:
    return [(e.observed, e.original, e.start) for e in out.edits if e.kind == "synonym"]


def _mid_sentence_starts(text: str) -> set[int]:
    """Offsets of word tokens that do not start a sentence."""
    toks = tokenize(text)
    firsts = set()
    for i, j in sentences(text, toks):
        k = next((k for k in range(i, j) if toks[k].kind in ("word", "number")), None)
        if k is not None:
            firsts.add(toks[k].start)
    return {t.start for t in toks if t.kind == "word" and t.start not in firsts}


def test_zoo_has_at_least_six_families_with_every_dimension(zoo: dict[str, SpinnerFamily]) -> None:
    assert len(zoo) >= 6
    kinds = {f.table_kind for f in zoo.values()}
    assert {"half_a", "half_b", "wordnet", "mythes", "neighbours", "natural"} <= kinds
    assert {f.mode for f in zoo.values()} == {"deterministic", "random"}
    rates = [f.rate for f in zoo.values()]
    assert min(rates) >= 0.03 and max(rates) <= 0.5 and len(set(rates)) >= 5
    assert any(f.capitalize == 1.0 for f in zoo.values()) and any(f.capitalize == 0.0 for f in zoo.values())
    assert any(f.repeat > 0 for f in zoo.values()) and any(f.footer for f in zoo.values())


def test_families_really_differ(zoo: dict[str, SpinnerFamily]) -> None:
    prints = {name: f.table.fingerprint() for name, f in zoo.items()}
    assert len(set(prints.values())) == len(zoo), prints
    options = {(f.mode, f.rate, f.capitalize, f.repeat, f.footer, f.wrong_sense) for f in zoo.values()}
    assert len(options) == len(zoo)
    spins = {name: f.spin(TEXT, seed=3).text for name, f in zoo.items()}
    for a, b in combinations(zoo, 2):
        assert spins[a] != spins[b], (a, b)


@pytest.mark.parametrize("seed", [0, 7])
def test_each_family_is_deterministic_per_seed(zoo: dict[str, SpinnerFamily], seed: int) -> None:
    rebuilt = build_zoo(_sources(), seed=0)
    for name, fam in zoo.items():
        first = fam.spin(TEXT, seed=seed, doc=2)
        assert first == fam.spin(TEXT, seed=seed, doc=2), name
        assert first == rebuilt[name].spin(TEXT, seed=seed, doc=2), name  # a rebuilt zoo spins alike
    # and the seed matters: some family spins differently under another seed
    assert any(f.spin(TEXT, seed=seed).text != f.spin(TEXT, seed=seed + 1).text for f in zoo.values())


def test_zoo_seed_changes_the_halves_and_the_typos() -> None:
    a, b = build_zoo(_sources(), seed=0), build_zoo(_sources(), seed=1)
    assert a["thesaurus_half_a"].table.fingerprint() != b["thesaurus_half_a"].table.fingerprint()
    assert a["natural"].table.fingerprint() == b["natural"].table.fingerprint()  # hand-written: fixed


@pytest.mark.parametrize("rate", [None, 0.03, 0.5])
def test_gold_edits_reproduce_the_original(zoo: dict[str, SpinnerFamily], rate: float | None) -> None:
    for name, fam in zoo.items():
        for doc in range(3):
            out = fam.spin(TEXT, seed=1, doc=doc, rate=rate)
            prev = 0
            for e in out.edits:
                assert prev <= e.start < e.end <= len(out.text), (name, e)
                assert out.text[e.start : e.end] == e.observed
                prev = e.end
            assert unspin(out) == TEXT, name
            if rate != 0.03:
                assert _synonyms(out), name  # every family finds something to spin in TEXT


def test_rate_override_changes_the_share_substituted(zoo: dict[str, SpinnerFamily]) -> None:
    fam = zoo["thesaurus_half_b"]
    n_words = len([t for t in tokenize(TEXT) if t.kind == "word"])
    low = [len(_synonyms(fam.spin(TEXT, seed=0, doc=d, rate=0.03))) for d in range(20)]
    high = [len(_synonyms(fam.spin(TEXT, seed=0, doc=d))) for d in range(20)]
    assert sum(low) / 20 <= 0.05 * n_words < sum(high) / 20


def test_capitalised_families_capitalise_every_mid_sentence_replacement(zoo: dict[str, SpinnerFamily]) -> None:
    mid = _mid_sentence_starts
    capitalised = [f for f in zoo.values() if f.capitalised]
    assert len(capitalised) >= 2
    for fam in capitalised:
        out = fam.spin(TEXT, seed=0)
        inner = [(o, g) for o, g, s in _synonyms(out) if s in mid(out.text) and g[:1].islower()]
        assert inner, fam.name
        assert all(o[:1].isupper() for o, _ in inner), (fam.name, inner)
    for fam in (f for f in zoo.values() if f.capitalize == 0.0):
        out = fam.spin(TEXT, seed=0)
        inner = [(o, g) for o, g, s in _synonyms(out) if s in mid(out.text) and g[:1].islower()]
        assert inner and all(not o[:1].isupper() for o, _ in inner), (fam.name, inner)


def test_natural_swaps_slang_and_misspellings_appear() -> None:
    table = natural_table()
    assert table.n_pairs == sum(len(v) for v in NATURAL_SWAPS.values())
    fam = build_zoo(ZooSources(lexicon=_lexicon()))["natural"]
    seen: set[tuple[str, str]] = set()
    for doc in range(30):
        out = fam.spin(TEXT, seed=0, doc=doc)
        assert unspin(out) == TEXT
        seen |= {(g.lower(), o.lower()) for o, g, _ in _synonyms(out)}
    assert [(g, o) for g, o in seen if o not in NATURAL_SWAPS.get(g, ())] == []
    assert ("sudah", "udah") in seen  # slang
    assert ("mengapa", "kenapa") in seen  # natural swap
    assert ("kerja sama", "kolaborasi") in seen  # multi-word -> one word
    assert any(g == "banyak" and " " in o for g, o in seen)  # one word -> multi-word
    # non-standard spellings are in the table, one edit away from the standard form
    spellings = [(w, s) for w, s, _ in table.pairs() if Levenshtein.distance(w, s) <= 2 and w[:2] == s[:2]]
    assert ("praktik", "praktek") in spellings and len(spellings) >= 15


def test_choice_fixed_per_farm_or_random_per_occurrence(zoo: dict[str, SpinnerFamily]) -> None:
    text = " ".join([TEXT] * 3)
    for fam in zoo.values():
        seen: dict[str, set[str]] = defaultdict(set)
        for doc in range(4):
            for o, g, _ in _synonyms(fam.spin(text, seed=0, doc=doc)):
                seen[g.lower()].add(o.lower())
        n_varied = sum(len(v) > 1 for v in seen.values())
        if fam.mode == "deterministic":
            assert n_varied == 0, (fam.name, {k: v for k, v in seen.items() if len(v) > 1})
        elif fam.table.n_pairs > len(fam.table):  # words with several replacements vary
            assert n_varied > 0, fam.name


def test_misspell_is_one_plausible_seeded_typo() -> None:
    for word in ("pemerintah", "berhasil", "kemudian", "perusahaan"):
        typo = misspell(word, seed=4)
        assert typo == misspell(word, seed=4) and typo != word
        assert typo[0] == word[0] and 1 <= Levenshtein.distance(typo, word) <= 2
    assert misspell("di") == "di" and misspell("2019") == "2019"
    assert misspell("kerja sama", seed=1).endswith(" sama")  # the longest word is misspelt
    assert len({misspell("pemerintah", seed=s) for s in range(10)}) > 1
    table = misspelt_table(SynonymLexicon.from_pairs([("rumah", "kediaman")]), seed=0)
    ((orig, typo, _),) = table.pairs()
    assert orig == "rumah" and typo != "kediaman" and Levenshtein.distance(typo, "kediaman") <= 2


def test_multiword_and_neighbour_tables() -> None:
    mw = multiword_table(_lexicon())
    assert mw.pairs() and all((" " in w) != (" " in s) for w, s, _ in mw.pairs())
    assert ("kerja sama", "kolaborasi", 1.0) in mw.pairs() and ("hujan deras", "hujan lebat", 1.0) not in mw.pairs()
    nb = neighbour_table({"rumah": ("rumahnya", "kamar2", "kamar", "gedung", "ruang", "kantor")}, k=2)
    assert nb.synonyms("rumah") == ("gedung", "kamar")  # inflections and digits skipped, first k kept
    assert len(neighbour_table({"rumah": ("kamar",)}, vocab={"rumah": 3}, min_count=50)) == 0


def test_missing_sources_leave_their_families_out() -> None:
    names = set(build_zoo(ZooSources(lexicon=_lexicon())))
    assert {"wordnet", "mythes", "neighbours"}.isdisjoint(names)
    assert {"thesaurus_half_a", "thesaurus_half_b", "natural", "misspelt", "multiword_caps"} <= names


def test_family_checks_its_arguments() -> None:
    with pytest.raises(ConfigError, match="ASCII id"):
        SpinnerFamily("bad name", _lexicon(), "x", "random", 0.1)
    with pytest.raises(ConfigError, match="empty table"):
        SpinnerFamily("empty", SynonymLexicon({}), "x", "random", 0.1)
    with pytest.raises(ConfigError, match="rate"):
        SpinnerFamily("ok", _lexicon(), "x", "random", 1.5).spinner()


def test_a_new_family_is_one_registration() -> None:
    from despin.spinner.zoo import _FAMILIES, _TABLES, FamilySpec, register_family, register_table

    register_table("test_small")(lambda src, seed: SynonymLexicon.from_pairs([("rumah", "wisma")]))
    try:
        register_family(FamilySpec("test_small", "test_small", "a one-pair table", {"mode": "random", "rate": 0.5}))
        zoo = build_zoo(_sources(), seed=0)
        assert zoo["test_small"].spin("Rumah itu rumah kami.", seed=1).text.lower().count("wisma") >= 1
        with pytest.raises(ConfigError, match="no table kind"):
            register_family(FamilySpec("x", "no_such_kind", ""))
    finally:
        _FAMILIES.pop("test_small", None)
        _TABLES.pop("test_small", None)
