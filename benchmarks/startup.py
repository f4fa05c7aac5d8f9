"""Start-up cost of the CLI: `despin --help`, `import despin` and `despin detect` of one sentence, with the
model-loading breakdown.

Run: ``python -m benchmarks startup [--repeat 7]``; writes ``startup-<git sha>.json`` and ``.md`` under
``--out`` (default ``benchmarks/results/``).

Each case is a fresh process, run ``--repeat`` times; its CPU time (user + system) is read with
``resource.getrusage(RUSAGE_CHILDREN)`` around it and its wall time with a monotonic clock; the
median is reported. The command is the installed ``despin`` script beside this interpreter (the one
a user types), else ``python -m despin``. Targets (issue 17): ``despin --help`` at most 0.3 s and
``despin detect`` of one sentence at most 0.8 s of CPU.

The breakdown runs ``detect`` step by step in one fresh interpreter, reading its own CPU clock
between steps: importing the CLI, importing the model code, opening the bundle, then each of the
bundle's lazily loaded parts (every ``cached_property`` of :class:`despin.model.bundle.Model`, in
the order the class defines them), and the first detection, with the garbage collector paused as the
command pauses it. What the whole command costs beyond these (argument parsing, printing, exit) is
the ``rest`` row.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import RESULTS_DIR
from benchmarks.registry import git_sha, md_table, parser_for

SENTENCE = "Pemerintah kota akan membangun tiga taman baru di wilayah timur pada tahun depan."
TARGETS = {"help_s": 0.3, "detect_cpu_s": 0.8}

# Runs in a fresh interpreter: the CPU seconds of each step of a first `detect`, as JSON on stdout.
_BREAKDOWN = r"""
import gc, json, resource, sys, time
from functools import cached_property

gc.disable()  # as despin's one-shot commands do (despin.cli.common.one_shot)

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

steps = []
def step(name, fn):
    t0, w0 = cpu(), time.perf_counter()
    out = fn()
    steps.append({"step": name, "cpu_s": round(cpu() - t0, 4), "wall_s": round(time.perf_counter() - w0, 4)})
    return out

steps.append({"step": "interpreter start", "cpu_s": round(cpu(), 4), "wall_s": None})
step("import the CLI (despin.cli.core)", lambda: __import__("despin.cli.core"))
bundle = step("import the model code (despin.model.bundle)", lambda: __import__("despin.model.bundle", fromlist=["M"]))
model = step("open the bundle (Model.default)", lambda: bundle.Model.default())
for name, attr in vars(type(model)).items():
    if isinstance(attr, cached_property):
        step(f"load {name}", lambda name=name: getattr(model, name))
step("first detect", lambda: model.detect(sys.argv[1]))
print(json.dumps(steps))
"""


@dataclass(frozen=True, slots=True)
class StartupConfig:
    """How many runs per case, and where results go."""

    repeat: int = 7
    out_dir: Path = RESULTS_DIR


def configure(argv: Sequence[str]) -> StartupConfig:
    parser = parser_for("startup", __doc__)
    parser.add_argument("--repeat", type=int, default=7, help="runs per case (the median is reported)")
    a = parser.parse_args(list(argv))
    if a.repeat < 1:
        parser.error("--repeat must be >= 1")
    return StartupConfig(repeat=a.repeat, out_dir=a.out)


def despin_command() -> list[str]:
    """The ``despin`` script beside this interpreter, else ``python -m despin``."""
    script = shutil.which("despin", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "despin"]


def measure(cmd: Sequence[str], *, stdin: str | None, repeat: int) -> dict[str, Any]:
    """Median CPU and wall seconds of ``repeat`` fresh runs of ``cmd`` (each must exit 0)."""
    cpus, walls = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(list(cmd), input=stdin, capture_output=True, text=True, timeout=300, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        walls.append(wall)
    return {
        "command": " ".join(Path(c).name if k == 0 else c for k, c in enumerate(cmd)),
        "runs": repeat,
        "cpu_s": round(statistics.median(cpus), 3),
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s_min": round(min(cpus), 3),
        "wall_s_min": round(min(walls), 3),
    }


def breakdown(repeat: int) -> list[dict[str, Any]]:
    """The steps of a first ``detect`` in a fresh interpreter (median CPU per step over ``repeat`` runs)."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", _BREAKDOWN, SENTENCE], capture_output=True, text=True, timeout=300, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    steps = []
    for k, first in enumerate(runs[0]):
        cpu = [r[k]["cpu_s"] for r in runs]
        steps.append({"step": first["step"], "cpu_s": round(statistics.median(cpu), 3)})
    return steps


def run(config: StartupConfig) -> dict[str, Any]:
    despin = despin_command()
    cases = {
        "python": measure([sys.executable, "-c", "pass"], stdin=None, repeat=config.repeat),
        "import_despin": measure([sys.executable, "-c", "import despin"], stdin=None, repeat=config.repeat),
        "help": measure([*despin, "--help"], stdin=None, repeat=config.repeat),
        "detect": measure([*despin, "detect", "-"], stdin=SENTENCE, repeat=config.repeat),
        "spin": measure([*despin, "spin", "-", "--seed", "1"], stdin=SENTENCE, repeat=config.repeat),
    }
    steps = breakdown(config.repeat)
    steps.append(
        {
            "step": "rest (argument parsing, output, exit)",
            "cpu_s": round(cases["detect"]["cpu_s"] - sum(s["cpu_s"] for s in steps), 3),
        }
    )
    return {
        "git": git_sha(),
        "sentence": SENTENCE,
        "targets": TARGETS,
        "cases": cases,
        "detect_breakdown": steps,
        "meets_targets": {
            "help": cases["help"]["wall_s"] <= TARGETS["help_s"] and cases["help"]["cpu_s"] <= TARGETS["help_s"],
            "detect": cases["detect"]["cpu_s"] <= TARGETS["detect_cpu_s"],
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg": os.getloadavg(),
        },
    }


def render(result: dict[str, Any]) -> str:
    rows = [[name, c["command"], c["cpu_s"], c["wall_s"], c["runs"]] for name, c in result["cases"].items()]
    steps = [[s["step"], s["cpu_s"]] for s in result["detect_breakdown"]]
    t, ok = result["targets"], result["meets_targets"]
    return (
        f"# CLI start-up (git `{result['git']}`, {result['machine']['cpu_count']} CPUs, load "
        f"{result['machine']['loadavg'][0]:.2f})\n\n"
        f"Targets: `despin --help` at most {t['help_s']} s (met: {ok['help']}); `despin detect` of one sentence "
        f"at most {t['detect_cpu_s']} s of CPU (met: {ok['detect']}). Medians of fresh processes.\n\n"
        + md_table(["case", "command", "CPU s", "wall s", "runs"], rows)
        + "\n\nWhere `despin detect`'s CPU goes (one fresh interpreter, step by step):\n\n"
        + md_table(["step", "CPU s"], steps)
        + "\n"
    )


def result_name(config: StartupConfig, result: dict[str, Any]) -> str:
    return f"startup-{result['git']}"


if __name__ == "__main__":
    from benchmarks.registry import main

    main("startup")
