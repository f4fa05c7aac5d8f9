"""The benchmark contract: every registered module exposes run(config) -> dict and render(dict) -> str,
and ``python -m benchmarks NAME`` configures, runs, writes and renders any of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import registry  # noqa: E402


@pytest.mark.parametrize("name", sorted(registry.BENCHMARKS))
def test_every_registered_module_keeps_the_contract(name: str) -> None:
    module = registry.load(name)
    assert callable(module.run) and callable(module.render)
    assert registry.summary(name), f"benchmarks/{name}.py needs a docstring whose first line says what it measures"


def test_unknown_and_contract_breaking_modules_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeyError, match="no benchmark named 'nope'"):
        registry.load("nope")
    (tmp_path / "half_bench.py").write_text('"""Half a benchmark."""\n\ndef run(config):\n    return {}\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.BENCHMARKS, "half", "half_bench")
    with pytest.raises(TypeError, match="no render"):
        registry.load("half")


def test_a_registered_benchmark_runs_writes_its_results_and_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real module on disk that uses the default configuration (the common options -> BenchConfig).
    (tmp_path / "tiny_bench.py").write_text(
        '"""Counts to the seed."""\n'
        "def run(config):\n"
        "    return {'suite': config.suite, 'numbers': list(range(config.seed))}\n"
        "def render(result):\n"
        "    return f\"# tiny\\n\\n{len(result['numbers'])} numbers ({result['suite']})\\n\"\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.BENCHMARKS, "tiny_bench", "tiny_bench")
    out = tmp_path / "results"
    path = registry.run_benchmark("tiny-bench", ["--seed", "3", "--suite", "full", "--out", str(out)])
    assert path.parent == out and path.name == f"tiny-bench-{registry.git_sha()}.json"
    assert json.loads(path.read_text()) == {"suite": "full", "numbers": [0, 1, 2]}
    assert path.with_suffix(".md").read_text() == "# tiny\n\n3 numbers (full)\n"
    assert "3 numbers (full)" in capsys.readouterr().out
    quick = registry.run_benchmark("tiny_bench", ["--out", str(out)])
    assert quick.name.endswith("-quick.json")


def test_python_m_benchmarks_lists_and_dispatches() -> None:
    def bench(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    listing = bench("--help")
    assert listing.returncode == 0
    for name in [*registry.BENCHMARKS, "run", "readme", "report", "plot"]:
        assert name in listing.stdout
    options = bench("index-latency", "--help")  # a benchmark's own options, kebab-case name accepted
    assert (
        options.returncode == 0
        and "--docs" in options.stdout
        and "python -m benchmarks index_latency" in options.stdout
    )
    unknown = bench("no_such_benchmark")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_the_startup_benchmark_measures_help_and_detect(tmp_path: Path) -> None:
    path = registry.run_benchmark("startup", ["--repeat", "1", "--out", str(tmp_path)])
    result = json.loads(path.read_text())
    assert path.name == f"startup-{result['git']}.json"
    assert set(result["cases"]) >= {"help", "detect", "import_despin"}
    for case in result["cases"].values():
        assert case["cpu_s"] >= 0 and case["wall_s"] > 0
    steps = [s["step"] for s in result["detect_breakdown"]]
    assert "load lexicon" in steps and "first detect" in steps
    assert "Where `despin detect`'s CPU goes" in path.with_suffix(".md").read_text()
