"""Training positions: every word of simulated spins and clean pages, with its readings and its truth.

A document is decoded with every word searched (``search_all``), and each word becomes a
:class:`Position`: its first-stage features, every reading the sources and the edit model produced
(keep, delete a repeat, each candidate) with their feature vectors and LM scores, and which of them
is the truth: the gold original of a spun word, keep for an untouched one, or "changed, but the
original is none of these" (the last reading).

Rows are stored in one flat layout (:data:`LAYOUT`): a keep reading fills the keep block, a candidate
the candidate block, a repeat deletion the repeat column, and every reading has its LM column, so a
conditional logit over the readings of each position is one matrix product.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from despin.restorer.decoder import ArcKind
from despin.restorer.edit_model import CANDIDATE_FEATURES, KEEP_FEATURES, UNKNOWN_FEATURES
from despin.restorer.footer import find_footer
from despin.restorer.lattice import LatticeBuilder, PageCounts
from despin.restorer.restorer import MAX_SENTENCE_TOKENS
from despin.restorer.sources.base import CandidateKind
from despin.text.normalize import lm_key
from despin.text.tokenize import sentences, tokenize
from despin.types import EditKind, SpinEdit

# Columns of a reading row: the keep block, the candidate block, the repeat column, the "none of these"
# block, the LM column.
LAYOUT: tuple[str, ...] = (
    *(f"keep:{f}" for f in KEEP_FEATURES),
    *(f"cand:{f}" for f in CANDIDATE_FEATURES),
    "repeat_delete",
    *(f"unknown:{f}" for f in UNKNOWN_FEATURES),
    "lm",
)
N_KEEP = len(KEEP_FEATURES)
N_CAND = len(CANDIDATE_FEATURES)
REPEAT_COL = N_KEEP + N_CAND
UNKNOWN_COL = REPEAT_COL + 1
N_UNKNOWN = len(UNKNOWN_FEATURES)
LM_COL = UNKNOWN_COL + N_UNKNOWN

# The truth of a position is its gold reading's index among the readings: keep is always first, "none of
# these" (a changed word whose original no source proposed) always last.
KEPT = 0


@dataclass
class PositionTable:
    """Positions of many documents, as arrays (readings stored flat, grouped by position).

    Per position: ``doc``, ``cheap`` features (CHEAP_FEATURES), ``changed`` (the spinner touched it),
    ``label`` (gold reading index), ``start`` and ``n_readings``
    (its rows in ``rows`` and ``lm``), ``odd`` and ``kind_of_gold``. Per document: ``doc_meta``.
    """

    rows: list[list[float]] = field(default_factory=list)
    doc: list[int] = field(default_factory=list)
    cheap: list[list[float]] = field(default_factory=list)
    changed: list[bool] = field(default_factory=list)
    label: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    n_readings: list[int] = field(default_factory=list)
    reading_kind: list[str] = field(default_factory=list)
    doc_meta: list[dict[str, object]] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        """The table as numpy arrays (what the fitters read)."""
        return {
            "rows": np.asarray(self.rows, dtype=np.float64).reshape(-1, len(LAYOUT)),
            "doc": np.asarray(self.doc, dtype=np.int64),
            "cheap": np.asarray(self.cheap, dtype=np.float64),
            "changed": np.asarray(self.changed, dtype=bool),
            "label": np.asarray(self.label, dtype=np.int64),
            "start": np.asarray(self.start, dtype=np.int64),
            "n_readings": np.asarray(self.n_readings, dtype=np.int64),
        }


def _gold_by_token(text: str, gold: Sequence[SpinEdit]) -> tuple[dict[int, SpinEdit], dict[int, SpinEdit]]:
    """Gold synonym edits by their start offset, and repeat edits by their end offset."""
    synonyms = {e.start: e for e in gold if e.kind == EditKind.SYNONYM}
    repeats = {e.end: e for e in gold if e.kind == EditKind.REPEAT}
    return synonyms, repeats


def add_document(
    table: PositionTable,
    builder: LatticeBuilder,
    text: str,
    gold: Sequence[SpinEdit],
    meta: dict[str, object],
) -> None:
    """Append every word position of ``text`` (a spin with ``gold`` edits, or a clean page with none)."""
    doc_id = len(table.doc_meta)
    footer = find_footer(text)  # as the restorer finds it: a clean page may credit its source too
    body = text[: footer.start] if footer else text
    toks = tokenize(body)
    counts: dict[str, int] = {}
    for t in toks:
        if t.kind == "word":
            key = lm_key(t.text)
            counts[key] = counts.get(key, 0) + 1
    page = PageCounts(counts, sum(counts.values()))
    synonyms, repeats = _gold_by_token(text, gold)
    covered: set[int] = set()  # token starts inside a gold span (changed words that are not its first)
    for e in synonyms.values():
        for t in toks:
            if e.start <= t.start < e.end:
                covered.add(t.start)
    table.doc_meta.append({**meta, "n_words": page.n_words, "footer": footer is not None})
    for s_lo, s_hi in sentences(body, toks):
        for lo in range(s_lo, s_hi, MAX_SENTENCE_TOKENS):
            hi = min(s_hi, lo + MAX_SENTENCE_TOKENS)
            obs = builder.observe(toks, lo, hi, s_lo, page)
            lat = builder.build(toks, obs, page, [True] * len(obs.words))
            for searched in lat.searched:
                tok = toks[lo + searched.position]
                syn = synonyms.get(tok.start)
                rep = repeats.get(tok.end)
                changed = syn is not None or rep is not None or tok.start in covered
                label = KEPT
                if changed:
                    label = len(searched.readings)  # "none of these", unless a reading is the truth
                    for i, r in enumerate(searched.readings):
                        if rep is not None and r.kind is ArcKind.REPEAT:
                            label = i
                        elif syn is not None and r.kind is ArcKind.SYNONYM and r.candidate is not None:
                            obs_len = sum(1 for t in toks if syn.start <= t.start < syn.end and t.kind == "word")
                            truth = lm_key(syn.original)
                            if r.candidate.kind is CandidateKind.CASE:
                                if truth == lm_key(syn.observed) and syn.observed != syn.original:
                                    label = i
                            elif r.length == obs_len and r.candidate.original == truth:
                                label = i
                table.doc.append(doc_id)
                table.cheap.append(searched.cheap)
                table.changed.append(changed)
                table.label.append(label)
                table.start.append(len(table.reading_kind))
                table.n_readings.append(len(searched.readings) + 1)
                assert searched.unknown is not None
                for r in (*searched.readings, searched.unknown):
                    row = [0.0] * len(LAYOUT)
                    if r is searched.unknown:
                        row[UNKNOWN_COL : UNKNOWN_COL + N_UNKNOWN] = r.features
                        table.reading_kind.append("unknown")
                    elif r.kind is ArcKind.KEEP:
                        row[:N_KEEP] = r.features
                        table.reading_kind.append("keep")
                    elif r.kind is ArcKind.REPEAT:
                        row[REPEAT_COL] = 1.0
                        table.reading_kind.append("repeat")
                    else:
                        row[N_KEEP : N_KEEP + N_CAND] = r.features
                        table.reading_kind.append(r.candidate.kind.value if r.candidate else "?")
                    row[LM_COL] = r.lm
                    table.rows.append(row)


def groups(start: np.ndarray, n: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first row, end row) of each position."""
    for a, k in zip(start.tolist(), n.tolist(), strict=True):
        yield a, a + k
