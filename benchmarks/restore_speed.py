"""CPU speed of ``Model.restore`` on news-length documents, and a golden check that it stays exact.

``python -m benchmarks.restore_speed --record`` restores a fixed set of documents and writes every
output (restored text, edits, offsets, confidences, detection scores, the restorer's raw outcome)
to ``benchmarks/cache/restore_speed_golden.json`` (gitignored). Without ``--record`` it restores
the same documents and fails if any output differs from the golden file: an optimisation must
not change a single edit. Floats (confidences, scores, LM gain) must agree to 1e-9. The check
uses the detector and restore weights stored with the golden outputs, so a refitted detector does
not fail it; another model version does (record again, on the reference code, for a new model).

The set: the first 60 ``dev`` documents of IndoSum by id, as written (``clean``), spun at rate
0.15 with the model's own lexicon (``shared``), and spun with one half of a pair-disjoint split of
it while the restorer gets the other half (``disjoint``).

Speed is CPU time (``time.process_time``), because the machine is shared: per set, a *cold* pass
starts from a freshly built restorer (empty caches) and a *warm* pass repeats the same documents.
Building the restorer is timed apart (``build_s``). A *steady* pass (``steady_*``) times ``detect`` and
``restore`` with word-level caches warm but no decoded window cached, as in a long-running process
meeting new documents (and as ``benchmarks/detect_restore`` times them): the number to hold against
the speed targets. ``--repeat N`` keeps the fastest of N runs of each; ``--profile`` prints a cProfile
of the cold passes of every set (cProfile inflates the cost of Python calls several times over).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import math
import pstats
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.config import CACHE_DIR, default_data_dir
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.restorer.restorer import RestoreOutcome
from despin.spinner import Spinner
from despin.training.splits import split_of

CORPUS = default_data_dir() / "corpus" / "indosum_dev.jsonl.gz"
GOLDEN = CACHE_DIR / "restore_speed_golden.json"
N_DOCS = 60
FLOAT_TOL = 1e-9


def dev_documents(path: Path = CORPUS, n: int = N_DOCS) -> list[str]:
    """The first ``n`` dev-split IndoSum texts by id."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    dev = sorted((r for r in rows if split_of("indosum_dev", r) == "dev"), key=lambda r: str(r["id"]))
    return [str(r["text"]) for r in dev[:n]]


def eval_sets(model: Model, clean: Sequence[str]) -> dict[str, tuple[Model, list[str]]]:
    """Set name -> (the model that restores it, its texts)."""
    shared = Spinner(model.lexicon, rate=0.15, seed=1)
    a, b = SynonymLexicon(model.lexicon.to_json_dicts()[0]).split(seed=7)
    disjoint = Spinner(a, rate=0.15, seed=1)
    return {
        "clean": (model, list(clean)),
        "shared": (model, [shared.spin(t, doc=i).text for i, t in enumerate(clean)]),
        "disjoint": (model.with_lexicon(b), [disjoint.spin(t, doc=i).text for i, t in enumerate(clean)]),
    }


def record(model: Model, text: str) -> dict[str, Any]:
    """Everything observable about one restoration, floats unrounded."""
    outcome: RestoreOutcome = model.restorer().restore(text)
    restoration = model.restore(text)
    det = restoration.detection
    return {
        "restoration": restoration.to_dict(),
        "score": det.score,
        "spans": [[s.start, s.end, s.text, s.score] for s in det.spans],
        "outcome": {
            "edits": [[e.start, e.end, e.observed, e.restored, e.confidence, e.kind] for e in outcome.edits],
            "n_words": outcome.n_words,
            "n_candidates": outcome.n_candidates,
            "n_capital": outcome.n_capital,
            "n_repeat": outcome.n_repeat,
            "lm_gain": outcome.lm_gain,
        },
    }


