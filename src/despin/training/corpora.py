"""Reading the shared corpora (gzip JSONL) with their split and register."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from despin.training.splits import REGISTERS, Split, split_of

# Files of ../shared/data/corpus that data/README.md marks "ship: yes" (all of them).
SHIP_YES = tuple(REGISTERS)


@dataclass(frozen=True, slots=True)
class CorpusDoc:
    corpus: str
    doc_id: str
    text: str
    split: Split
    register: str
    outlet: str | None


def default_data_dir() -> Path:
    """``../shared/data`` beside the checkout, as laid out for developers and CI."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "data"
        if (cand / "corpus").is_dir():
            return cand
    return Path("../shared/data")


def iter_corpus(data_dir: Path, corpus: str) -> Iterator[CorpusDoc]:
    with gzip.open(data_dir / "corpus" / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            yield CorpusDoc(
                corpus=corpus,
                doc_id=str(rec["id"]),
                text=rec["text"],
                split=split_of(corpus, rec),
                register=REGISTERS[corpus],
                outlet=rec.get("outlet"),
            )


def iter_docs(data_dir: Path, *, splits: tuple[str, ...], corpora: tuple[str, ...] = SHIP_YES) -> Iterator[CorpusDoc]:
    for corpus in corpora:
        for doc in iter_corpus(data_dir, corpus):
            if doc.split in splits:
                yield doc
