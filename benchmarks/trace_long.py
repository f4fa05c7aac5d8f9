"""Trace on long inputs: time and peak memory of ``despin trace`` on ~2 MB spun copies, and agreement of the
anchored alignment (despin.tracer.align, issue 12) with the whole-document alignment it replaced.

Run: ``python -m benchmarks trace_long --suite quick|full [--size BYTES] [--out DIR]``; writes
``trace-long-<git sha>.json`` and ``.md`` under ``--out`` (default ``benchmarks/results/``).

Speed: each case is one fresh ``despin trace FILE --index DB`` process (the real CLI: start-up, index
open, retrieval, alignment of every candidate, JSON output): wall time around it, its CPU time, and its
peak resident size (``VmHWM``, which it reports on exit). The index holds the case's reference(s) plus
other news articles, built beforehand.

* ``every7``: ~``size`` bytes of IndoSum news words on one line, every 7th word swapped for "anyar"
  (the ``trace_spun`` case of fuzz/bench_limits.py: 2.15 MB took 508 s and 16.3 GB before the fix);
* ``spin60``: ~``size`` bytes of IndoSum articles (paragraphs kept), spun at 60% by the trace benchmark's
  spinner (one half of ``lexicon.split(seed)``);
* ``patchwork``: the same spun text, with each of its articles indexed on its own: the candidates are
  normal-length articles, each aligned against the whole 2 MB text (no single source explains it).

Agreement: ``whole`` is ``Aligner(max_cells=sys.maxsize)``, one ``Indel.opcodes`` over the whole documents,
which is the aligner before the fix (tests/unit/test_trace_align.py checks it against that code verbatim).

* ``trace_benchmark_set``: every (query, candidate) pair that ``trace`` verifies on benchmarks/trace.py's
  queries (spun at 20/40/60%) and unrelated held-out documents, on a 2k-reference index (quick) or all
  references (full): the default aligner vs ``whole`` (all are normal-length, so identical by design),
  and the anchored path forced on them (``max_cells=2**16``: pieces of ~256 x 256 tokens);
* ``long``: concatenated articles (60 and 120, ~130 and ~270 KB) spun at 20/40/60%, aligned with their
  source and with another concatenation: the default (anchored) aligner vs ``whole``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.config import BenchConfig
from benchmarks.config import SuiteConfig as Cfg
from benchmarks.registry import bench_config, common_options, md_table, parser_for
from benchmarks.trace import (
    RATES,
    Doc,
    choose_refs,
    data_dir,
    git_sha,
    load_data,
    load_lexicon,
)
from despin import __version__
from despin.spinner import spin
from despin.tracer import Index, trace
from despin.tracer import query as query_module
from despin.tracer.align import MAX_CELLS, Aligner, Alignment, _keys
from despin.tracer.query import DEFAULT_THRESHOLD, match_score

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 500.0
# Before the fix (fuzz/results/limits-2026-11-29-trace.json, same every7 case, in process, index build excluded).
BEFORE = {"every7_2.15MB": {"seconds": 507.9, "peak_rss_mb": 16356.3}, "every7_549KB": {"seconds": 11.3}}
FORCED_CELLS = 1 << 16
WHOLE = sys.maxsize


# The real CLI, in a fresh interpreter that reports its own peak resident size (VmHWM) on exit. Not
# ru_maxrss: Linux carries a forked child's pre-exec high-water mark (this benchmark's own size) into it.
_CLI = (
    "import atexit, re, sys\n"
    "from pathlib import Path\n"
    "def hwm():\n"
    "    kb = re.search(r'VmHWM:\\s+(\\d+) kB', Path('/proc/self/status').read_text()).group(1)\n"
    "    sys.stderr.write(f'\\nVmHWM_kB {kb}\\n')\n"
    "atexit.register(hwm)\n"
    "from despin.cli import cli\n"
    "sys.exit(cli(prog_name='despin'))\n"
)


def articles_up_to(docs: list[Doc], size: int) -> list[Doc]:
    """The first documents of ``docs`` whose texts, joined by newlines, reach ``size`` bytes."""
    out: list[Doc] = []
    n = 0
    for d in docs:
        if n >= size:
            break
        out.append(d)
        n += len(d.text.encode()) + 1
    return out


def build_index(path: Path, refs: list[tuple[str, str]]) -> float:
    t0 = time.perf_counter()
    with Index.create(path) as ix:
        ix.add(refs)
        ix.compact()
    return round(time.perf_counter() - t0, 2)


def run_cli_trace(query: Path, index: Path, out: Path) -> dict[str, Any]:
    """One ``despin trace QUERY --index INDEX`` process: wall seconds, peak RSS, and what it printed."""
    err = out.with_suffix(".err")
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        code = subprocess.run(
            [sys.executable, "-c", _CLI, "trace", str(query), "--index", str(index)],
            stdout=stdout,
            stderr=stderr,
            check=False,
        ).returncode
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tail = err.read_text(errors="replace")
    hwm = re.search(r"VmHWM_kB (\d+)", tail)
    row: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "peak_rss_mb": round(int(hwm.group(1)) / 1024, 1) if hwm else None,
        "exit": code,
    }
    if code != 0:
        row["stderr"] = tail[-2000:]
        return row
    matches = json.loads(out.read_bytes())["matches"]
    row["n_matches"] = len(matches)
    if matches:
        top = matches[0]
        row |= {
            "top": top["source_id"],
            "score": top["score"],
            "coverage": top["coverage"],
            "n_substitutions": len(top["substitutions"]),
        }
    return row


def speed(cfg: Cfg, size: int, others: list[Doc], articles: list[Doc], table: Any, tmp: Path) -> dict[str, Any]:
    repeats = 1 if cfg.suite == "quick" else 3
    source = "\n".join(d.text for d in articles)
    line = re.sub(r"\s+", " ", source).encode()[:size].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    every7 = " ".join(w if i % 7 else "anyar" for i, w in enumerate(line.split(" ")))
    spun60 = spin(source, lexicon=table, rate=0.6, seed=cfg.seed + 1).text
    extra = [(d.doc_id, d.text) for d in others]
    cases: dict[str, tuple[str, list[tuple[str, str]], str | None]] = {
        "every7": (every7, [("source", line), *extra], "source"),
        "spin60": (spun60, [("source", source), *extra], "source"),
        "patchwork": (spun60, [(d.doc_id, d.text) for d in articles] + extra, None),
    }
    out: dict[str, Any] = {}
    for name, (query, refs, want) in cases.items():
        db, qfile = tmp / f"{name}.db", tmp / f"{name}.txt"
        build_s = build_index(db, refs)
        qfile.write_text(query, encoding="utf-8")
        runs = [run_cli_trace(qfile, db, tmp / f"{name}.out.json") for _ in range(repeats)]
        ok_runs = [r for r in runs if r["exit"] == 0]
        row: dict[str, Any] = {
            "query_bytes": len(query.encode()),
            "query_tokens": len(_keys(query)),
            "references": len(refs),
            "largest_reference_bytes": max(len(t.encode()) for _, t in refs),
            "index_build_s": build_s,
            "runs": runs,
            "seconds_max": max((r["seconds"] for r in ok_runs), default=None),
            "cpu_seconds_max": max((r["cpu_seconds"] for r in ok_runs), default=None),
            "peak_rss_mb_max": max((r["peak_rss_mb"] for r in ok_runs), default=None),
        }
        if want is not None:
            row["expected_top"] = want
            row["meets_target"] = len(ok_runs) == len(runs) and all(
                r.get("top") == want and r["seconds"] <= TARGET_SECONDS and r["peak_rss_mb"] <= TARGET_RSS_MB
                for r in runs
            )
        out[name] = row
        print(json.dumps({name: {k: v for k, v in row.items() if k != "runs"}}), flush=True)
    return out


Pair = tuple[str, Callable[[str], float] | None, str]  # (spun, weight, source)


def compare(pairs: list[Pair], cells: int) -> dict[str, Any]:
    """Align every pair with ``max_cells=cells`` and with ``whole``; how often the two agree.

    Split by what ``trace`` does with the pair: ``matches`` score at least the threshold with ``whole``
    (reported, with their substitutions), ``rejected`` score below it.
    """
    rows: dict[str, list[tuple[Alignment, Alignment, list[int]]]] = {"matches": [], "rejected": []}
    t_new = t_whole = 0.0
    for spun, weight, source in pairs:
        t0 = time.perf_counter()
        got = Aligner(spun, weight=weight, max_cells=cells).align(source)
        t1 = time.perf_counter()
        want = Aligner(spun, weight=weight, max_cells=WHOLE).align(source)
        t2 = time.perf_counter()
        t_new, t_whole = t_new + t1 - t0, t_whole + t2 - t1
        kind = "matches" if match_score(want) >= DEFAULT_THRESHOLD else "rejected"
        rows[kind].append((got, want, [len(_keys(spun)), len(_keys(source))]))
    out: dict[str, Any] = {"max_cells": cells, "seconds": round(t_new, 2), "seconds_whole": round(t_whole, 2)}
    for kind, group in rows.items():
        deltas = [abs(match_score(g) - match_score(w)) for g, w, _ in group]
        differ: list[dict[str, Any]] = [
            {
                "n_tokens": n,
                "score_whole": round(match_score(w), 4),
                "score_delta": round(match_score(g) - match_score(w), 4),
                "n_equal_delta": g.n_equal - w.n_equal,
                "substitutions_whole": len(w.substitutions),
                "substitutions_shared": len(set(g.substitutions) & set(w.substitutions)),
            }
            for g, w, n in group
            if g != w
        ]
        differ.sort(key=lambda d: -abs(d["score_delta"]))
        n = len(group)
        out[kind] = {
            "pairs": n,
            "identical": n - len(differ),
            "identical_rate": round((n - len(differ)) / n, 4) if n else None,
            "same_n_equal_rate": round(sum(g.n_equal == w.n_equal for g, w, _ in group) / n, 4) if n else None,
            "abs_score_delta_max": round(max(deltas), 4) if deltas else None,
            "largest_differences": differ[:5],
        }
    return out


def verified_pairs(ix: Index, queries: list[str]) -> list[Pair]:
    """Every (spun, weight, source) that ``trace`` aligns for these queries, with trace's own IDF weights."""
    pairs: list[Pair] = []

    class Recorder(Aligner):
        def __init__(self, spun: str, *, weight: Callable[[str], float] | None = None, **kw: Any) -> None:
            super().__init__(spun, weight=weight, **kw)
            self.weight = weight

        def align(self, source: str, *, with_evidence: bool = True) -> Alignment:
            if not with_evidence:  # trace aligns each candidate once without evidence
                pairs.append((self.spun, self.weight, source))
            return super().align(source, with_evidence=with_evidence)

    with mock.patch.object(query_module, "Aligner", Recorder):
        for text in queries:
            trace(text, index=ix)
    return pairs


