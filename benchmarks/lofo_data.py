"""Data of the leave-one-family-out benchmark: training positions, held-out spins and their positions, cached.

Training positions come from the ``calib`` split exactly as ``despin build-model`` makes them
(:func:`despin.training.zoo_positions.training_positions`). Evaluation pages come from ``dev`` and
``test``: clean pages of every register, and news pages spun by every family (the zoo's, and the
real tools' of :mod:`benchmarks.zoo_tables`) at 3%, at 10% (no footer, no artefact but the
family's own) and at the family's native rate with all its artefacts. A zoo family's spins are
searched with its pairs cut from the lexicon (a table we truly never saw); a tool's with the lexicon
we ship, whose overlap with its table is what it is.

Everything is cached under ``benchmarks/cache/`` keyed by the model, the sample and the code version.
"""

from __future__ import annotations

import hashlib
import pickle
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from benchmarks.config import CACHE_DIR, BenchConfig
from benchmarks.datasets import CleanDoc, sample_clean
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.spinner.zoo import SpinnerFamily
from despin.training.corpora import CorpusDoc, iter_docs
from despin.training.positions import PositionTable, add_document
from despin.training.zoo_positions import training_positions, without_pairs
from despin.types import Spin

T = TypeVar("T")
# Bump when positions or spins change, so stale caches are never read.
DATA_VERSION = 2
LOW_RATE, MID_RATE = 0.03, 0.10


@dataclass(frozen=True)
class EvalSpin:
    """A held-out page spun by one family: what the benchmark scores and restores."""

    family: str
    rate: float  # 0.0: the family's native rate, with its artefacts
    split: str
    doc_id: str
    original: str
    spin: Spin
    cut: bool  # searched with the family's pairs cut from the lexicon


@dataclass
class EvalSet:
    """One split's clean pages, spins, and all their positions (documents in ``table.doc_meta`` order)."""

    clean: list[CleanDoc] = field(default_factory=list)
    spins: list[EvalSpin] = field(default_factory=list)
    table: PositionTable = field(default_factory=PositionTable)


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _cached(path: Path, make: Callable[[], T]) -> T:
    if path.is_file():
        with open(path, "rb") as fh:
            cached: T = pickle.load(fh)
            return cached
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(value, fh)
    tmp.replace(path)
    return value


def calib_docs(data_dir: Path, per_corpus: int, seed: int) -> list[CorpusDoc]:
    """Up to ``per_corpus`` seeded ``calib`` documents of each corpus."""
    by: dict[str, list[CorpusDoc]] = {}
    for d in iter_docs(data_dir, splits=("calib",)):
        by.setdefault(d.corpus, []).append(d)
    rng = random.Random(seed)
    out: list[CorpusDoc] = []
    for corpus in sorted(by):
        docs = sorted(by[corpus], key=lambda d: d.doc_id)
        rng.shuffle(docs)
        out.extend(docs[:per_corpus])
    return out


def train_table(
    model: Model,
    zoo: Mapping[str, SpinnerFamily],
    data_dir: Path,
    *,
    per_corpus: int,
    seed: int,
    log: Callable[[str], None],
) -> PositionTable:
    """The training positions (calib), cached."""
    key = _key(DATA_VERSION, model.manifest.get("files"), sorted(zoo), per_corpus, seed)
    docs = calib_docs(data_dir, per_corpus, seed)
    return _cached(
        CACHE_DIR / f"lofo-train-{key}.pkl", lambda: training_positions(model, docs, zoo, seed=seed, log=log)
    )


def eval_set(
    model: Model,
    families: Mapping[str, SpinnerFamily],
    cut_families: Sequence[str],
    cfg: BenchConfig,
    split: str,
    *,
    n_news: int,
    log: Callable[[str], None],
) -> EvalSet:
    """One split's clean pages and spins with their positions, cached."""
    key = _key(
        DATA_VERSION,
        model.manifest.get("files"),
        sorted(families),
        sorted(cut_families),
        cfg.n_docs,
        n_news,
        cfg.seed,
        split,
    )

    def make() -> EvalSet:
        out = EvalSet()
        sample = BenchConfig(
            suite=cfg.suite, seed=cfg.seed, sample_size=cfg.n_docs, splits=(split,), data_dir=cfg.data_dir
        )
        out.clean = [d for d in sample_clean(sample) if d.split == split]
        full = model.restorer().builder
        for d in out.clean:
            add_document(
                out.table,
                full,
                d.text,
                (),
                {"spun": False, "family": "", "rate": 0.0, "register": d.register, "doc_id": d.doc_id, "cut": False},
            )
        news = [d for d in out.clean if d.register == "news"][:n_news]
        for name in sorted(families):
            fam = families[name]
            cut = name in cut_families
            builder = model.with_lexicon(without_pairs(model.lexicon, fam.table)).restorer().builder if cut else full
            for i, d in enumerate(news):
                for rate in (LOW_RATE, MID_RATE, 0.0):
                    native = rate == 0.0  # the family's own rate and footer; the low and mid rates have no footer
                    spinner = fam.spinner(
                        seed=cfg.seed + i, rate=None if native else rate, footer=None if native else False
                    )
                    spin = spinner.spin(d.text, doc=i)
                    if not any(e.kind == "synonym" for e in spin.edits):
                        continue
                    out.spins.append(EvalSpin(name, rate, split, d.doc_id, d.text, spin, cut))
                    add_document(
                        out.table,
                        builder,
                        spin.text,
                        spin.edits,
                        {
                            "spun": True,
                            "family": name,
                            "rate": rate,
                            "register": "news",
                            "doc_id": d.doc_id,
                            "cut": cut,
                        },
                    )
            log(f"{split}: {name} spun ({len(out.spins)} spins so far)")
        return out

    return _cached(CACHE_DIR / f"lofo-eval-{split}-{key}.pkl", make)


def cut_lexicon(model: Model, table: SynonymLexicon) -> SynonymLexicon:
    """The model's lexicon without the pairs of ``table``."""
    return without_pairs(model.lexicon, table)
