"""One place decides the data directory (issue 17, item 4): ``despin.training.corpora.default_data_dir``
honours ``DESPIN_DATA``, everything else asks it, and the mini corpora that stand in for the shared ones
on a fresh clone have every corpus and split the tests read."""

from __future__ import annotations

import ast
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from despin.training.corpora import DATA_ENV, default_data_dir
from despin.training.splits import REGISTERS, split_of

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"


def test_despin_data_decides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"  # as given, even before it exists
    sys.path.insert(0, str(ROOT))
    from benchmarks.config import BenchConfig
    from benchmarks.config import default_data_dir as bench_default

    assert bench_default() == tmp_path / "elsewhere"
    assert BenchConfig().resolved_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(DATA_ENV)
    assert default_data_dir() != tmp_path / "elsewhere"


def guesses(path: Path) -> list[int]:
    """Lines of ``path`` that build a path with a literal 'shared' directory (a guess of ../shared/data)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts = [n for n in (node.left, node.right) if isinstance(n, ast.Constant)]
            if any(p.value == "shared" for p in parts):
                lines.append(node.lineno)
    return lines


def test_nothing_else_guesses_where_the_data_is() -> None:
    decider = ROOT / "src" / "despin" / "training" / "corpora.py"
    found = {
        f"{p.relative_to(ROOT)}:{line}"
        for folder in ("src", "benchmarks", "tests", "fuzz", "scripts")
        for p in (ROOT / folder).rglob("*.py")
        if p != decider and ".venv" not in p.parts
        for line in guesses(p)
    }
    assert not found, f"ask despin.training.corpora.default_data_dir() instead: {sorted(found)}"


def test_the_tests_run_on_the_shared_corpora_or_the_mini_ones() -> None:
    # tests/conftest.py points DESPIN_DATA at the mini corpora when no shared corpora are found.
    data = default_data_dir()
    assert (data / "corpus" / "indosum_dev.jsonl.gz").is_file()
    assert data == MINI or data.resolve() != MINI.resolve()


@pytest.mark.parametrize("corpus", sorted(REGISTERS))
def test_the_mini_corpora_have_every_corpus_and_split(corpus: str) -> None:
    with gzip.open(MINI / "corpus" / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    splits = Counter(split_of(corpus, r) for r in rows)
    assert splits["train"] >= 1 and splits["test"] >= 8
    if corpus != "clickid_link_gaps":  # this copy has no calib or dev split, in the real data too
        assert splits["dev"] >= 8 and splits["calib"] >= 1
    assert all(isinstance(r["text"], str) and r["text"].strip() for r in rows)
    if corpus == "indosum_dev":  # the held-out news the group, decipher and dedup tests read
        assert splits["test"] >= 201
