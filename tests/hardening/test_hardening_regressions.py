"""Regression tests for the bugs the hardening work found (fuzzing and review); see docs/hardening.md.

Fixed in files this area owns: lone surrogates reached the LM (UnicodeEncodeError) through the Python API,
and the CLI's over-the-limit error did not name the file. Bugs in other files are strict xfails here and
in the other test_hardening_* files, each with the fix it needs in its reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import despin
from conftest import SOURCES, clear_error, needs_model, run_cli
from despin.errors import InputError
from despin.model.bundle import Model
from despin.textio import check_text
from despin.tracer import Index

SURROGATES = ["\ud800", "a\udfffb", "Harga \udcff naik", "\ud83d"]  # the last: half of an emoji's pair


@pytest.mark.parametrize("text", SURROGATES)
def test_check_text_refuses_lone_surrogates(text: str) -> None:
    with pytest.raises(InputError, match="unpaired surrogate"):
        check_text(text, name="input")


@needs_model
@pytest.mark.parametrize("verb", ["detect", "restore", "spin"])
def test_lone_surrogates_are_an_input_error_in_every_api_verb(model: Model, verb: str) -> None:
    for text in SURROGATES:
        with pytest.raises(InputError, match="unpaired surrogate"):
            getattr(despin, verb)(text, model=model)


def test_lone_surrogates_are_an_input_error_in_trace(index_files: dict[str, Path]) -> None:
    with Index.open(index_files["good"]) as ix:
        for text in SURROGATES:
            with pytest.raises(InputError, match="unpaired surrogate"):
                despin.trace(text, index=ix)


def test_a_valid_surrogate_pair_is_text(index_files: dict[str, Path]) -> None:
    assert check_text("😀 kata") == "😀 kata"
    with Index.open(index_files["good"]) as ix:
        despin.trace("😀 " + SOURCES["rice-price"], index=ix)


def test_cli_over_the_character_limit_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("kata " * 1_000_001)
    clear_error(run_cli("detect", path), f"{path}: text has 5,000,005 characters, over the 5,000,000 limit")


@needs_model
def test_scan_writes_a_good_record_whose_id_has_a_lone_surrogate(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "b\\ud800", "text": "Harga beras naik tajam."}\n')
    res = run_cli("scan", src, "-o", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    (line,) = (tmp_path / "out" / "in.jsonl").read_text().splitlines()
    assert json.loads(line)["id"] == "b\ud800" and "\\ud800" in line  # written back as read, escaped


@needs_model
def test_scan_rejects_a_record_whose_id_has_a_lone_surrogate(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a\\ud800", "text": "x\\udc00"}\n{"id": "c\\ud800"}\n')
    res = run_cli("scan", src, "-o", tmp_path / "out")
    assert res.returncode == 0
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects" / "in.jsonl").read_text().splitlines()]
    assert [r["reason"] for r in rejects] == ["invalid_unicode", "missing_text"]
