"""The word model's rows are the same whether the restorer computes them (run time) or the trainer does (numpy)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.texts import SOURCES

from despin.api import load_model
from despin.restorer.footer import find_footer
from despin.restorer.lattice import PageCounts
from despin.restorer.word_features import WORD_FEATURES, word_row
from despin.spinner import spin
from despin.text.normalize import lm_key
from despin.text.tokenize import sentences, tokenize
from despin.training.edit_model import theta_of
from despin.training.positions import PositionTable, add_document
from despin.training.word_evidence import evidence_rows


@pytest.mark.parametrize("rate", [0.0, 0.3])
def test_training_rows_equal_the_rows_the_restorer_computes(rate: float) -> None:
    model = load_model()
    builder = model.restorer().builder
    text = " ".join(SOURCES.values())
    gold: tuple = ()
    if rate:
        out = spin(text, lexicon=model.lexicon, rate=rate, seed=3, repeat=0.05, capitalize=0.5)
        text, gold = out.text, out.edits
    table = PositionTable()
    add_document(table, builder, text, gold, {"spun": bool(rate)})
    arrays = table.arrays()
    fast = evidence_rows(arrays, theta_of(model.edit_model), np.ones(len(arrays["doc"]), dtype=bool))
    footer = find_footer(text)  # the restorer reads the body above a footer
    text = text[: footer.start] if footer else text
    toks = tokenize(text)
    counts: dict[str, int] = {}
    for t in toks:
        if t.kind == "word":
            counts[lm_key(t.text)] = counts.get(lm_key(t.text), 0) + 1
    page = PageCounts(counts, sum(counts.values()))
    slow = []
    for lo, hi in sentences(text, toks):
        obs = builder.observe(toks, lo, hi, lo, page)
        lat = builder.build(toks, obs, page, [True] * len(obs.words))
        slow.extend(word_row(s.cheap, s) for s in lat.searched)
    assert fast.shape == (len(slow), len(WORD_FEATURES))
    np.testing.assert_allclose(fast, np.asarray(slow), rtol=1e-9, atol=1e-9)
