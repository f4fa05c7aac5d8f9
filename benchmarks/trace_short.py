"""Tracing short texts: false matches of unrelated sentences, and spun excerpts still found.

``python -m benchmarks trace_short [--seed 0] [--out DIR]`` indexes 1,000 IndoSum ``train`` articles plus every IndoSum
``dev`` and ``test`` article (the held-out ones are the excerpts' sources), then per split:

* **unrelated**: one- and two-sentence excerpts of CLICK-ID clean articles of that split (not in
  the index); a false match is any match at the default threshold;
* **spun excerpts**: one-, two- and three-sentence excerpts of that split's indexed IndoSum
  articles, spun at 30% with half of the lexicon; found when the article is the best match.

Each is measured with today's scoring and with the earlier one (the whole source aligned, no
kept-word guard: ``WINDOW_FACTOR`` and ``match_score`` patched), so the trade is visible.
Writes ``benchmarks/results/trace-short-<sha>.json`` and ``.md``.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.config import BenchConfig
from benchmarks.registry import git_sha, md_table
from despin import api
from despin.spinner import spin
from despin.text.tokenize import sentences, tokenize
from despin.tracer import Index, trace
from despin.tracer.align import Alignment
from despin.training.corpora import CorpusDoc, default_data_dir, iter_docs

SPLITS = ("dev", "test")
N_TRAIN_REFS = 1_000
SPIN_RATE = 0.3


@contextmanager
def earlier_scoring() -> Iterator[None]:
    """The scoring before the window and the kept-word guard: whole sources, no scaling."""

    def unscaled(a: Alignment) -> float:
        return (2.0 * a.coverage + a.weighted_match) / 3.0

    with mock.patch("despin.tracer.align.WINDOW_FACTOR", 1e9), mock.patch("despin.tracer.query.match_score", unscaled):
        yield


def excerpt(doc: CorpusDoc, n: int, rng: random.Random) -> str | None:
    """``n`` consecutive sentences of ``doc`` (not its first), or None when it has too few."""
    toks = tokenize(doc.text)
    sents = sentences(doc.text, toks)
    if len(sents) < n + 2:
        return None
    k = rng.randrange(1, len(sents) - n)
    return doc.text[toks[sents[k][0]].start : toks[sents[k + n - 1][1] - 1].end]


def measure(ix: Index, queries: dict[str, list[tuple[str, str | None]]]) -> dict[str, Any]:
    """Per query set: how many queries, and how many have a match (unrelated) or find their source (spun)."""
    out: dict[str, Any] = {}
    for name, items in queries.items():
        hits = 0
        for text, want in items:
            matches = trace(text, index=ix, top=1).matches
            hits += bool(matches) if want is None else bool(matches and matches[0].source_id == want)
        out[name] = {"n": len(items), "hits": hits, "share": round(hits / len(items), 4) if items else None}
    return out


def run(config: BenchConfig) -> dict[str, Any]:
    data = default_data_dir()
    by_split: dict[str, list[CorpusDoc]] = {s: [] for s in ("train", *SPLITS)}
    unrelated_pool: dict[str, list[CorpusDoc]] = {s: [] for s in SPLITS}
    for doc in iter_docs(data, splits=("train", *SPLITS)):
        if doc.corpus == "indosum_dev":
            by_split[doc.split].append(doc)
        elif doc.corpus == "clickid_clean" and doc.split in SPLITS:
            unrelated_pool[doc.split].append(doc)
    refs = sorted(by_split["train"], key=lambda d: d.doc_id)[:N_TRAIN_REFS] + by_split["dev"] + by_split["test"]
    half, _ = api.load_model().lexicon.split(seed=config.seed)
    rng = random.Random(config.seed)
    queries: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    for split in SPLITS:
        q: dict[str, list[tuple[str, str | None]]] = {}
        for n in (1, 2):
            q[f"unrelated_{n}_sentences"] = [
                (t, None) for d in unrelated_pool[split] if (t := excerpt(d, n, rng)) is not None
            ]
        for n in (1, 2, 3):
            q[f"spun_excerpt_{n}_sentences"] = [
                (spin(t, lexicon=half, rate=SPIN_RATE, seed=config.seed + k, footer=False).text, d.doc_id)
                for k, d in enumerate(by_split[split])
                if (t := excerpt(d, n, rng)) is not None
            ]
        queries[split] = q
    result: dict[str, Any] = {
        "command": f"python -m benchmarks trace_short --seed {config.seed}",
        "git": git_sha(),
        "seed": config.seed,
        "n_refs": len(refs),
        "spin_rate": SPIN_RATE,
    }
    with tempfile.TemporaryDirectory(prefix="despin-trace-short-") as tmp:
        path = Path(tmp) / "refs.db"
        with Index.create(path) as ix:
            ix.add((d.doc_id, d.text) for d in refs)
        with Index.open(path) as ix:
            for split in SPLITS:
                now = measure(ix, queries[split])
                with earlier_scoring():
                    before = measure(ix, queries[split])
                result[split] = {"now": now, "earlier_scoring": before}
                print(split, json.dumps(result[split]), flush=True)
    return result


def render(result: dict[str, Any]) -> str:
    rows = [
        [split, name, n["n"], n["hits"], n["share"], result[split]["earlier_scoring"][name]["share"]]
        for split in SPLITS
        if split in result
        for name, n in result[split]["now"].items()
    ]
    return (
        f"# Tracing short texts (git `{result.get('git', '?')}`, seed {result['seed']})\n\n"
        f"{result['n_refs']} references; excerpts spun at {result['spin_rate']:.0%}. For `unrelated_*` a hit is a "
        "false match (lower is better); for `spun_excerpt_*` it is the source found first (higher is better).\n\n"
        + md_table(["split", "queries", "n", "hits", "share", "share, earlier scoring"], rows)
        + "\n"
    )


def result_name(config: BenchConfig, result: dict[str, Any]) -> str:
    return f"trace-short-{result['git']}"


if __name__ == "__main__":
    from benchmarks.registry import main

    main("trace_short")