def agreement(
    cfg: Cfg, pool: list[Doc], rest: list[Doc], queries: list[Doc], held: list[Doc], table: Any, tmp: Path
) -> dict[str, Any]:
    quick = cfg.suite == "quick"
    if quick:
        queries, held = queries[:50], held[:50]
    size = 2000 if quick else len(pool) + len(rest) + len(queries)
    refs = choose_refs(pool, rest, queries, size, cfg.seed)
    db = tmp / "agreement.db"
    build_index(db, [(d.doc_id, d.text) for d in refs])
    texts = [
        spin(d.text, lexicon=table, rate=rate, seed=cfg.seed + 1, doc=k).text
        for rate in RATES
        for k, d in enumerate(queries)
    ]
    texts += [d.text for d in held] + [
        spin(d.text, lexicon=table, rate=0.4, seed=cfg.seed + 2, doc=k).text for k, d in enumerate(held)
    ]
    with Index.open(db) as ix:
        pairs = verified_pairs(ix, texts)
    n_tokens = [len(_keys(s)) * len(_keys(t)) for s, _, t in pairs]
    out: dict[str, Any] = {
        "trace_benchmark_set": {
            "references": size,
            "queries": len(texts),
            "largest_pair_cells": max(n_tokens),
            "pairs_over_max_cells": sum(c > MAX_CELLS for c in n_tokens),
            "default": compare(pairs, MAX_CELLS),
            "forced_anchoring": compare(pairs, FORCED_CELLS),
        }
    }
    print(json.dumps(out), flush=True)
    rng = random.Random(cfg.seed + 3)
    long_pairs: dict[str, list[Pair]] = {"true": [], "unrelated": []}
    for n_articles in (60, 120) if not quick else (60,):
        for rate in RATES:
            source = "\n".join(d.text for d in rng.sample(rest, n_articles))
            other = "\n".join(d.text for d in rng.sample(rest, n_articles))
            spun = spin(source, lexicon=table, rate=rate, seed=cfg.seed + 4).text
            long_pairs["true"].append((spun, None, source))
            long_pairs["unrelated"].append((spun, None, other))
    out["long"] = {
        kind: {
            "spun_kb": sorted({round(len(s) / 1000) for s, _, _ in pairs_}),
            "cells": sorted({len(_keys(s)) * len(_keys(t)) for s, _, t in pairs_}),
            **compare(pairs_, MAX_CELLS),
        }
        for kind, pairs_ in long_pairs.items()
    }
    print(json.dumps({"long": out["long"]}), flush=True)
    return out


