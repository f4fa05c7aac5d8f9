"""Worst-case time and memory per MB of ``detect`` / ``restore`` on adversarial documents.

Each case runs in a fresh subprocess (so its peak RSS is its own) with the real default model:

* ``news``            real news text (IndoSum, when ../shared is present; else a synthetic stand-in): the baseline
* ``line_5mb``        one 5 MB line with no sentence breaks (news words, every . ! ? and newline removed)
* ``repeat_words``    the same word repeated ("a a a ..."): every token is an accidental-repeat candidate
* ``punct``           punctuation only, no word at all
* ``word_1mb``        a single 1 MB "word" of letters
* ``doc_20mb``        20 MB of repeated words: over the 5M-character limit, so only the rejection is timed
* ``trace_spun``      ``trace`` of a long spun copy (every 7th word swapped) against an index holding its source:
                      long pairs are aligned in anchored pieces, so its cost grows linearly with the length

Usage::

    .venv/bin/python fuzz/bench_limits.py                     # the full set (about 30 min on one core)
    .venv/bin/python fuzz/bench_limits.py --quick             # small sizes only (about 2 min)
    .venv/bin/python fuzz/bench_limits.py --case line_5mb     # one case

The result is written to ``fuzz/results/limits-<date>.json`` (``--out`` to change it).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from despin.training.corpora import default_data_dir

REPO = Path(__file__).resolve().parents[1]
NEWS = default_data_dir() / "corpus" / "indosum_dev.jsonl.gz"  # $DESPIN_DATA or ../shared/data
SYNTHETIC = (
    "Pemerintah kota akan membangun tiga taman baru di wilayah timur pada tahun depan. Wali kota mengatakan "
    "bahwa proyek tersebut bertujuan untuk menambah ruang terbuka hijau. Menurut dia, anggaran yang disiapkan "
    "berasal dari dana daerah. Harga beras di pasar tradisional naik sejak awal bulan ini. "
)

# (case, size in bytes, verbs) of each measurement; sizes of the full run, then of --quick.
FULL: list[tuple[str, int, tuple[str, ...]]] = [
    ("news", 1_000_000, ("detect", "restore")),
    ("line_5mb", 5_000_000, ("detect", "restore")),
    ("repeat_words", 64_000, ("detect",)),
    ("repeat_words", 256_000, ("detect",)),
    ("repeat_words", 1_000_000, ("detect", "restore")),
    ("punct", 1_000_000, ("detect", "restore")),
    ("word_1mb", 1_000_000, ("detect", "restore")),
    ("doc_20mb", 20_000_000, ("detect", "restore")),
    ("trace_spun", 140_000, ("trace",)),
    ("trace_spun", 560_000, ("trace",)),
    ("trace_spun", 2_200_000, ("trace",)),
]
QUICK: list[tuple[str, int, tuple[str, ...]]] = [
    ("news", 100_000, ("detect", "restore")),
    ("line_5mb", 100_000, ("detect", "restore")),
    ("repeat_words", 32_000, ("detect", "restore")),
    ("punct", 100_000, ("detect",)),
    ("word_1mb", 1_000_000, ("detect", "restore")),
    ("doc_20mb", 20_000_000, ("detect",)),
    ("trace_spun", 35_000, ("trace",)),
    ("trace_spun", 140_000, ("trace",)),
]


def news_text(size: int) -> str:
    """About ``size`` bytes of real news paragraphs (synthetic sentences when the corpus is absent)."""
    parts: list[str] = []
    n = 0
    if NEWS.is_file():
        with gzip.open(NEWS, "rt", encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line)["text"]
                parts.append(text)
                n += len(text.encode()) + 1
                if n >= size:
                    break
    while n < size:
        parts.append(SYNTHETIC)
        n += len(SYNTHETIC.encode()) + 1
    return _cut("\n".join(parts), size)


def _cut(text: str, size: int) -> str:
    return text.encode()[:size].decode("utf-8", "ignore")


def make_case(case: str, size: int) -> str:
    if case == "news":
        return news_text(size)
    if case == "line_5mb":  # no sentence enders, no newlines: one sentence, decoded in windows
        return _cut(re.sub(r"\s+", " ", re.sub(r"[.!?]", "", news_text(size + size // 10))), size)
    if case in ("repeat_words", "doc_20mb"):
        return ("a " * (size // 2))[:size]
    if case == "punct":
        return ("!?.,;" * (size // 5 + 1))[:size]
    if case == "word_1mb":
        return "a" * size
    if case == "trace_spun":
        return " ".join(w if i % 7 else "anyar" for i, w in enumerate(_trace_source(size).split(" ")))
    raise SystemExit(f"unknown case {case}")


def _trace_source(size: int) -> str:
    """About ``size`` bytes of news words on one line (the source of the spun copy)."""
    return _cut(re.sub(r"\s+", " ", news_text(size)), size).rsplit(" ", 1)[0]


def _trace(text: str, size: int) -> Any:
    import tempfile

    import despin
    from despin.tracer import Index

    with tempfile.TemporaryDirectory() as tmp:
        with Index.create(Path(tmp) / "refs.db") as ix:
            ix.add([("source", _trace_source(size))])
        with Index.open(Path(tmp) / "refs.db") as ix:
            t0 = time.perf_counter()
            result = despin.trace(text, index=ix)
            return result, time.perf_counter() - t0


def run_one(case: str, size: int, verb: str) -> dict[str, Any]:
    """Measure one (case, size, verb) in this process; prints one JSON line."""
    import despin
    from despin.errors import DespinError

    model = despin.load_model()
    if verb != "trace":
        despin.restore("Pemerintah bakal membangun jalan raya anyar di kota itu.", model=model)  # load the tables
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = make_case(case, size)
    fn = despin.detect if verb == "detect" else despin.restore
    t0 = time.perf_counter()
    error = None
    try:
        if verb == "trace":  # timed without building the index
            result, seconds = _trace(text, size)
            n_spans = len(result.matches[0].substitutions) if result.matches else 0
        else:
            out = fn(text, model=model)
            n_spans = len(out.spans) if verb == "detect" else len(out.edits)  # type: ignore[union-attr]
            seconds = time.perf_counter() - t0
    except DespinError as exc:
        error, n_spans = f"{type(exc).__name__}: {exc}", 0
        seconds = time.perf_counter() - t0
    mb = len(text.encode()) / 1e6
    return {
        "case": case,
        "verb": verb,
        "bytes": len(text.encode()),
        "chars": len(text),
        "seconds": round(seconds, 3),
        "seconds_per_mb": round(seconds / mb, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024, 1),
        "n_out": n_spans,
        "error": error,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--case", help="only this case")
    ap.add_argument("--out", type=Path, help="result file (default fuzz/results/limits-<date>.json)")
    ap.add_argument("--one", nargs=3, metavar=("CASE", "SIZE", "VERB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), args.one[2])))
        return
    plan = QUICK if args.quick else FULL
    rows: list[dict[str, Any]] = []
    for case, size, verbs in plan:
        if args.case and case != args.case:
            continue
        for verb in verbs:
            cmd = [sys.executable, __file__, "--one", case, str(size), verb]
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode != 0:
                row = {"case": case, "verb": verb, "bytes": size, "crash": res.stderr[-2000:]}
            else:
                row = json.loads(res.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    measured = [r for r in rows if "seconds_per_mb" in r and not r.get("error")]
    worst = max(measured, key=lambda r: r["seconds_per_mb"]) if measured else None
    result = {
        "date": datetime.date.today().isoformat(),
        "suite": "quick" if args.quick else "full",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_avg_at_end": os.getloadavg(),
        "rows": rows,
        "worst_seconds_per_mb": worst,
    }
    out = args.out or REPO / "fuzz" / "results" / f"limits-{result['date']}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
