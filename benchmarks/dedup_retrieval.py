"""How the dedup signatures were chosen: candidate recall and cost of band layouts on zoo copies among other pages.

For ``benchmarks.dedup --retrieval``: the split's IndoSum and CLICK-ID news pages, 60 spun copies of
them by each of the eight zoo families, and ``background`` CLICK-ID link-gaps pages. For each layout
(common words left out, bands x rows) it reports the Jaccard of rare-word sets (copies vs unrelated
pairs), the candidate recall, the pairs the bucket join emits per page, and the candidates left per
page after the MinHash estimate filter.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from benchmarks.dedup_corpus import DATA, SIDES
from despin.duplicates.buckets import ENTRY_DTYPE, bucket_pairs
from despin.duplicates.signature import EMPTY, Signer
from despin.training.splits import split_of

LAYOUTS = ((1000, 42, 3), (1000, 64, 2), (300, 64, 2))
CAP = 100


def pages(side: str, background: int, families: dict[str, Any]) -> tuple[list[str], set[tuple[int, int]]]:
    news = []
    for corpus in ("indosum_dev", "clickid_clean"):
        with gzip.open(DATA / "corpus" / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if split_of(corpus, r) in SIDES[side]:
                    news.append(str(r["text"]))
    docs = list(news)
    with gzip.open(DATA / "corpus" / "clickid_link_gaps.jsonl.gz", "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if len(docs) >= len(news) + background:
                break
            if i % 2 == 0:
                docs.append(str(json.loads(line)["text"]))
    rng = random.Random(f"retrieval/{side}")
    truth = set()
    for _, fam in sorted(families.items()):
        for k in rng.sample(range(len(news)), min(60, len(news))):
            truth.add((k, len(docs)))
            docs.append(fam.spin(news[k], seed=3, doc=k).text)
    return docs, truth


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def layouts(side: str, vocab: Mapping[str, int], families: dict[str, Any], background: int = 10_000) -> dict[str, Any]:
    docs, truth = pages(side, background, families)
    top = sorted(vocab, key=lambda w: (-vocab[w], w))
    rng = random.Random(0)
    unrelated = [(rng.randrange(len(docs)), rng.randrange(len(docs))) for _ in range(2000)]
    rows = []
    for n_common, bands, r in LAYOUTS:
        s = Signer(top[:n_common], num_perm=bands * r, bands=bands, rows=r)
        words = [s.words(d) for d in docs]
        mins = np.stack([s.minhash(w) for w in words])
        keys = np.stack([s.bands_of(m) for m in mins])
        refs = np.repeat(np.arange(len(docs), dtype=np.uint64), bands)
        flat = keys.ravel()
        live = flat != EMPTY
        entries = np.zeros(int(live.sum()), dtype=ENTRY_DTYPE)
        entries["key"], entries["ref"] = flat[live], refs[live]
        pairs = bucket_pairs(entries, cap=CAP)
        a, b = pairs["a"].astype(np.int64), pairs["b"].astype(np.int64)
        est = (mins[a] == mins[b]).mean(axis=1)
        is_true = np.array([(int(x), int(y)) in truth for x, y in zip(a, b, strict=True)], dtype=bool)
        keep = est >= 0.2

        copies = sorted(_jaccard(words[i], words[j]) for i, j in truth)
        others = sorted(_jaccard(words[i], words[j]) for i, j in unrelated if i != j)
        rows.append(
            {
                "n_common": n_common,
                "bands": bands,
                "rows": r,
                "copy_jaccard_min_p1": [round(copies[0], 3), round(copies[len(copies) // 100], 3)],
                "unrelated_jaccard_p90_max": [round(others[int(0.9 * len(others))], 3), round(others[-1], 3)],
                "candidate_recall": round(int(is_true.sum()) / len(truth), 4),
                "recall_after_estimate_0.2": round(int((is_true & keep).sum()) / len(truth), 4),
                "emitted_pairs_per_page": round(len(pairs) / len(docs), 2),
                "other_candidates_per_page_after_estimate": round(int((keep & ~is_true).sum()) / len(docs), 3),
                "copy_estimate_min": round(float(est[is_true].min()), 3) if is_true.any() else None,
            }
        )
    return {"pages": len(docs), "copies": len(truth), "bucket_cap": CAP, "layouts": rows}
