"""Trace benchmark: despin's index vs datasketch MinHash LSH on spun copies, plus the table learner.

Run: ``python -m benchmarks.trace --suite quick|full [--out DIR]`` (or ``run(BenchConfig(...))``).

References: clickid_link_gaps (all, ~24k) + indosum_dev (all splits, ~3.5k), less held-out IndoSum test
documents. Queries: IndoSum test documents, spun at 20/40/60% by a spinner whose table is one half of
``lexicon.split(seed)`` (the index uses no lexicon, so the other half is never seen by anyone).
False matches: the held-out IndoSum test documents (clean and spun), which are NOT in the index.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from despin.lexicon import SynonymLexicon, parse_mythes, parse_wordnet
from despin.model.splits import split_of

RATES = (0.2, 0.4, 0.6)
MYTHES = Path("/usr/share/mythes/th_id_ID_v2.dat")


class Cfg(Protocol):
    suite: str
    seed: int
    out_dir: Path


@dataclass(frozen=True, slots=True)
class Doc:
    doc_id: str
    text: str


def data_dir(cfg: Cfg) -> Path:
    resolved = getattr(cfg, "resolved_data_dir", None)
    if callable(resolved):
        return Path(resolved())
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def read_corpus(path: Path) -> Iterable[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def load_lexicon(ddir: Path) -> SynonymLexicon:
    with (
        open(MYTHES, encoding="latin-1") as a,
        open(ddir / "lexicons" / "wordnet_bahasa_ind.wn-data-ind.tab", encoding="utf-8") as b,
    ):
        return SynonymLexicon.merge(
            SynonymLexicon.from_pairs(parse_mythes(a)), SynonymLexicon.from_pairs(parse_wordnet(b))
        )


def load_data(cfg: Cfg) -> tuple[list[Doc], list[Doc], list[Doc], list[Doc]]:
    """(pool, indosum_rest, queries, held_out): queries and held-out are IndoSum test docs."""
    ddir = data_dir(cfg)
    pool = [Doc(str(r["id"]), r["text"]) for r in read_corpus(ddir / "corpus" / "clickid_link_gaps.jsonl.gz")]
    rest: list[Doc] = []
    test: list[Doc] = []
    for r in read_corpus(ddir / "corpus" / "indosum_dev.jsonl.gz"):
        (test if split_of("indosum_dev", r) == "test" else rest).append(Doc(str(r["id"]), r["text"]))
    rng = random.Random(cfg.seed)
    rng.shuffle(test)
    half = len(test) // 2
    return pool, rest, test[:half], test[half:]
