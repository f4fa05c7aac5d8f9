"""Scan throughput: 1 vs 2 local workers, Ray vs local, memory per worker, and a 10M-doc projection.

Run: ``python -m benchmarks scale --suite quick|full [--no-ray]`` (or ``run(BenchConfig(...))``); writes
``scale-<git sha>[-quick].json`` and ``.md`` under ``--out``.

The corpus is news only: IndoSum dev, CLICK-ID clean, then CLICK-ID link-gaps articles, in file
order (5,000 for ``full``, 200 for ``quick``); every other article is spun at rate 0.15 with the
model's lexicon, so half the corpus has something to restore. It is written as gzip JSONL shards
(250 documents each; 25 for quick) under ``benchmarks/cache/``. Each configuration runs
``despin.batch.scan(..., restore=True)`` (detection + restoration) into a fresh directory and
is timed end to end, worker start and model loading included. The Ray cluster is started
before timing (as a long-running cluster would be); its start-up time is reported separately.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import BenchConfig
from benchmarks.config import SuiteConfig as Config
from benchmarks.registry import bench_config, common_options, md_table, parser_for
from despin import api
from despin.batch import scan
from despin.pipeline import Stat

REPO_ROOT = Path(__file__).resolve().parents[1]
NEWS_FILES = ("indosum_dev.jsonl.gz", "clickid_clean.jsonl.gz", "clickid_link_gaps.jsonl.gz")
SUITES: dict[str, dict[str, int]] = {
    "quick": {"n_docs": 200, "shard_docs": 25},
    "full": {"n_docs": 5000, "shard_docs": 250},
}
PROJECTION = {"docs": 10_000_000, "cores": 64, "efficiency": 0.85}
CORPUS_VERSION = 1


@dataclass(frozen=True, slots=True)
class ScaleConfig(BenchConfig):
    """The common options, and whether to run the Ray configuration too."""

    ray: bool = True


def configure(argv: Sequence[str]) -> ScaleConfig:
    parser = common_options(parser_for("scale", __doc__))
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    a = parser.parse_args(list(argv))
    return ScaleConfig(**{f: getattr(bench_config(a), f) for f in BenchConfig.__dataclass_fields__}, ray=not a.no_ray)


def _data_dir(cfg: Config) -> Path:
    from despin.training.corpora import default_data_dir

    resolved = getattr(cfg, "resolved_data_dir", None)
    return Path(resolved()) if callable(resolved) else default_data_dir()


def _model(cfg: Config) -> Any:
    return api.load_model(getattr(cfg, "model", None))


def build_corpus(cfg: Config, n_docs: int, shard_docs: int) -> Path:
    """Write (once, cached) ``n_docs`` news articles as gzip JSONL shards; half of them spun."""
    from despin.spinner import spin

    root = REPO_ROOT / "benchmarks" / "cache" / f"scale-v{CORPUS_VERSION}-{n_docs}-{shard_docs}-s{cfg.seed}"
    if (root / "DONE").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    corpus = _data_dir(cfg) / "corpus"
    lexicon = _model(cfg).lexicon
    docs: list[dict[str, Any]] = []
    for name in NEWS_FILES:
        with gzip.open(corpus / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                text = rec.get("text")
                if not isinstance(text, str) or len(text) < 200:
                    continue
                i = len(docs)
                if i % 2:
                    text = spin(text, lexicon=lexicon, rate=0.15, seed=cfg.seed * 100_003 + i).text
                docs.append({"id": f"{name.split('.')[0]}:{rec.get('id', i)}", "text": text, "spun": bool(i % 2)})
                if len(docs) == n_docs:
                    break
        if len(docs) == n_docs:
            break
    for k in range(0, len(docs), shard_docs):
        body = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs[k : k + shard_docs])
        (root / f"news-{k // shard_docs:04d}.jsonl.gz").write_bytes(gzip.compress(body.encode(), mtime=0))
    (root / "DONE").write_text(f"{len(docs)}\n")
    return root


def _measure(corpus: Path, out: Path, **kwargs: Any) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    stats = scan(corpus, out, restore=True, progress=False, **kwargs)
    wall = time.perf_counter() - t0
    total = stats.total
    task_s = total.timers.get("task", 0.0)
    cpu_s = total.timers.get("task_cpu", 0.0)
    return {
        "docs": total[Stat.INPUT],
        "wall_s": round(wall, 2),
        "docs_per_s": round(total[Stat.INPUT] / wall, 2),
        "task_s": round(task_s, 2),
        # docs per second of busy worker time: what one core sustains once the model is loaded
        "docs_per_core_s": round(total[Stat.INPUT] / task_s, 2) if task_s else None,
        "task_cpu_s": round(cpu_s, 2),
        # docs per CPU-second of the workers: the per-core cost, unaffected by other load on the machine
        "docs_per_cpu_s": round(total[Stat.INPUT] / cpu_s, 2) if cpu_s else None,
        "restore_s": round(total.timers.get("restore", 0.0), 2),
        # 1-minute load average before and after: above the core count, other processes shared the CPUs
        "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "flagged_share": round(stats.share_flagged, 4),
        "peak_rss_mb_per_worker": round(max(s.gauges.get("peak_rss_mb", 0.0) for s in stats.shards.values()), 1),
        "balanced": total.balanced,
    }


def _same_outputs(a: Path, b: Path) -> bool:
    names = sorted(p.relative_to(a).as_posix() for p in a.glob("*.jsonl.gz"))
    return bool(names) and all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def run(cfg: Config, *, ray: bool | None = None) -> dict[str, Any]:
    """Measure the scan's throughput and memory; see the module docstring (Ray too unless ``ray`` is False
    or the config's ``ray`` is)."""
    ray = bool(getattr(cfg, "ray", True)) if ray is None else ray
    suite = SUITES[cfg.suite]
    corpus = build_corpus(cfg, suite["n_docs"], suite["shard_docs"])
    _model(cfg)  # fail early if the model is missing
    model_dir = getattr(cfg, "model", None)
    out: dict[str, Any] = {"suite": cfg.suite, "cpu_count": os.cpu_count(), "corpus": str(corpus.name)}
    with tempfile.TemporaryDirectory(prefix="despin-scale-") as tmp:
        work = Path(tmp)
        runs: dict[str, Any] = {}
        runs["local_1"] = _measure(corpus, work / "l1", workers=1, model=model_dir)
        runs["local_2"] = _measure(corpus, work / "l2", workers=2, model=model_dir)
        out["identical_1_vs_2"] = _same_outputs(work / "l1", work / "l2")
        if ray:
            try:
                import ray as ray_mod
            except ImportError:
                runs["ray_2"] = {"skipped": "ray is not installed"}
            else:
                t0 = time.perf_counter()
                ray_mod.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
                out["ray_init_s"] = round(time.perf_counter() - t0, 2)
                try:
                    runs["ray_2"] = _measure(corpus, work / "r2", workers=2, executor="ray", model=model_dir)
                finally:
                    ray_mod.shutdown()
                out["identical_ray_vs_local"] = _same_outputs(work / "l2", work / "r2")
        out["runs"] = runs
    l1, l2 = runs["local_1"], runs["local_2"]
    out["speedup_2_vs_1"] = round(l2["docs_per_s"] / l1["docs_per_s"], 3)
    if "docs_per_s" in runs.get("ray_2", {}):
        out["ray_vs_local_2"] = round(runs["ray_2"]["docs_per_s"] / l2["docs_per_s"], 3)
    if l1["docs_per_cpu_s"] and l2["docs_per_cpu_s"]:
        # 1.0 means a document costs the same CPU with 2 workers as with 1: nothing in despin serialises them
        out["cpu_cost_ratio_2_vs_1"] = round(l1["docs_per_cpu_s"] / l2["docs_per_cpu_s"], 3)
    per_core = l1["docs_per_cpu_s"] or l1["docs_per_core_s"] or l1["docs_per_s"]
    p = PROJECTION
    hours = p["docs"] / (per_core * p["cores"] * p["efficiency"]) / 3600
    out["projection"] = {
        "docs": p["docs"],
        "cores": p["cores"],
        "per_core_docs_per_s": per_core,
        "efficiency": p["efficiency"],
        "hours": round(hours, 2),
        "hours_ideal": round(p["docs"] / (per_core * p["cores"]) / 3600, 2),
        "assumptions": [
            "one Ray actor per core, each core as fast as one core of this machine",
            f"documents like these news articles (mean {_mean_chars(corpus):,} chars), half of them spun",
            "detect + restore, no trace",
            "per-core rate: the 1-worker run's documents per CPU-second of its tasks (model loading included)",
            "85% efficiency for stragglers, scheduling and shared-filesystem I/O",
            "shards of a few thousand documents, many more shards than cores, so no core idles at the end",
        ],
    }
    return out


