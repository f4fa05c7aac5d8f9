"""``despin scan`` never writes over its inputs, and a start-up failure leaves nothing that blocks a rerun."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from despin.cli import cli

NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"


def _corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    lines = NEWS.read_text(encoding="utf-8").splitlines()
    (root / "a.jsonl").write_text("\n".join(lines[:3]) + "\n{broken\n", encoding="utf-8")
    (root / "b.jsonl").write_text("\n".join(lines[3:5]) + "\n", encoding="utf-8")
    return root


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")}


def test_scanning_a_directory_into_itself_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "same")
    before = _digests(corpus)
    res = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(corpus)])
    assert res.exit_code == 1
    assert "inside the output directory" in res.stderr and "Traceback" not in res.stderr
    assert _digests(corpus) == before  # not a byte changed, no job.json, no rejects/


def test_an_input_file_inside_the_output_directory_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "out")
    before = _digests(corpus)
    res = CliRunner().invoke(cli, ["scan", str(corpus / "a.jsonl"), "-o", str(corpus)])
    assert res.exit_code == 1 and "inside the output directory" in res.stderr
    assert _digests(corpus) == before


def test_an_output_directory_inside_the_input_directory_still_works(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in")
    res = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(corpus / "out")])
    assert res.exit_code == 0, res.output
    assert (corpus / "out" / "a.jsonl").is_file() and (corpus / "out" / "b.jsonl").is_file()
    assert "scanned 2 shards" in res.stderr


def test_a_scan_that_fails_at_start_up_does_not_block_the_corrected_rerun(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in")
    bad_table = tmp_path / "bad.tsv"
    bad_table.write_text("agung\tbesar\tmany\n", encoding="utf-8")
    out = tmp_path / "out"
    failed = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(out), "--table", str(bad_table)])
    assert failed.exit_code == 1 and "bad.tsv" in failed.stderr and "not a number" in failed.stderr
    assert not out.exists()  # the table is read before the output directory is made
    rerun = CliRunner().invoke(cli, ["scan", str(corpus / "b.jsonl"), "-o", str(out)])
    assert rerun.exit_code == 0, rerun.output
    assert "scanned 1 shard " in rerun.stderr
    assert json.loads((out / "job.json").read_text())["options"]["table"] is None
    # Once a shard is done, other options are refused as before: the outputs belong to that job.
    again = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(out), "--restore"])
    assert again.exit_code == 1 and "other options" in again.stderr


def test_a_rerun_with_fewer_inputs_names_the_earlier_shards_it_does_not_count(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(out)]).exit_code == 0
    res = CliRunner().invoke(cli, ["scan", str(corpus / "b.jsonl"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "1 shard an earlier run finished here is not among these inputs" in res.stderr and "a" in res.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["other_shards"] == ["a"] and stats["n_shards"] == 1
    assert stats["input"] == stats["output"] + stats["filtered"] + stats["rejected"] == 2


def test_an_output_that_is_a_symlink_to_its_input_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jsonl").symlink_to(corpus / "a.jsonl")  # the input, named through the output directory
    before = _digests(corpus)
    res = CliRunner().invoke(cli, ["scan", str(out / "a.jsonl"), "-o", str(out)])
    assert res.exit_code == 1 and "would overwrite the input shard" in res.stderr and "a.jsonl" in res.stderr
    assert (out / "a.jsonl").is_symlink() and sorted(p.name for p in out.iterdir()) == ["a.jsonl"]
    assert _digests(corpus) == before


def test_an_output_hard_linked_to_its_input_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.jsonl").hardlink_to(corpus / "b.jsonl")
    res = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(out)])
    assert res.exit_code == 1 and "would overwrite the input shard" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["b.jsonl"]  # nothing written: no job.json, no rejects/
