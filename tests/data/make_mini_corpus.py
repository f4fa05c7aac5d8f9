"""Build tests/data/mini/: a small stand-in for the shared corpora, sampled from the shipped language model.

The tests that read corpora (``despin.training.corpora.default_data_dir()``) use the real shared data
when it is there (``$DESPIN_DATA`` or ``../shared/data``) and this directory otherwise (tests/conftest.py
points ``DESPIN_DATA`` at it), so a fresh clone runs every test. Nothing here comes from the shared
files themselves: every sentence is drawn word by word from the packaged KenLM model (which the
project ships), so the text has the model's word frequencies and local fluency, and the records
carry what the splits need (dates for IndoSum, day-stamped URLs for CLICK-ID, ids that hash to the
wanted split elsewhere).

Run: ``python tests/data/make_mini_corpus.py [CORPUS...]`` (seeded per corpus and split: the same model
gives the same files, and raising a count only appends documents).
"""

from __future__ import annotations

import gzip
import json
import math
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from despin.api import load_model
from despin.training.splits import REGISTERS, split_of

OUT = Path(__file__).resolve().parent / "mini" / "corpus"
SEED = 17
CANDIDATES = 6000  # the most frequent alphabetic words of the model's vocabulary: the sampler's choices
TEMPERATURE = 0.85  # below 1: fewer odd choices than the raw model would make
SPLITS = ("train", "calib", "dev", "test")
# Documents per split for each corpus: IndoSum has the most, the tests read its test split.
COUNTS: dict[str, dict[str, int]] = {
    "indosum_dev": {"train": 40, "calib": 20, "dev": 40, "test": 320},  # tests index up to test article 300
    "clickid_clean": {"train": 10, "calib": 8, "dev": 10, "test": 10},
    "clickid_link_gaps": {"train": 6, "calib": 0, "dev": 0, "test": 10},  # this copy has no calib or dev
}
DEFAULT_COUNTS = {"train": 6, "calib": 4, "dev": 10, "test": 10}


class Sampler:
    """Draws sentences from the model, one word at a time, among its frequent words."""

    def __init__(self, seed: int) -> None:
        model = load_model()
        self.lm = model.lm.model
        words = sorted(model.vocab.items(), key=lambda kv: (-kv[1], kv[0]))
        self.words = [w for w, _ in words if w.isalpha()][:CANDIDATES] + ["</s>"]
        self.rng = random.Random(seed)
        import kenlm

        self.kenlm = kenlm

    def reseed(self, key: str) -> None:
        """A stream of its own per corpus and split: changing one count leaves the other files as they were."""
        self.rng = random.Random(f"{SEED}/{key}")

    def sentence(self, *, min_words: int = 8, max_words: int = 24) -> str:
        state = self.kenlm.State()
        self.lm.BeginSentenceWrite(state)
        out: list[str] = []
        scratch = self.kenlm.State()
        while len(out) < max_words:
            scores = [self.lm.BaseScore(state, w, scratch) for w in self.words]
            if len(out) < min_words:
                scores[-1] = -99.0  # no end before min_words
            top = max(scores)
            weights = [math.exp((s - top) * math.log(10) / TEMPERATURE) for s in scores]
            word = self.rng.choices(self.words, weights=weights)[0]
            if word == "</s>":
                break
            nxt = self.kenlm.State()
            self.lm.BaseScore(state, word, nxt)
            state = nxt
            out.append(word)
        out = [w for i, w in enumerate(out) if i == 0 or w != out[i - 1]]  # no "yang yang": a spinner's mark
        text = " ".join(out)
        return text[0].upper() + text[1:] + "."

    def article(self, paragraphs: tuple[int, int] = (2, 4), sentences: tuple[int, int] = (2, 4)) -> str:
        paras = []
        for _ in range(self.rng.randint(*paragraphs)):
            paras.append(" ".join(self.sentence() for _ in range(self.rng.randint(*sentences))))
        return "\n".join(paras)


def records(corpus: str, sampler: Sampler) -> Iterator[dict[str, Any]]:
    counts = COUNTS.get(corpus, DEFAULT_COUNTS)
    short = REGISTERS[corpus] == "sentences"
    for split in SPLITS:
        sampler.reseed(f"{corpus}/{split}")
        made = 0
        k = 0
        while made < counts[split]:
            k += 1
            rec = _record(corpus, split, k)
            if split_of(corpus, rec) != split:
                continue  # a hashed split: try the next id
            made += 1
            rec["text"] = sampler.sentence() if short else sampler.article()
            yield rec


def _record(corpus: str, split: str, k: int) -> dict[str, Any]:
    if corpus == "indosum_dev":
        month = {"train": "2017-06", "calib": "2017-11", "dev": "2017-12", "test": "2018-01"}[split]
        return {"id": f"mini-{split}-{k:04d}", "date": f"{month}-{1 + k % 28:02d}", "outlet": "mini"}
    if corpus in ("clickid_clean", "clickid_link_gaps"):
        day = {"train": 5, "calib": 14, "dev": 16, "test": 18}[split]  # September 2019, as the split reads it
        return {"id": f"mini-{split}-{k:04d}", "url": f"https://mini.example/2019/09/{day:02d}/{k}"}
    suffix = ":0" if corpus in ("nlp_ngram_wiki", "tydiqa_id_dev", "debian_handbook_id") else ""
    return {"id": f"{corpus}:mini-{split}-{k:04d}{suffix}"}


def main(argv: list[str]) -> None:
    """Write every corpus, or those named on the command line (each has its own seeded stream)."""
    OUT.mkdir(parents=True, exist_ok=True)
    sampler = Sampler(SEED)
    for corpus in argv or list(REGISTERS):
        rows = list(records(corpus, sampler))
        body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
        (OUT / f"{corpus}.jsonl.gz").write_bytes(gzip.compress(body.encode(), mtime=0))
        print(corpus, len(rows), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
