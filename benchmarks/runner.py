"""Run the benchmark modules, and write one results file with its table and plots.

Each module exposes ``run(cfg: BenchConfig) -> dict``. ``detect_restore`` is ours; ``trace``,
``scale`` and ``serve`` are run when present. A module that fails is recorded as
``{"error": ...}`` and the others still run, so one broken area never hides the rest.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import json
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.config import CACHE_DIR, REPO_ROOT, BenchConfig

MODULES = ("detect_restore", "trace", "scale", "serve")
SCHEMA_VERSION = 1


def git_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    sha = git("rev-parse", "--short=10", "HEAD") or "nogit"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "src", "benchmarks"))
    return {"sha": sha, "dirty": dirty}


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("despin", "kenlm", "numpy", "rapidfuzz", "datasketch", "matplotlib", "ray"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


def machine() -> dict[str, Any]:
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "mem_gb": mem_gb,
        "ci": bool(os.environ.get("CI")),
    }


def run_module(name: str, cfg: BenchConfig, *, cache_dir: Path | None) -> dict[str, Any]:
    if importlib.util.find_spec(f"benchmarks.{name}") is None:
        return {"skipped": f"benchmarks/{name}.py does not exist"}
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        if name == "detect_restore":
            return dict(module.run(cfg, cache_dir=cache_dir))
        return dict(module.run(cfg))
    except Exception as exc:  # one failing module must not lose the others' numbers
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=6)}


def run_suite(
    cfg: BenchConfig,
    *,
    only: Sequence[str] | None = None,
    cache_dir: Path | None = CACHE_DIR,
    plots: bool = True,
) -> Path:
    """Run the benchmark modules and write ``<out_dir>/<date>-<sha>[-quick].json`` with .md and .png."""
    from benchmarks import plots as plots_mod
    from benchmarks import report

    names = [m for m in MODULES if only is None or m in only]
    git = git_info()
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "created": created.isoformat(),
        "git": git,
        "versions": versions(),
        "machine": machine(),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "fingerprint": cfg.fingerprint(),
        "benchmarks": {},
        "durations_s": {},
    }
    for name in names:
        t0 = time.perf_counter()
        results["benchmarks"][name] = run_module(name, cfg, cache_dir=cache_dir)
        results["durations_s"][name] = round(time.perf_counter() - t0, 1)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{created.date().isoformat()}-{git['sha']}" + ("" if cfg.suite == "full" else f"-{cfg.suite}")
    path = cfg.out_dir / f"{stem}.json"
    path.write_text(json.dumps(results, indent=1, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")
    (cfg.out_dir / f"{stem}.md").write_text(report.markdown(results, source=path.name), encoding="utf-8")
    if plots:
        plots_mod.plot_all(results, cfg.out_dir, stem)
    return path


def quality_view(results: dict[str, Any]) -> dict[str, Any]:
    """The numbers that must be identical between two runs with one seed and model (no timings)."""
    dr = results.get("benchmarks", {}).get("detect_restore", {})
    return {"quality": dr.get("quality"), "data": dr.get("data"), "model": dr.get("model")}
