"""Index column of docs/hardening.md: ``despin index add`` (real subprocesses) and the ``Index`` it writes.

``index add`` reports every bad record as ``FILE:LINE: reason`` on stderr, adds the good ones, and exits 1
(0 with ``--skip-bad``); the printed counts add up: ``read = added + duplicate + conflict + rejected``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import despin
from conftest import PROCESSED, SOURCES, SPUN_KUPANG, Result, clear_error, long_line, run_cli
from despin.errors import InputError
from despin.tracer import Index

JSONL_SHARDS = ["texts", "binary", "malformed", "fields", "truncated", "corrupt", "notgzip"]
PARQUET_SHARDS = ["wrong_schema", "nonstring", "nulltext"]


def shard(shard_dir: Path, name: str) -> Path:
    return next(p for p in shard_dir.iterdir() if p.name.split(".")[0] == name)


@pytest.fixture(scope="module")
def added(shard_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """``index add`` of the good shard and every bad JSONL and Parquet shard (not garbage.parquet)."""
    d = tmp_path_factory.mktemp("idx")
    files = [shard(shard_dir, n) for n in ["good", *JSONL_SHARDS, *PARQUET_SHARDS]]
    return d / "refs.db", run_cli("index", "add", "--index", d / "refs.db", *files, timeout=300)


def bad_lines(res: Result, shard_dir: Path, name: str) -> list[str]:
    path = shard(shard_dir, name)
    prefix = f"{path.name}:"
    return [line.split(prefix, 1)[1] for line in res.stderr.splitlines() if f"/{prefix}" in line]


def test_index_add_exits_1_listing_bad_records_and_counts_add_up(added: tuple[Path, Result]) -> None:
    index, res = added
    assert res.returncode == 1
    counts = res.json()
    assert counts["read"] == counts["added"] + counts["duplicate"] + counts["conflict"] + counts["rejected"]
    assert f"{counts['rejected']} bad record(s) rejected" in res.stderr
    with Index.open(index, verify="quick") as ix:
        assert len(ix) == counts["count"] == counts["added"]
        assert all(k in ix for k in SOURCES)


def test_index_add_empty_and_whitespace_texts_are_rejected(added: tuple[Path, Result], shard_dir: Path) -> None:
    _, res = added
    reason = "text is empty or only whitespace"
    assert bad_lines(res, shard_dir, "texts")[:2] == [f"7: {reason}", f"8: {reason}"]  # t-empty, t-blank
    index, _ = added
    with Index.open(index) as ix:
        assert "t-empty" not in ix and "t-blank" not in ix


def test_index_add_binary_and_invalid_utf8_lines_are_rejected(added: tuple[Path, Result], shard_dir: Path) -> None:
    _, res = added
    lines = bad_lines(res, shard_dir, "binary")
    assert sum("not valid UTF-8" in line for line in lines) == 2
    assert any(line.startswith("4: malformed JSON") for line in lines)


def test_index_add_malformed_and_truncated_jsonl_lines_are_rejected(
    added: tuple[Path, Result], shard_dir: Path
) -> None:
    _, res = added
    lines = bad_lines(res, shard_dir, "malformed")
    assert [line.split(":")[0] for line in lines] == ["2", "3", "4", "5", "6", "7"]  # line 5 is blank: a reject too
    assert lines[-1].startswith("7: malformed JSON")


@pytest.mark.parametrize("name", ["truncated", "corrupt", "notgzip"])
def test_index_add_damaged_gzip_keeps_the_lines_before_and_reports_the_damage(
    added: tuple[Path, Result], shard_dir: Path, name: str
) -> None:
    index, res = added
    (line,) = bad_lines(res, shard_dir, name)
    assert ("gzip stream ends early" if name == "truncated" else "gzip data is corrupt") in line
    if name != "notgzip":
        with Index.open(index) as ix:
            assert "g-0" in ix and "g-50" in ix and "g-199" not in ix


def test_index_add_missing_and_non_string_fields_are_rejected(added: tuple[Path, Result], shard_dir: Path) -> None:
    _, res = added
    assert len(bad_lines(res, shard_dir, "fields")) == 5
    for name, n in (("wrong_schema", 1), ("nonstring", 2), ("nulltext", 1)):
        lines = bad_lines(res, shard_dir, name)
        assert len(lines) == n and all("text field 'text' is" in x for x in lines)


def test_index_add_odd_texts_are_added_and_traced_back(added: tuple[Path, Result]) -> None:
    index, _ = added
    with Index.open(index) as ix:
        for name in ("html", "mixed_scripts", "nul_chars", "english", "long_hyphen_word", "long_word", "line-5mb"):
            key = f"t-{name}"
            assert key in ix, key
        for name in ("html", "mixed_scripts", "nul_chars", "english"):
            matches = despin.trace(PROCESSED[name], index=ix).matches  # nul_chars ties with kupang-bridge
            assert any(m.source_id == f"t-{name}" and m.score == 1.0 for m in matches), name
        assert despin.trace(SPUN_KUPANG, index=ix).matches[0].source_id == "kupang-bridge"


def test_index_add_5mb_line_in_bounded_time(tmp_path: Path) -> None:
    src = tmp_path / "line.jsonl"
    src.write_text(json.dumps({"id": "line", "text": long_line()}) + "\n")
    t0 = time.perf_counter()
    res = run_cli("index", "add", "--index", tmp_path / "refs.db", src)
    assert res.returncode == 0 and res.json()["added"] == 1
    assert time.perf_counter() - t0 < 20.0


def test_index_add_refuses_the_20mb_record_of_a_shard(added: tuple[Path, Result], shard_dir: Path) -> None:
    index, res = added
    (line,) = [x for x in bad_lines(res, shard_dir, "texts") if x.startswith("10:")]  # t-20mb
    assert "20,000,000 characters, over the 5,000,000 limit" in line
    with Index.open(index) as ix:
        assert "t-20mb" not in ix


def test_index_add_refuses_a_text_over_the_api_limit(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    src.write_text(json.dumps({"id": "big", "text": "kata " * 1_000_001}) + "\n")
    res = run_cli("index", "add", "--index", tmp_path / "refs.db", src)
    assert res.returncode == 1 and "over the 5,000,000" in res.stderr
    assert res.json()["added"] == 0


def test_index_add_garbage_parquet_is_a_clear_error(shard_dir: Path, tmp_path: Path) -> None:
    res = run_cli("index", "add", "--index", tmp_path / "refs.db", shard(shard_dir, "garbage"))
    assert res.returncode == 1 and "garbage.parquet" in res.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [("truncated", "is truncated"), ("empty", "not a despin index"), ("not_sqlite", "not a despin index")],
)
def test_index_add_and_stats_on_a_damaged_index_exit_1(
    index_files: dict[str, Path], shard_dir: Path, tmp_path: Path, name: str, message: str
) -> None:
    copy = tmp_path / f"{name}.db"
    copy.write_bytes(index_files[name].read_bytes())
    before = copy.read_bytes()
    clear_error(run_cli("index", "add", "--index", copy, shard(shard_dir, "good")), message)
    clear_error(run_cli("index", "stats", "--index", copy), message)
    assert copy.read_bytes() == before  # a damaged file is never written to


@pytest.mark.parametrize("text", ["", "x\ud800y", None, b"bytes"], ids=["empty", "surrogate", "none", "bytes"])
def test_index_api_add_checks_its_texts(tmp_path: Path, text: object) -> None:
    with Index.create(tmp_path / "refs.db") as ix, pytest.raises(InputError):
        ix.add([("a", text)])  # type: ignore[list-item]
