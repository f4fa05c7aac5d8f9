"""What reading an index costs: build, open and per-query retrieval time of a small real index.

Run: ``python -m benchmarks.index_latency [--docs 2000] [--queries 60] [--out FILE]``.

References are the first ``--docs`` articles of indosum_dev + clickid_clean; queries are ``--queries``
of them with 30% of their words replaced by other words of the corpus (a crude spin: the point is the
cost of reading the index, not accuracy), plus as many articles that are not in the index. Retrieval
(``Index.candidates`` + ``Store.texts``: everything the index reads) is timed apart from the full
``trace``, whose alignment does not read the index. Used to compare the index before and after the
content checksums of issue 12 (benchmarks/index_flips.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from despin.tracer import Index, trace
from despin.tracer.query import DEFAULT_CANDIDATES, DEFAULT_QUERY_FEATURES

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpus"
FILES = ("indosum_dev.jsonl.gz", "clickid_clean.jsonl.gz")


def read_docs(n: int) -> list[tuple[str, str]]:
    """The first ``n`` documents of :data:`FILES`, in order, as ``(id, text)``."""

    def rows() -> Iterator[tuple[str, str]]:
        for name in FILES:
            with gzip.open(CORPUS / name, "rt", encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    yield f"{name.split('.')[0]}:{r['id']}", str(r["text"])

    out: list[tuple[str, str]] = []
    for row in rows():
        out.append(row)
        if len(out) == n:
            break
    return out


def perturb(text: str, vocab: list[str], rng: random.Random, rate: float = 0.3) -> str:
    words = text.split()
    for k in range(len(words)):
        if rng.random() < rate:
            words[k] = rng.choice(vocab)
    return " ".join(words)


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def summary(seconds: list[float]) -> dict[str, float]:
    return {
        "mean_ms": round(1000 * sum(seconds) / len(seconds), 3),
        "p50_ms": round(1000 * percentile(seconds, 0.5), 3),
        "p90_ms": round(1000 * percentile(seconds, 0.9), 3),
    }


def run(n_docs: int, n_queries: int, seed: int = 0, repeats: int = 3) -> dict[str, Any]:
    docs = read_docs(n_docs + n_queries)
    refs, absent = docs[:n_docs], docs[n_docs:]
    rng = random.Random(seed)
    vocab = sorted({w for _, t in refs[:200] for w in t.split()})
    queries = [perturb(t, vocab, rng) for _, t in rng.sample(refs, n_queries)] + [t for _, t in absent]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "refs.db"
        t0 = time.perf_counter()
        with Index.create(path) as ix:
            ix.add(refs)
            t1 = time.perf_counter()
            ix.compact()
        t2 = time.perf_counter()
        opens: list[float] = []
        for _ in range(5):
            s = time.perf_counter()
            Index.open(path).close()
            opens.append(time.perf_counter() - s)
        retrieval: list[float] = []
        full: list[float] = []
        with Index.open(path) as ix:
            for q in queries:  # warm the page cache and the df cache, as a server would be
                trace(q, index=ix)
            for _ in range(repeats):
                for q in queries:
                    ix._df_cache.clear()  # each query pays its own df look-ups, as a fresh process does
                    s = time.perf_counter()
                    with ix._lock, ix.store.snapshot():
                        ranked, _, _ = ix.candidates(
                            q, limit=DEFAULT_CANDIDATES, max_query_features=DEFAULT_QUERY_FEATURES
                        )
                        ix.store.texts([i for i, _ in ranked])
                    retrieval.append(time.perf_counter() - s)
                    ix._df_cache.clear()
                    s = time.perf_counter()
                    trace(q, index=ix)
                    full.append(time.perf_counter() - s)
        size = path.stat().st_size
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return {
        "git": sha.stdout.strip(),
        "docs": n_docs,
        "queries": len(queries),
        "add_s": round(t1 - t0, 2),
        "compact_s": round(t2 - t1, 2),
        "size_bytes": size,
        "open": summary(opens),
        "retrieval": summary(retrieval),
        "trace": summary(full),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.docs, args.queries)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
