"""Training positions from the spinner zoo: calib pages, clean and spun by many families, with tables seen and unseen.

Every calib page is added clean (sometimes with a syndication credit, which alone must not make a
page spun) and spun by one family drawn from the zoo at a rate drawn from :data:`TRAIN_RATES`. Half
of the spins are searched with a lexicon from which the family's own pairs are cut, as for a
spinner whose table we never saw; the other half with the whole lexicon, as for the many real
spinners whose tables overlap the thesauri we ship. The family is recorded, so that a benchmark can
fit on all families but one and measure on the one left out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from despin.lexicon import SynonymLexicon
from despin.training.informal import informalize
from despin.training.positions import PositionTable, add_document

if TYPE_CHECKING:
    from despin.model.bundle import Model
    from despin.spinner.zoo import SpinnerFamily
    from despin.training.corpora import CorpusDoc

# Spin rates of the training spins: from the hard case (3%) to heavy farms.
TRAIN_RATES = (0.03, 0.05, 0.1, 0.15, 0.25, 0.4)
# Share of spins searched with the family's pairs cut from the lexicon.
CUT_SHARE = 0.5
# Share of clean pages given a syndication credit, and of spins given a footer.
CLEAN_FOOTER_SHARE = 0.15
SPUN_FOOTER_SHARE = 0.3
# Share of pages searched with a learned table, as ``scan --group-by`` and ``dedup`` search a farm's
# pages: a spin with part of its own spinner's table (what learning from other pages leaves), a clean
# page with part of some farm's table.
SPUN_TABLE_SHARE = 0.25
CLEAN_TABLE_SHARE = 0.1
# A learned table holds this share of the pairs a page's spinner used, and this many of its others.
TABLE_RECALL = 0.7
TABLE_OTHERS = 200
# Share of pages (clean, and before spinning) written informally: typos, slang, a heading, an emphasis
# capital (:mod:`despin.training.informal`), as blogs and small sites are.
INFORMAL_SHARE = 0.4


def without_pairs(lexicon: SynonymLexicon, table: SynonymLexicon) -> SynonymLexicon:
    """``lexicon`` without any pair of ``table``, in either direction: a spinner whose table we lack."""
    forward, _ = lexicon.to_json_dicts()
    cut = {(w, s) for w, s, _ in table.pairs()}
    cut |= {(s, w) for w, s in cut}
    return SynonymLexicon({w: {s: x for s, x in row.items() if (w, s) not in cut} for w, row in forward.items()})


def learned_table(spinner_table: SynonymLexicon, used: Sequence[tuple[str, str]], rng: random.Random) -> SynonymLexicon:
    """What learning a spinner's table from a farm's other pages gives: most of the pairs a page used, and others."""
    pairs = [p for p in dict.fromkeys(used) if rng.random() < TABLE_RECALL]
    others = spinner_table.pairs()
    pairs += [(w, s) for w, s, _ in rng.sample(others, min(TABLE_OTHERS, len(others)))]
    return SynonymLexicon.from_pairs(pairs)


def training_positions(
    model: Model,
    docs: Sequence[CorpusDoc],
    zoo: Mapping[str, SpinnerFamily],
    *,
    seed: int = 0,
    cut_share: float = CUT_SHARE,
    log: Callable[[str], None] = print,
) -> PositionTable:
    """The positions of ``docs``, each clean and once spun by a zoo family."""
    from despin.spinner import FOOTER_TEMPLATES, OUTLETS

    rng = random.Random(seed)
    table = PositionTable()
    full = model.restorer().builder
    cut_builders = {}
    t0 = time.time()
    names = sorted(zoo)
    for i, doc in enumerate(docs):
        text = informalize(doc.text, rng) if rng.random() < INFORMAL_SHARE else doc.text
        clean = text
        if rng.random() < CLEAN_FOOTER_SHARE:
            clean += rng.choice(FOOTER_TEMPLATES).format(outlet=rng.choice(OUTLETS))
        meta = {"register": doc.register, "corpus": doc.corpus, "doc_id": doc.doc_id}
        clean_builder = full
        if rng.random() < CLEAN_TABLE_SHARE:
            farm = zoo[names[rng.randrange(len(names))]].table
            clean_builder = model.restorer(learned_table(farm, (), rng)).builder
        add_document(table, clean_builder, clean, (), {**meta, "spun": False, "family": "", "rate": 0.0, "cut": False})
        family = names[rng.randrange(len(names))]
        rate = rng.choice(TRAIN_RATES)
        footer = rng.random() < SPUN_FOOTER_SHARE
        spin = zoo[family].spinner(seed=seed + i, rate=rate, footer=footer).spin(text, doc=i)
        cut = rng.random() < cut_share
        builder = full
        if cut:
            if family not in cut_builders:
                cut_builders[family] = (
                    model.with_lexicon(without_pairs(model.lexicon, zoo[family].table)).restorer().builder
                )
            builder = cut_builders[family]
        if rng.random() < SPUN_TABLE_SHARE:
            used = [(e.original.lower(), e.observed.lower()) for e in spin.edits if e.kind == "synonym"]
            base = model if not cut else model.with_lexicon(builder.candidates.lexicon)
            builder = base.restorer(learned_table(zoo[family].table, used, rng)).builder
        add_document(
            table, builder, spin.text, spin.edits, {**meta, "spun": True, "family": family, "rate": rate, "cut": cut}
        )
        if (i + 1) % 100 == 0:
            log(f"positions: {i + 1}/{len(docs)} pages, {len(table.doc)} words, {time.time() - t0:.0f}s")
    return table
