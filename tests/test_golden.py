"""Golden cases: hand-reviewed input -> restore JSON. Rewrite only with ``pytest --update-golden``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import despin
from despin.model.bundle import Model

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name.removesuffix(".input.txt") for p in GOLDEN.glob("*.input.txt"))


def _rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [_rounded(v) for v in obj]
    return obj


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, model: Model, request: pytest.FixtureRequest) -> None:
    text = (GOLDEN / f"{case}.input.txt").read_text(encoding="utf-8")
    got = _rounded(despin.restore(text, model=model).to_dict())
    expected_path = GOLDEN / f"{case}.expected.json"
    if request.config.getoption("--update-golden"):
        expected_path.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert got == expected
