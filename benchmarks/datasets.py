"""Evaluation sets: seeded samples of clean dev/test documents of every register, and spun copies.

Clean documents come from the shared corpora, split by :func:`despin.training.splits.split_of`, so
nothing here was trained on. Spun copies are made by :mod:`despin.spin` at several rates, with
two tables:

* ``shared``: the spinner uses the model's own lexicon (the optimistic case);
* ``disjoint``: the lexicon is split in two pair-disjoint halves (``lexicon.split(seed)``); the
  spinner uses half A and the restorer gets a model whose lexicon is half B (the realistic case:
  content farms use tables we never see).

Generated sets are cached under ``benchmarks/cache/`` (gitignored), keyed by every input.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import CACHE_DIR, BenchConfig
from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.spinner import Spinner
from despin.training.splits import REGISTERS, split_of
from despin.types import Spin, SpinEdit

# Bump when sampling or spinning changes, so stale caches are never read.
DATASET_VERSION = 1
# Texts shorter than this (in characters) say too little to be judged; UD has 3-word sentences.
MIN_CHARS = 40


@dataclass(frozen=True, slots=True)
class CleanDoc:
    """A held-out human-written document."""

    doc_id: str
    corpus: str
    register: str
    split: str
    text: str


@dataclass(frozen=True, slots=True)
class SpunDoc:
    """A spun copy of a clean document, with the simulator's gold edits."""

    doc_id: str
    register: str
    split: str
    table: str  # "shared" | "disjoint"
    rate: float
    original: str
    spin: Spin

    @property
    def has_footer(self) -> bool:
        return any(e.kind == "footer" for e in self.spin.edits)

    @property
    def n_synonyms(self) -> int:
        return sum(e.kind == "synonym" for e in self.spin.edits)


def truncate(text: str, max_chars: int) -> str:
    """Whole paragraphs up to ``max_chars``; a longer first paragraph is cut at a word boundary.

    Example:
        >>> truncate("satu dua.\\ntiga empat.", 12)
        'satu dua.'
        >>> truncate("satu dua tiga", 9)
        'satu dua'
    """
    if len(text) <= max_chars:
        return text
    out = ""
    for para in text.split("\n"):
        cand = f"{out}\n{para}" if out else para
        if len(cand) > max_chars:
            break
        out = cand
    if not out:
        cut = text[:max_chars]
        out = cut[: cut.rfind(" ")] if " " in cut else cut
    return out.rstrip()


def iter_records(data_dir: Path, corpus: str) -> Iterator[dict[str, Any]]:
    path = data_dir / "corpus" / f"{corpus}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def sample_clean(cfg: BenchConfig) -> list[CleanDoc]:
    """``cfg.n_docs`` documents per (split, register), a seeded sample, sorted by id."""
    data_dir = cfg.resolved_data_dir()
    if not (data_dir / "corpus").is_dir():
        raise ConfigError(f"no corpora under {data_dir}/corpus; set DESPIN_DATA to the shared data folder")
    pools: dict[tuple[str, str], list[CleanDoc]] = {}
    for corpus, register in REGISTERS.items():
        if not (data_dir / "corpus" / f"{corpus}.jsonl.gz").is_file():
            continue
        for rec in iter_records(data_dir, corpus):
            rec_split = split_of(corpus, rec)
            if rec_split not in cfg.splits:
                continue
            text = truncate(str(rec.get("text") or ""), cfg.max_chars)
            if len(text) < MIN_CHARS:
                continue
            doc = CleanDoc(str(rec["id"]), corpus, register, rec_split, text)
            pools.setdefault((rec_split, register), []).append(doc)
    out: list[CleanDoc] = []
    for (split, register), pool in sorted(pools.items()):
        pool.sort(key=lambda d: d.doc_id)
        rng = random.Random(f"{cfg.seed}/{split}/{register}")
        out.extend(sorted(rng.sample(pool, min(cfg.n_docs, len(pool))), key=lambda d: d.doc_id))
    return out