def diff(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Differences between two JSON-like values; floats may differ by :data:`FLOAT_TOL`."""
    if isinstance(expected, float) or isinstance(actual, float):
        ok = isinstance(expected, int | float) and isinstance(actual, int | float)
        if ok and math.isclose(float(expected), float(actual), rel_tol=0.0, abs_tol=FLOAT_TOL):
            return []
        return [f"{where}: {expected!r} != {actual!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return [f"{where}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for k in expected for d in diff(expected[k], actual[k], f"{where}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)}"]
        return [d for i, (x, y) in enumerate(zip(expected, actual, strict=True)) for d in diff(x, y, f"{where}[{i}]")]
    return [] if expected == actual else [f"{where}: {expected!r} != {actual!r}"]


def load_golden() -> dict[str, Any] | None:
    if not GOLDEN.is_file():
        print(f"no golden file at {GOLDEN}: run with --record on the reference code first", file=sys.stderr)
        return None
    return dict(json.loads(GOLDEN.read_text(encoding="utf-8")))


def timed_pass(fn: Callable[[str], Any], texts: Sequence[str]) -> tuple[float, list[Any]]:
    t0 = time.process_time()
    out = [fn(t) for t in texts]
    return time.process_time() - t0, out


def run(*, write_golden: bool, profile: bool, repeat: int = 1) -> int:
    reference = None if write_golden else load_golden()
    if reference is None and not write_golden:
        return 2
    t0 = time.process_time()
    model = Model.default()
    if reference is not None and reference.get("model") != model.version:
        print(f"the golden outputs are of model {reference.get('model')}, not {model.version}", file=sys.stderr)
        return 2
    if reference is not None:
        # The detector and restore weights are refitted now and then; the check pins the ones the
        # golden outputs were recorded with, so it tests the code and nothing else.
        model.__dict__["detector_params"] = reference["detector_params"]
    for name in ("lm", "vocab", "case_share", "lexicon", "neighbours", "detector"):
        getattr(model, name)
    load_s = time.process_time() - t0
    clean = dev_documents()
    sets = eval_sets(model, clean)
    speed: dict[str, dict[str, float]] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    profiler = cProfile.Profile() if profile else None
    for name, (m, texts) in sets.items():
        build_s = cold_s = warm_s = detect_s = restore_s = math.inf
        for _ in range(repeat):  # the fastest of a few runs: other processes share the machine
            m._restorers.clear()  # a fresh restorer: empty candidate and unigram caches
            t0 = time.process_time()
            m.restorer()
            build_s = min(build_s, time.process_time() - t0)
            if profiler:
                profiler.enable()
            cold_s = min(cold_s, timed_pass(m.restore, texts)[0])
            if profiler:
                profiler.disable()
            warm_s = min(warm_s, timed_pass(m.restore, texts)[0])
            windows = m.restorer()._windows
            windows.clear()
            detect_s = min(detect_s, timed_pass(m.detect, texts)[0])
            windows.clear()
            restore_s = min(restore_s, timed_pass(m.restore, texts)[0])
        records[name] = [record(m, t) for t in texts]
        n_chars = sum(len(t) for t in texts)
        speed[name] = {
            "docs": len(texts),
            "mean_chars": round(n_chars / len(texts)),
            "build_s": round(build_s, 3),
            "cold_docs_per_cpu_s": round(len(texts) / cold_s, 1),
            "warm_docs_per_cpu_s": round(len(texts) / warm_s, 1),
            "steady_detect_docs_per_cpu_s": round(len(texts) / detect_s, 1),
            "steady_restore_docs_per_cpu_s": round(len(texts) / restore_s, 1),
        }
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {"model": model.version, "load_cpu_s": round(load_s, 2), "peak_rss_mib": round(peak_mib), "sets": speed}
    print(json.dumps(summary, indent=1))
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    golden = {"model": model.version, "detector_params": model.detector_params, "records": records}
    if reference is None:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(golden, ensure_ascii=False), encoding="utf-8")
        print(f"golden outputs written to {GOLDEN}")
        return 0
    problems = diff(reference, golden)
    for line in problems[:20]:
        print(line, file=sys.stderr)
    print(f"{len(problems)} differences from the golden outputs")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--record", action="store_true", help="write the golden outputs instead of checking them")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the cold passes to stderr")
    parser.add_argument("--repeat", type=int, default=1, help="time each pass this many times and keep the fastest")
    args = parser.parse_args(argv)
    return run(write_golden=args.record, profile=args.profile, repeat=max(1, args.repeat))


if __name__ == "__main__":
    raise SystemExit(main())
