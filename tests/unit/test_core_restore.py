"""Whole-document restoring from the restorer package alone: a fake LM, a tiny lexicon, no model bundle."""

from __future__ import annotations

from collections.abc import Sequence

from despin.detector.word_model import WordModel
from despin.lexicon import SynonymLexicon
from despin.lm import FakeLM
from despin.restorer import DocumentRestorer, apply_edits, build_restorer
from despin.restorer.document import EditPolicy, Judge, decide
from despin.restorer.edit_model import EditModel
from despin.restorer.restorer import Proposal, RestoreOutcome
from despin.types import Detection, EditKind

LEXICON = SynonymLexicon.from_pairs([("besar", "agung"), ("rumah", "kediaman")])
VOCAB = {"besar": 50, "agung": 5, "rumah": 40, "kediaman": 3, "itu": 90, "sekali": 30}
# gate 0: every word is searched, whatever the first stage says.
SEARCH_ALL = EditModel()


def _judge(spun: bool) -> Judge:
    """A page verdict fixed by the test; each word's evidence is the edit model's own P(changed)."""
    words = WordModel(None, base_rate=0.1)

    def judge(outcome: RestoreOutcome) -> tuple[Detection, float, Sequence[float]]:
        lrs = words.likelihood_ratios(words.probabilities(outcome.rows)).tolist()
        return Detection(score=1.0 if spun else 0.0, is_spun=spun, threshold=0.5), 0.3, lrs

    return judge


def _doc(preferred: dict[str, float], spun: bool = True, table: SynonymLexicon | None = None) -> DocumentRestorer:
    lexicon = SynonymLexicon({}) if table is not None else LEXICON
    restorer = build_restorer(FakeLM(preferred), lexicon, VOCAB, edit_model=SEARCH_ALL, table=table)
    return DocumentRestorer(restorer, _judge(spun))


def test_a_fake_lm_that_wants_the_originals_gets_them_back() -> None:
    doc = _doc({"besar": 4.0, "rumah": 4.0})
    text = "Kediaman itu agung sekali."
    res = doc.restore(text)
    assert res.text == "Rumah itu besar sekali."
    assert [(e.observed, e.restored) for e in res.edits] == [("Kediaman", "Rumah"), ("agung", "besar")]
    assert apply_edits(text, res.edits) == res.text
    assert doc.restore(res.text).text == res.text  # a fixed point


def test_nothing_changes_when_the_page_is_not_judged_spun_unless_forced() -> None:
    doc = _doc({"besar": 4.0, "rumah": 4.0}, spun=False)
    text = "Kediaman itu agung sekali.\n\nSumber Referensi Berita: Kompas.com"
    kept = doc.restore(text)
    assert kept.edits == () and kept.text == text and kept.footer is not None  # the footer is theirs too
    forced = doc.restore(text, force=True)
    assert forced.text == "Rumah itu besar sekali."
    assert [e.kind for e in forced.edits][-1] == EditKind.FOOTER


def test_a_window_seen_before_is_restored_in_its_own_place() -> None:
    # Windows are cached by their text and surroundings; the same window on another page sits elsewhere.
    doc = _doc({"besar": 4.0, "rumah": 4.0})
    assert doc.restore("Itu rumah ya.\nagung sekali.").text == "Itu rumah ya.\nbesar sekali."
    text = "Rumah, itu, ya.\nagung sekali."
    res = doc.restore(text)
    assert res.text == "Rumah, itu, ya.\nbesar sekali." and apply_edits(text, res.edits) == res.text


def test_an_lm_that_prefers_the_spun_words_keeps_them() -> None:
    assert _doc({"agung": 4.0, "kediaman": 4.0}).restore("Kediaman itu agung sekali.").edits == ()


def test_a_learned_table_proposes_what_the_lexicon_cannot() -> None:
    text = "Rumah itu agung sekali."
    assert _doc({"besar": 4.0}, table=SynonymLexicon({"x": {"y": 1.0}})).restore(text).edits == ()
    restored = _doc({"besar": 4.0}, table=SynonymLexicon.from_pairs([("besar", "agung")])).restore(text)
    assert [(e.observed, e.restored) for e in restored.edits] == [("agung", "besar")]


def test_decisions_read_the_page_rate_and_pool_occurrences() -> None:
    props = [
        Proposal(0, 5, "agung", "besar", EditKind.SYNONYM, 0, 1.0, key="agung"),
        Proposal(10, 15, "agung", "besar", EditKind.SYNONYM, 1, 1.0, key="agung"),
    ]
    # Each occurrence alone is below the bar on a lightly spun page; together they pass it.
    policy = EditPolicy(min_confidence=0.9, min_share=0.5)
    assert decide(props[:1], [10.0, 10.0], 0.1, policy) == []
    assert [e.start for e in decide(props, [10.0, 10.0], 0.1, policy)] == [0, 10]
    # The same evidence on a heavily spun page passes alone.
    assert len(decide(props[:1], [10.0], 0.6, policy)) == 1
