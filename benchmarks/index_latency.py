"""What reading an index costs: build, open and per-query retrieval time of a small real index.

Run: ``python -m benchmarks index_latency [--docs 2000] [--queries 60] [--out DIR]``; writes
``index-latency-<git sha>.json`` and ``.md`` under ``--out`` (default ``benchmarks/results/``).

References are the first ``--docs`` articles of indosum_dev + clickid_clean; queries are ``--queries``
of them with 30% of their words replaced by other words of the corpus (a crude spin: the point is the
cost of reading the index, not accuracy), plus as many articles that are not in the index. Retrieval
(``Index.candidates`` + ``Store.texts``: everything the index reads) is timed apart from the full
``trace``, whose alignment does not read the index. Used to compare the index before and after the
content checksums of issue 12 (benchmarks/index_flips.py).
"""

from __future__ import annotations

import gzip
import json
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import RESULTS_DIR
from benchmarks.registry import git_sha, md_table, parser_for
from despin.tracer import Index, trace
from despin.tracer.query import DEFAULT_CANDIDATES, DEFAULT_QUERY_FEATURES
from despin.training.corpora import default_data_dir

FILES = ("indosum_dev.jsonl.gz", "clickid_clean.jsonl.gz")


@dataclass(frozen=True, slots=True)
class LatencyConfig:
    """``docs`` references, ``queries`` perturbed copies of them (plus as many absent articles)."""

    docs: int = 2000
    queries: int = 60
    seed: int = 0
    repeats: int = 3
    out_dir: Path = RESULTS_DIR


def read_docs(n: int) -> list[tuple[str, str]]:
    """The first ``n`` documents of :data:`FILES`, in order, as ``(id, text)``."""

    def rows() -> Iterator[tuple[str, str]]:
        for name in FILES:
            with gzip.open(default_data_dir() / "corpus" / name, "rt", encoding="utf-8") as fh:
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


def configure(argv: Sequence[str]) -> LatencyConfig:
    parser = parser_for("index_latency", __doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    a = parser.parse_args(list(argv))
    return LatencyConfig(docs=a.docs, queries=a.queries, seed=a.seed, repeats=a.repeats, out_dir=a.out)


def run(config: LatencyConfig) -> dict[str, Any]:
    n_docs, n_queries, seed, repeats = config.docs, config.queries, config.seed, config.repeats
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
    return {
        "git": git_sha(),
        "docs": n_docs,
        "queries": len(queries),
        "add_s": round(t1 - t0, 2),
        "compact_s": round(t2 - t1, 2),
        "size_bytes": size,
        "open": summary(opens),
        "retrieval": summary(retrieval),
        "trace": summary(full),
    }


def render(result: dict[str, Any]) -> str:
    rows = [[k, *(result[k][m] for m in ("mean_ms", "p50_ms", "p90_ms"))] for k in ("open", "retrieval", "trace")]
    return (
        f"# Index latency (git `{result['git']}`)\n\n"
        f"{result['docs']} references ({result['size_bytes']:,} bytes; add {result['add_s']} s, "
        f"compact {result['compact_s']} s), {result['queries']} queries.\n\n"
        + md_table(["step", "mean ms", "p50 ms", "p90 ms"], rows)
        + "\n"
    )


def result_name(config: LatencyConfig, result: dict[str, Any]) -> str:
    return f"index-latency-{result['git']}"


if __name__ == "__main__":
    from benchmarks.registry import main

    main("index_latency")