def spin_docs(
    docs: Sequence[CleanDoc], *, lexicon: SynonymLexicon, table: str, rates: Sequence[float], seed: int
) -> list[SpunDoc]:
    """Spin every document at every rate. Every other document gets a source footer.

    Each (table, rate) is its own spinner seed, so the rates are independent samples; document
    ``i`` is spun with ``doc=i`` (its position in ``docs``), so adding rates changes nothing else.
    """
    out: list[SpunDoc] = []
    for r_i, rate in enumerate(rates):
        spinner_seed = seed * 1000 + r_i * 10 + (1 if table == "disjoint" else 0)
        with_footer = Spinner(lexicon, rate=rate, seed=spinner_seed, footer=True)
        without = Spinner(lexicon, rate=rate, seed=spinner_seed, footer=False)
        for i, doc in enumerate(docs):
            spinner = with_footer if i % 2 == 0 else without
            spun = spinner.spin(doc.text, doc=i)
            out.append(SpunDoc(doc.doc_id, doc.register, doc.split, table, rate, doc.text, spun))
    return out


def _to_json(clean: list[CleanDoc], spun: list[SpunDoc]) -> dict[str, Any]:
    return {
        "clean": [[d.doc_id, d.corpus, d.register, d.split, d.text] for d in clean],
        "spun": [[s.doc_id, s.register, s.split, s.table, s.rate, s.original, s.spin.to_dict()] for s in spun],
    }


def _from_json(d: dict[str, Any]) -> tuple[list[CleanDoc], list[SpunDoc]]:
    clean = [CleanDoc(*row) for row in d["clean"]]
    spun = []
    for doc_id, register, split, table, rate, original, sd in d["spun"]:
        edits = tuple(SpinEdit(**e) for e in sd["edits"])
        spun.append(SpunDoc(doc_id, register, split, table, rate, original, Spin(sd["text"], edits)))
    return clean, spun


@dataclass(frozen=True, slots=True)
class EvalSets:
    """Everything one benchmark run evaluates."""

    clean: list[CleanDoc]
    spun: list[SpunDoc]
    key: str  # cache key: a hash of config, lexicons and dataset version

    def spun_where(self, *, split: str, table: str, rate: float | None = None) -> list[SpunDoc]:
        return [s for s in self.spun if s.split == split and s.table == table and (rate is None or s.rate == rate)]

    def clean_where(self, *, split: str) -> list[CleanDoc]:
        return [d for d in self.clean if d.split == split]


def build_sets(
    cfg: BenchConfig,
    *,
    shared: SynonymLexicon,
    disjoint: SynonymLexicon | None,
    cache_dir: Path | None = CACHE_DIR,
    disjoint_rates: Sequence[float] | None = None,
) -> EvalSets:
    """Sample and spin (or read the cache): spun sets for ``shared`` and, if given, ``disjoint``.

    Args:
        cfg: sizes, splits, rates and seed.
        shared: the model's lexicon, used as the spinner's table in the ``shared`` condition.
        disjoint: half A of the model lexicon, the spinner's table in the ``disjoint`` condition.
        cache_dir: where generated sets are cached; None disables the cache.
        disjoint_rates: rates for the disjoint condition; ``cfg.spin_rates`` when None.
    """
    d_rates = tuple(disjoint_rates) if disjoint_rates is not None else cfg.spin_rates
    h = hashlib.sha256()
    h.update(
        json.dumps(
            [
                DATASET_VERSION,
                cfg.fingerprint(),
                shared.fingerprint(),
                disjoint.fingerprint() if disjoint else None,
                d_rates,
            ]
        ).encode()
    )
    key = h.hexdigest()[:16]
    path = cache_dir / f"sets-{cfg.suite}-{key}.json.gz" if cache_dir else None
    if path is not None and path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            cached_clean, cached_spun = _from_json(json.load(fh))
        return EvalSets(cached_clean, cached_spun, key)
    clean = sample_clean(cfg)
    spun: list[SpunDoc] = []
    for split in cfg.splits:
        docs = [d for d in clean if d.split == split]
        spun += spin_docs(docs, lexicon=shared, table="shared", rates=cfg.spin_rates, seed=cfg.seed)
        if disjoint is not None:
            spun += spin_docs(docs, lexicon=disjoint, table="disjoint", rates=d_rates, seed=cfg.seed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as fh:
            json.dump(_to_json(clean, spun), fh, ensure_ascii=False)
        tmp.replace(path)
    return EvalSets(clean, spun, key)