def _mean_chars(corpus: Path) -> int:
    n = chars = 0
    for shard in sorted(corpus.glob("*.jsonl.gz")):
        for line in gzip.decompress(shard.read_bytes()).splitlines():
            chars += len(json.loads(line)["text"])
            n += 1
    return chars // max(n, 1)


def render(result: dict[str, Any]) -> str:
    keys = ("docs", "wall_s", "docs_per_s", "docs_per_cpu_s", "peak_rss_mb_per_worker", "flagged_share")
    rows = [[name, *(r.get(k, r.get("skipped")) for k in keys)] for name, r in result["runs"].items()]
    p = result["projection"]
    return (
        f"# Scan throughput ({result['suite']} suite, {result['cpu_count']} CPUs)\n\n"
        + md_table(["run", "docs", "wall s", "docs/s", "docs/CPU-s", "peak RSS MB/worker", "flagged"], rows)
        + f"\n\n2 vs 1 workers: x{result['speedup_2_vs_1']}; outputs identical: {result['identical_1_vs_2']}"
        + (
            f"; Ray vs local: identical {result['identical_ray_vs_local']}"
            if "identical_ray_vs_local" in result
            else ""
        )
        + f". Projection: {p['docs']:,} documents on {p['cores']} cores in about {p['hours']} h.\n"
    )


if __name__ == "__main__":
    from benchmarks.registry import main

    main("scale")