@dataclass(frozen=True, slots=True)
class LongConfig(BenchConfig):
    """The common options and the size of the long spun copies, in bytes."""

    size: int = 2_000_000


def configure(argv: Sequence[str]) -> LongConfig:
    parser = common_options(parser_for("trace_long", __doc__))
    parser.add_argument("--size", type=int, default=2_000_000, help="bytes of the long spun copies")
    a = parser.parse_args(list(argv))
    return LongConfig(**{f: getattr(bench_config(a), f) for f in BenchConfig.__dataclass_fields__}, size=a.size)


def run(cfg: Cfg, size: int | None = None) -> dict[str, Any]:
    size = int(getattr(cfg, "size", 2_000_000)) if size is None else size
    ddir = data_dir(cfg)
    table, _ = load_lexicon(ddir).split(seed=cfg.seed)
    pool, rest, queries, held = load_data(cfg)
    articles = articles_up_to(rest, size)
    in_source = {d.doc_id for d in articles}
    others = [d for d in pool + rest if d.doc_id not in in_source][: 500 if cfg.suite == "quick" else 2000]
    result: dict[str, Any] = {
        "setup": {
            "suite": cfg.suite,
            "seed": cfg.seed,
            "size_bytes": size,
            "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
            "max_cells": MAX_CELLS,
            "before_fix": BEFORE,
            "despin_version": __version__,
            "git_sha": git_sha(),
            "machine": {
                "cpu_count": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "loadavg_start": os.getloadavg(),
            },
            "command": f"python -m benchmarks trace_long --suite {cfg.suite} --seed {cfg.seed} --size {size}",
        }
    }
    with tempfile.TemporaryDirectory(prefix="despin-trace-long-") as tmp:
        result["speed"] = speed(cfg, size, others, articles, table, Path(tmp))
        result["agreement"] = agreement(cfg, pool, rest, queries, held, table, Path(tmp))
    result["meets_target"] = all(row["meets_target"] for row in result["speed"].values() if "meets_target" in row)
    result["setup"]["machine"]["loadavg_end"] = os.getloadavg()
    return result


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            case,
            r.get("query_bytes"),
            r.get("seconds_max"),
            r.get("cpu_seconds_max"),
            r.get("peak_rss_mb_max"),
            r.get("meets_target"),
        ]
        for case, r in result["speed"].items()
    ]
    agree = [
        [where, mode, kind, r[kind]["pairs"], r[kind]["identical_rate"], r[kind]["abs_score_delta_max"]]
        for where, a in result["agreement"].items()
        for mode, r in a.items()
        if isinstance(r, dict)
        for kind in ("matches", "rejected")
        if isinstance(r.get(kind), dict)
    ]
    t = result["setup"]["targets"]
    return (
        f"# Trace on long inputs ({result['setup']['suite']} suite, git `{result['setup']['git_sha']}`)\n\n"
        f"Targets: {t['seconds']} s and {t['peak_rss_mb']} MB per `despin trace` process; met: "
        f"{result['meets_target']}.\n\n"
        + md_table(["case", "query bytes", "max s", "max CPU s", "peak RSS MB", "meets target"], rows)
        + "\n\nAgreement with the whole-document alignment:\n\n"
        + md_table(["set", "aligner", "pairs of", "pairs", "identical", "max |score delta|"], agree)
        + "\n"
    )


def result_name(config: Cfg, result: dict[str, Any]) -> str:
    return f"trace-long-{result['setup']['git_sha']}"


if __name__ == "__main__":
    from benchmarks.registry import main

    main("trace_long")
