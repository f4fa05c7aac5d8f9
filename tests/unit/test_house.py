"""One value per idea (issue 17, item 7): dead code stays gone, benchmark-only packages are dev-only,
and mypy checks benchmarks/ as strictly as src/."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from despin.lexicon import SynonymLexicon
from despin.server import middleware
from despin.tracer import fingerprint

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("owner", "name"),
    [(SynonymLexicon, "restrict"), (fingerprint, "token_key"), (middleware, "request_id_of")],
)
def test_dead_code_is_gone(owner: object, name: str) -> None:
    assert not hasattr(owner, name)


def imported_modules(root: Path) -> set[str]:
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def test_benchmark_only_packages_are_in_the_dev_group_not_the_runtime_dependencies() -> None:
    runtime = {d.split(">")[0].split("=")[0].split("[")[0].strip() for d in PYPROJECT["project"]["dependencies"]}
    dev = {d.split("=")[0].strip() for d in PYPROJECT["dependency-groups"]["dev"]}
    assert "datasketch" not in runtime and "datasketch" in dev
    assert "datasketch" not in imported_modules(ROOT / "src" / "despin")
    assert "datasketch" in imported_modules(ROOT / "benchmarks")  # still used there: the LSH baseline


def test_mypy_checks_the_benchmarks_too() -> None:
    assert "benchmarks" in PYPROJECT["tool"]["mypy"]["files"]
    assert PYPROJECT["tool"]["mypy"]["strict"] is True
    assert ".venv/bin/mypy --strict src benchmarks" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
