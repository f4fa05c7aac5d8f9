"""One benchmark contract, one entry point: ``python -m benchmarks NAME [options]``.

A benchmark is a module under ``benchmarks/`` that exposes two functions:

* ``run(config) -> dict``: measure, and return a JSON-serialisable result;
* ``render(result: dict) -> str``: the Markdown summary of such a result (it reads only the dict, so
  a report can always be redrawn from the results file).

and may expose two more:

* ``configure(argv: Sequence[str]) -> config``: parse its own options (``--help`` included). Without
  it, the command takes the common options (:func:`common_options`: ``--suite --seed --model --out
  --sample-size``) and ``run`` gets a :class:`~benchmarks.config.BenchConfig`;
* ``result_name(config, result) -> str``: the stem of its results file; without it,
  ``<name>-<git sha>[-quick]``.

``python -m benchmarks NAME`` parses the options, calls ``run``, writes ``<out>/<stem>.json`` and
``<out>/<stem>.md`` (``render``'s Markdown; ``<out>`` is the config's ``out_dir``, by default
``benchmarks/results/``) and prints the Markdown. Registering a benchmark is one line in
:data:`BENCHMARKS` (name -> module); the module is imported only when its command runs.

Example:
    >>> "trace_short" in BENCHMARKS and all(m.startswith("benchmarks.") for m in BENCHMARKS.values())
    True
    >>> benchmark_name("trace-long")
    'trace_long'
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, cast

from benchmarks.config import REPO_ROOT, RESULTS_DIR, BenchConfig

BENCHMARKS: dict[str, str] = {
    "clean_sites": "benchmarks.clean_sites",
    "dedup": "benchmarks.dedup",
    "farm_errors": "benchmarks.farm_errors",
    "farms": "benchmarks.farms",
    "footer": "benchmarks.footer",
    "index_flips": "benchmarks.index_flips",
    "index_latency": "benchmarks.index_latency",
    "lofo": "benchmarks.lofo",
    "scale": "benchmarks.scale",
    "serve": "benchmarks.serve",
    "speed": "benchmarks.speed",
    "startup": "benchmarks.startup",
    "trace": "benchmarks.trace",
    "trace_long": "benchmarks.trace_long",
    "trace_short": "benchmarks.trace_short",
}
"""Every benchmark ``python -m benchmarks NAME`` runs: its name (a ``-`` may stand for ``_``) -> module."""


class Benchmark(Protocol):
    """What a registered module exposes (``configure`` and ``result_name`` are optional)."""

    def run(self, config: Any, /) -> dict[str, Any]: ...

    def render(self, result: dict[str, Any], /) -> str: ...


def benchmark_name(name: str) -> str:
    """The registered name for ``name`` (``trace-long`` and ``trace_long`` are one benchmark)."""
    return name.replace("-", "_")


def load(name: str) -> Benchmark:
    """Import the module registered under ``name`` and check that it keeps the contract."""
    key = benchmark_name(name)
    if key not in BENCHMARKS:
        known = ", ".join(sorted(BENCHMARKS))
        raise KeyError(f"no benchmark named {name!r}; registered: {known}")
    module = importlib.import_module(BENCHMARKS[key])
    missing = [f for f in ("run", "render") if not callable(getattr(module, f, None))]
    if missing:
        raise TypeError(f"{module.__name__} does not keep the benchmark contract: no {' or '.join(missing)}()")
    return cast(Benchmark, module)


def summary(name: str) -> str:
    """The first line of the module's docstring, read without importing it (listing stays fast)."""
    spec = importlib.util.find_spec(BENCHMARKS[benchmark_name(name)])
    if spec is None or spec.origin is None:
        return "(module missing)"
    doc = ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def common_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of a :class:`BenchConfig`: ``--suite --seed --model --sample-size`` (``--out`` comes
    with :func:`parser_for`)."""
    parser.add_argument("--suite", choices=["quick", "full"], default="quick", help="sample size (default quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, default=None, help="a model bundle (default: the packaged one)")
    parser.add_argument("--sample-size", type=int, default=None, help="documents per (split, register)")
    return parser


def bench_config(args: argparse.Namespace) -> BenchConfig:
    """The :class:`BenchConfig` of the common options in ``args``."""
    return BenchConfig(
        suite=args.suite, seed=args.seed, out_dir=args.out, model=args.model, sample_size=args.sample_size
    )


def parser_for(name: str, doc: str | None = None) -> argparse.ArgumentParser:
    """An argument parser named ``python -m benchmarks NAME``, described by the first line of ``doc`` (the
    module's docstring), with ``--out DIR`` (the results directory), for a module's ``configure``."""
    lines = (doc or "").strip().splitlines()
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks {name}", description=lines[0] if lines else None)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory (default benchmarks/results)")
    return parser


def configure(name: str, module: Benchmark, argv: Sequence[str]) -> Any:
    """The module's config from ``argv``: its ``configure``, else the common options as a BenchConfig."""
    custom = getattr(module, "configure", None)
    if callable(custom):
        return custom(list(argv))
    parser = common_options(parser_for(name, cast(ModuleType, module).__doc__))
    return bench_config(parser.parse_args(list(argv)))


def git_sha() -> str:
    """The short commit the benchmark ran on (``nogit`` outside a checkout)."""
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or "nogit"


def result_stem(name: str, module: Benchmark, config: Any, result: dict[str, Any]) -> str:
    """The results file stem: the module's ``result_name``, else ``<name>-<sha>`` (``-quick`` for quick)."""
    custom = getattr(module, "result_name", None)
    if callable(custom):
        return str(custom(config, result))
    quick = getattr(config, "suite", "full") == "quick"
    return f"{benchmark_name(name).replace('_', '-')}-{git_sha()}" + ("-quick" if quick else "")


def write_result(out_dir: Path, stem: str, result: dict[str, Any], markdown: str) -> Path:
    """Write ``<stem>.json`` and ``<stem>.md`` under ``out_dir``; return the JSON's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return path


def run_benchmark(name: str, argv: Sequence[str] = ()) -> Path:
    """Configure, run, render and write the benchmark ``name``; return the results file."""
    module = load(name)
    config = configure(name, module, argv)
    result = module.run(config)
    markdown = module.render(result)
    out_dir = Path(getattr(config, "out_dir", RESULTS_DIR))
    path = write_result(out_dir, result_stem(name, module, config, result), result, markdown)
    print(markdown.rstrip())
    print(f"\nwrote {path} and {path.with_suffix('.md').name}")
    return path


def main(name: str, argv: Sequence[str] | None = None) -> None:
    """``python -m benchmarks.NAME`` (kept for old commands) runs what ``python -m benchmarks NAME`` runs."""
    import sys

    run_benchmark(name, sys.argv[1:] if argv is None else argv)


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get 4 significant digits, None a dash.

    Example:
        >>> print(md_table(["a", "b"], [[1, 0.123456], [None, "x"]]))
        | a | b |
        |---|---|
        | 1 | 0.1235 |
        | – | x |
    """

    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out)
