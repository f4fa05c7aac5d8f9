"""Batch-scan column of docs/hardening.md: one real ``despin scan`` over a directory of every bad shard kind.

The scan runs once (a subprocess, module fixture); each test checks one row of the table in its outputs,
its ``rejects/`` files and ``stats.json``. A bad record never stops the scan and is never lost: the scan
exits 0, ``input == output + rejected``, and each bad record is one reject with its reason.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import (
    BAD_SHARDS,
    BROKEN_MODELS,
    PROCESSED,
    SOURCES,
    Result,
    clear_error,
    expected_rejects,
    needs_model,
    run_cli,
)

pytestmark = needs_model


@pytest.fixture(scope="module")
def scanned(shard_dir: Path) -> tuple[Path, Result]:
    out = shard_dir.parent / "out"
    res = run_cli("scan", shard_dir, "-o", out, timeout=300)
    return out, res


def rejects_of(out: Path, shard: str) -> list[dict[str, Any]]:
    path = out / "rejects" / f"{shard}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def output_of(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / name
    if path.suffix == ".parquet":
        return list(pq.read_table(path).to_pylist())
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in data.decode().splitlines()]


def test_scan_exits_0_and_every_record_is_counted_once(scanned: tuple[Path, Result], shard_dir: Path) -> None:
    out, res = scanned
    assert res.returncode == 0, res.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["balanced"] and stats["input"] == stats["output"] + stats["rejected"]
    n_out = sum(len(output_of(out, p.name)) for p in shard_dir.iterdir())
    n_rej = sum(len(rejects_of(out, p.name.split(".")[0])) for p in shard_dir.iterdir())
    assert (n_out, n_rej) == (stats["output"], stats["rejected"])
    assert "rejects (" in res.stderr  # the summary points at the rejects


@pytest.mark.parametrize("shard", BAD_SHARDS)
def test_scan_rejects_each_bad_record_with_its_reason(
    scanned: tuple[Path, Result], shard_dir: Path, shard: str
) -> None:
    out, _ = scanned
    rejects = rejects_of(out, shard)
    assert sorted(r["reason"] for r in rejects) == expected_rejects(shard_dir)[shard]
    for r in rejects:
        assert r["shard"] == shard and r["detail"] and ("line" in r or "row" in r)


def test_scan_corrupt_gzip_keeps_the_lines_before_the_damage(scanned: tuple[Path, Result]) -> None:
    out, _ = scanned
    reasons = [r["reason"] for r in rejects_of(out, "corrupt")]
    assert reasons[-1] == "corrupt_gzip" and set(reasons) <= {"corrupt_gzip", "malformed_json", "invalid_utf8"}
    ids = [r["id"] for r in output_of(out, "corrupt.jsonl.gz")]
    assert 50 < len(ids) < 200 and ids == [f"g-{i}" for i in range(len(ids))]


def test_scan_truncated_jsonl_line_is_a_reject_with_its_raw_text(scanned: tuple[Path, Result]) -> None:
    out, _ = scanned
    last = rejects_of(out, "malformed")[-1]
    assert last["line"] == 7 and last["reason"] == "malformed_json" and "terpotong" in last["raw"]


def test_scan_20mb_record_is_rejected_as_too_long_with_its_id(scanned: tuple[Path, Result]) -> None:
    out, _ = scanned
    (too_long,) = [r for r in rejects_of(out, "texts") if r["reason"] == "text_too_long"]
    assert too_long["id"] == "t-20mb" and "20,000,000 characters, over the 5,000,000 limit" in too_long["detail"]
    assert too_long["raw_truncated"] and len(too_long["raw"]) == 4096  # raw input kept, but bounded


def test_scan_processes_the_5mb_line_odd_texts_and_nul(scanned: tuple[Path, Result]) -> None:
    out, _ = scanned
    records = {r["id"]: r for r in output_of(out, "texts.jsonl")}
    expect = {f"t-{k}" for k in PROCESSED} | {"t-json-nul", "t-line-5mb"}
    assert set(records) == expect
    for r in records.values():
        text, d = r["text"], r["despin"]
        assert 0.0 <= d["spun_score"] <= 1.0
        assert all(text[s["start"] : s["end"]] == s["text"] for s in d["spans"])
    assert records["t-json-nul"]["text"] == "Harga beras\x00 naik."  # the record is written back unchanged
    assert not records["t-english"]["despin"]["is_spun"]


def test_scan_good_records_are_untouched_but_annotated(scanned: tuple[Path, Result]) -> None:
    out, _ = scanned
    records = output_of(out, "good.jsonl")
    assert [{"id": r["id"], "text": r["text"]} for r in records] == [{"id": k, "text": v} for k, v in SOURCES.items()]
    assert all("despin" in r for r in records)


def test_scan_with_a_damaged_index_exits_1_before_writing(index_files: dict[str, Path], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": SOURCES["rice-price"]}) + "\n")
    for name, message in (("truncated", "is truncated"), ("not_sqlite", "not a despin index")):
        out = tmp_path / f"out-{name}"
        clear_error(run_cli("scan", src, "-o", out, "--index", index_files[name]), message)
        assert not list(out.glob("*.jsonl"))


@pytest.mark.parametrize(("variant", "message"), BROKEN_MODELS[:3])
def test_scan_with_a_broken_model_exits_1(
    model_variants: dict[str, Path], tmp_path: Path, variant: str, message: str
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": SOURCES["rice-price"]}) + "\n")
    out = tmp_path / "out"
    clear_error(run_cli("scan", src, "-o", out, "--model", model_variants[variant]), message)
    assert not (out / "in.jsonl").exists() and not list((out / "completions").glob("*"))
