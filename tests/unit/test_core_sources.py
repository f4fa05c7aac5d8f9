"""The reverse channel: candidate sources behind one protocol and registry, asked as one set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from despin.lexicon import SynonymLexicon
from despin.lm.fills import SlotFiller
from despin.restorer.relatedness import Relatedness, stem
from despin.restorer.slang import SpellingChannel
from despin.restorer.sources import (
    Candidate,
    CandidateKind,
    CandidateSource,
    SourceResources,
    build_sources,
    register_source,
    registered_kinds,
)
from despin.restorer.sources.base import _REGISTRY
from despin.restorer.sources.set import CandidateSet
from despin.training.fills import build_filler

LEXICON = SynonymLexicon.from_pairs(
    [("besar", "agung"), ("besar", "raya"), ("luas", "raya"), ("rumah", "kediaman"), ("kediaman", "tempat")]
)
VOCAB = {w: 50 for w in ("besar", "agung", "raya", "luas", "rumah", "kediaman", "tempat", "itu", "sangat", "gedung")}


def _resources(**kw: object) -> SourceResources:
    return SourceResources(lexicon=LEXICON, vocab=VOCAB, **kw)  # type: ignore[arg-type]


def test_every_kind_is_registered_and_sources_follow_their_priority() -> None:
    assert set(registered_kinds()) == set(CandidateKind)
    kinds = [s.kind for s in build_sources(_resources())]
    # No table, spelling channel, neighbours or fill table given: those sources are not built.
    assert kinds == [CandidateKind.LEXICON, CandidateKind.CASE, CandidateKind.TWO_HOP]
    assert all(isinstance(s, CandidateSource) for s in build_sources(_resources()))


def test_lexicon_and_two_hop_sources_reverse_the_channel() -> None:
    by_kind = {s.kind: s for s in build_sources(_resources())}
    lexicon = {c.original: c for c in by_kind[CandidateKind.LEXICON].propose("raya", (), ())}
    assert set(lexicon) == {"besar", "luas"}
    assert lexicon["besar"].log_channel == np.log(0.5) and lexicon["luas"].log_channel == 0.0
    # "tempat" <- "kediaman" <- "rumah": two links from the observed word.
    assert [c.original for c in by_kind[CandidateKind.TWO_HOP].propose("tempat", (), ())] == ["rumah"]


def test_a_learned_table_is_asked_first_and_wins_a_shared_original() -> None:
    table = SynonymLexicon.from_pairs([("besar", "raya")])
    cset = CandidateSet(build_sources(_resources(table=table)), [], vocab=VOCAB, lexicon=LEXICON)
    found = {c.original: c.kind for c in cset.propose("raya")}
    # The case source offers the observed word itself (the restorer keeps it only for an odd capital).
    assert found == {"besar": CandidateKind.TABLE, "luas": CandidateKind.LEXICON, "raya": CandidateKind.CASE}
    assert cset.table_starts == frozenset({"raya"})


def test_spelling_source_reads_slang_and_chains_into_the_lexicon() -> None:
    spelling = SpellingChannel(VOCAB, slang={"gede": ("besar",)})
    source = next(s for s in build_sources(_resources(spelling=spelling)) if s.kind is CandidateKind.SPELLING)
    assert {c.original for c in source.propose("gede", (), ())} == {"besar"}


def test_the_lm_fill_source_reads_the_context() -> None:
    sentences = [["rumah", "besar", "itu"], ["gedung", "besar", "itu"], ["rumah", "luas", "sekali"]] * 3
    filler = build_filler(sentences, {**VOCAB, "sekali": 30}, min_count=1)
    source = next(s for s in build_sources(_resources(filler=filler)) if s.kind is CandidateKind.LM_FILL)
    # "luas" shares a synonym with "besar" and fills only some slots: the slot decides.
    assert [c.original for c in source.propose("luas", ["rumah"], ["itu"])] == ["besar"]
    assert source.propose("luas", ["rumah"], ["sekali"]) == []  # the corpus writes "luas" itself there
    assert source.propose("luas", [], []) == []


def test_a_new_source_is_one_registration() -> None:
    @register_source(CandidateKind.NEIGHBOUR)
    def build(resources: SourceResources) -> CandidateSource:
        class Echo:
            kind = CandidateKind.NEIGHBOUR

            def propose(self, observed: str, left: Sequence[str], right: Sequence[str]) -> list[Candidate]:
                return [Candidate("gedung", ("gedung",), -1.0, self.kind)] if observed == "kediaman" else []

        return Echo()

    saved = dict(_REGISTRY)
    try:
        cset = CandidateSet(build_sources(_resources()), [], vocab=VOCAB, lexicon=LEXICON)
        assert "gedung" in {c.original for c in cset.propose("kediaman")}
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)
    import despin.restorer.sources.neighbours as nb

    _REGISTRY[CandidateKind.NEIGHBOUR] = nb.build  # the built-in registration, as the package made it


def test_relatedness_reads_shared_synonyms_stems_and_spelling() -> None:
    rel = Relatedness.of(_resources())
    # "besar" and "luas" share the synonym "raya"; "besar" and "tempat" share nothing.
    assert rel.score("besar", "luas") > 0.5 > rel.score("besar", "tempat")
    assert rel.score("menjalankan", "dijalankan") > rel.score("menjalankan", "tempat")
    assert stem("menjalankan") == stem("dijalankan") == "jalan"


def test_slot_filler_saves_and_loads() -> None:
    f = SlotFiller.from_bigrams({("a", "b"): 3, ("b", "c"): 2, ("a", "c"): 1})
    g = SlotFiller.from_saved(f.to_arrays())
    assert g.fill("a", "c") == f.fill("a", "c") == [("b", f.fill("a", "c")[0][1])]
    assert g.words == f.words
