"""Reading the shared corpora (gzip JSONL) with their split and register."""

from __future__ import annotations

import gzip
import json
import os
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


DATA_ENV = "DESPIN_DATA"


def default_data_dir() -> Path:
    """The shared data directory (``corpus/``, ``lexicons/``, ``real/``): the one place that decides it.

    ``$DESPIN_DATA`` when set (used as given, even if it does not exist yet, so that a wrong value is
    reported rather than silently replaced); otherwise ``shared/data`` beside the checkout or any
    directory above it (``../shared/data``, as laid out for developers and CI); otherwise
    ``../shared/data`` relative to the working directory. The model build, the benchmarks and the
    tests that need the full corpora all ask here.

    Example:
        >>> import os
        >>> before = os.environ.get("DESPIN_DATA")
        >>> os.environ["DESPIN_DATA"] = "/srv/despin-data"
        >>> str(default_data_dir())
        '/srv/despin-data'
        >>> _ = os.environ.pop("DESPIN_DATA") if before is None else os.environ.update(DESPIN_DATA=before)
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
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
