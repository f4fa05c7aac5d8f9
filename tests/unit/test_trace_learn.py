"""Learning a spinner table: splitting blocks, noise filters, and a table restore can read."""

from __future__ import annotations

import pytest

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.spinner import spin
from despin.tables.pairs import (
    LearnConfig,
    learn_table,
    pairs_from_texts,
    pairs_from_trace,
    substitution_pairs,
)
from despin.tables.table import SpinnerTable
from despin.types import Substitution


def test_equal_length_blocks_split_into_words_others_stay_phrases() -> None:
    subs: list[Substitution | tuple[str, str]] = [
        Substitution(0, 5, 0, 5, "Agung Sekali", "besar amat"),
        ("maka", "oleh karena itu"),
        ("", "x"),
    ]
    assert substitution_pairs(subs) == [("agung", "besar"), ("sekali", "amat"), ("maka", "oleh karena itu")]


def test_noise_filters_each_have_a_reason() -> None:
    pairs = (
        [("agung", "besar")] * 2  # kept
        + [("2019", "2018")] * 5  # numbers
        + [("Jakarta", "jakarta")] * 5  # case-only
        + [("a", "panjangsekalikatanya")] * 5  # length ratio
        + [("dalam", "di")] * 1  # too rare for min_count=2
        + [("raya", "besar")] * 2
        + [("raya", "luas")] * 3  # ambiguous: only the majority is kept
        + [("maka", "oleh karena itu")] * 2  # multiword, not seen often enough
        + [("sebab", "oleh karena")] * 3  # multiword, consistent
    )
    rows = learn_table(pairs, LearnConfig(min_count=2))
    assert [(r.observed, r.original, r.count) for r in rows] == [
        ("agung", "besar", 2),
        ("raya", "luas", 3),
        ("sebab", "oleh karena", 3),
    ]
    assert rows[1].prob == pytest.approx(0.6)


def test_config_is_checked() -> None:
    with pytest.raises(ConfigError, match="min_prob"):
        LearnConfig(min_prob=2.0)
    with pytest.raises(ConfigError, match="max_len_ratio"):
        LearnConfig(max_len_ratio=0.5)


def test_learned_rows_make_a_table_whose_text_reads_back() -> None:
    rows = learn_table([("agung", "besar")] * 3 + [("kediaman", "rumah")] * 2)
    text = SpinnerTable.from_rows(rows, comment="from test").to_tsv()
    assert text.startswith("# from test\n")
    lex = SpinnerTable.from_tsv(text).lexicon
    assert lex.originals("agung") == {"besar": 1.0}
    assert lex.synonyms("rumah") == ("kediaman",)


def test_pairs_from_texts_and_trace_json() -> None:
    found, coverage = pairs_from_texts("Kediaman itu agung sekali.", "Rumah itu besar sekali.")
    assert found == [("kediaman", "rumah"), ("agung", "besar")] and coverage == 1.0
    assert pairs_from_texts("Harga cabai naik.", "Tim nasional kalah telak tadi malam di Bangkok.")[0] == []
    trace_json = {
        "matches": [
            {"source_id": "a", "substitutions": [{"spun": "Agung", "source": "besar"}]},
            {"source_id": "b", "substitutions": [{"spun": "x", "source": "y"}]},
        ]
    }
    assert pairs_from_trace(trace_json) == [("agung", "besar")]
    assert pairs_from_trace({"matches": []}) == []
    with pytest.raises(ConfigError, match="matches"):
        pairs_from_trace({"text": "x"})
    with pytest.raises(ConfigError, match="substitution"):
        pairs_from_trace({"matches": [{"substitutions": [{"spun": 1}]}]})


def test_deterministic_spinner_table_is_learned_precisely() -> None:
    table = SynonymLexicon.from_pairs(
        [
            ("rumah", "kediaman"),
            ("besar", "agung"),
            ("pergi", "berangkat"),
            ("cepat", "lekas"),
            ("besar", "raya"),
        ]
    )
    sources = [f"Rumah nomor {i} itu besar dan kami pergi cepat ke kota {i} bersama warga." for i in range(12)]
    pairs = []
    for k, src in enumerate(sources):
        spun = spin(src, lexicon=table, rate=0.6, seed=5, mode="deterministic", doc=k, footer=False, repeat=0.0)
        pairs.extend(pairs_from_texts(spun.text, src)[0])
    rows = learn_table(pairs)
    assert rows, "nothing learned"
    for r in rows:
        assert r.observed in table.synonyms(r.original), r


def test_the_learn_verb_aligns_text_pairs_and_skips_unrelated_ones() -> None:
    import despin
    from despin.errors import InputError

    table = SynonymLexicon.from_pairs([("rumah", "kediaman"), ("besar", "agung")])
    sources = [f"Rumah nomor {i} itu besar dan kami pergi ke kota {i} bersama warga." for i in range(6)]
    spun = [spin(s, lexicon=table, rate=1.0, seed=1, footer=False, repeat=0.0, capitalize=0.0).text for s in sources]
    unrelated = ("Harga cabai naik tajam menjelang hari raya di seluruh pasar.", sources[0])
    rows = despin.learn([*zip(spun, sources, strict=True), unrelated])
    assert {(r.observed, r.original) for r in rows} == {("kediaman", "rumah"), ("agung", "besar")}
    assert all(r.count == 6 and r.prob == 1.0 for r in rows)
    with pytest.raises(InputError):
        despin.learn([("", sources[0])])


def test_restore_takes_the_tables_the_learn_verbs_return(model: Model) -> None:
    import despin

    table = SynonymLexicon.from_pairs([("rumah", "kediaman"), ("besar", "agung")])
    sources = [f"Rumah nomor {i} itu besar dan kami pergi ke kota {i} bersama warga." for i in range(6)]
    spun = [spin(s, lexicon=table, rate=1.0, seed=1, footer=False, repeat=0.0, capitalize=0.0).text for s in sources]
    rows = despin.learn(list(zip(spun, sources, strict=True)))
    page = "Kediaman kami agung sekali dan kami senang tinggal di sana."
    as_lexicon = SynonymLexicon.from_pairs((r.original, r.observed, float(r.count)) for r in rows)
    expected = despin.restore(page, model=model, table=as_lexicon, force=True)
    for given in (rows, tuple(rows)):
        got = despin.restore(page, model=model, table=given, force=True)
        assert got == expected and despin.detect(page, model=model, table=given) == expected.detection
    assert expected.text != page  # the table made a difference
    site = despin.learn_site(spun, model=model)
    assert despin.restore(page, model=model, table=site) == despin.restore(page, model=model, table=site.lexicon())
    with pytest.raises(TypeError, match="table must be"):
        despin.restore(page, model=model, table={"agung": "besar"})  # type: ignore[arg-type]
