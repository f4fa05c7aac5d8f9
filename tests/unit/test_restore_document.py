"""Whole-document restoring from the restorer package alone: a fake LM, a tiny lexicon, no model bundle."""

from __future__ import annotations

from despin.lexicon import SynonymLexicon
from despin.lm import FakeLM
from despin.restorer import DocumentRestorer, apply_edits
from despin.restorer.candidates import CandidateGenerator
from despin.restorer.document import Judge
from despin.restorer.restorer import RestoreConfig, RestoreOutcome, Restorer
from despin.types import Detection

LEXICON = SynonymLexicon.from_pairs([("besar", "agung"), ("rumah", "kediaman")])
VOCAB = {"besar": 50, "agung": 5, "rumah": 40, "kediaman": 3, "itu": 90, "sekali": 30}


def _restorer(preferred: dict[str, float]) -> Restorer:
    gen = CandidateGenerator(LEXICON, VOCAB, two_hop=False)
    # gate=99: every word is searched for an original, whatever the fake LM's context fit says.
    return Restorer(FakeLM(preferred), gen, case_share={}, config=RestoreConfig(gate=99.0, min_confidence=0.5))


def _judge(spun: bool) -> Judge:
    def judge(outcome: RestoreOutcome) -> Detection:
        return Detection(score=1.0 if spun else 0.0, is_spun=spun)

    return judge


def test_a_fake_lm_that_wants_the_originals_gets_them_back() -> None:
    doc = DocumentRestorer(_restorer({"besar": 4.0, "rumah": 4.0}), _judge(True))
    text = "Kediaman itu agung sekali."
    res = doc.restore(text)
    assert res.text == "Rumah itu besar sekali."
    assert [(e.observed, e.restored) for e in res.edits] == [("Kediaman", "Rumah"), ("agung", "besar")]
    assert apply_edits(text, res.edits) == res.text
    assert doc.restore(res.text).text == res.text  # a fixed point


def test_nothing_changes_when_the_judge_says_clean_unless_forced() -> None:
    doc = DocumentRestorer(_restorer({"besar": 4.0, "rumah": 4.0}), _judge(False))
    text = "Kediaman itu agung sekali."
    assert doc.restore(text).edits == ()
    assert doc.restore(text, force=True).text == "Rumah itu besar sekali."


def test_an_lm_that_prefers_the_spun_words_keeps_them() -> None:
    doc = DocumentRestorer(_restorer({"agung": 4.0, "kediaman": 4.0}), _judge(True))
    assert doc.restore("Kediaman itu agung sekali.").edits == ()


def _table_restorer(table: SynonymLexicon | None, table_keep_bias: float) -> DocumentRestorer:
    gen = CandidateGenerator(SynonymLexicon({}), VOCAB, table=table, two_hop=False)
    # gate=-99: the context accepts every word, so only the table can send one to the search.
    config = RestoreConfig(gate=-99.0, min_confidence=0.5, table_keep_bias=table_keep_bias)
    return DocumentRestorer(Restorer(FakeLM({"besar": 0.5}), gen, case_share={}, config=config), _judge(True))


def test_a_word_the_table_lists_is_searched_even_where_the_context_accepts_it() -> None:
    text = "Rumah itu agung sekali."
    table = SynonymLexicon.from_pairs([("besar", "agung")])
    assert _table_restorer(None, -2.0).restore(text).edits == ()  # no table: the gate keeps every word
    restored = _table_restorer(table, -2.0).restore(text)
    assert restored.text == "Rumah itu besar sekali."
    assert [(e.observed, e.restored) for e in restored.edits] == [("agung", "besar")]
    # The table's keep bias reaches the decision: a strong one keeps the word.
    assert _table_restorer(table, 8.0).restore(text).edits == ()
