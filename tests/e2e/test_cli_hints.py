"""Errors that point the way (issue 17, item 3): a wrong text field, a file of records given to a
one-text command, and a file over the size limit each exit 1 with what to do instead."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import despin
from despin.cli import cli
from despin.pipeline import FieldCensus, JsonlReader, MissingTextFieldError, Stat

NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"


def as_content(src: Path, dst: Path, n: int = 6) -> Path:
    """The first ``n`` news records with their text under ``content`` (and a short ``title``)."""
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()[:n]]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(
        "".join(
            json.dumps({"id": r["id"], "title": r["id"][:10], "content": r["text"], "url": f"https://x.id/{k}"}) + "\n"
            for k, r in enumerate(rows)
        ),
        encoding="utf-8",
    )
    return dst


def assert_points_to_content(message: str, n: int = 6) -> None:
    assert f"none of its {n} records has the text field 'text'" in message
    assert "content (6)" in message and "id (6)" in message and "url (6)" in message
    assert "--text-field content" in message


# ------------------------------------------------------------------------------ a wrong --text-field


def test_scan_exits_1_naming_the_fields_and_the_rerun_with_text_field_works(tmp_path: Path) -> None:
    src = as_content(NEWS, tmp_path / "in" / "records.jsonl")
    runner = CliRunner()
    res = runner.invoke(cli, ["scan", str(src), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert_points_to_content(res.output)
    assert not list((tmp_path / "out").glob("completions/*"))  # the shard is not marked done
    fixed = runner.invoke(cli, ["scan", str(src), "-o", str(tmp_path / "out"), "--text-field", "content"])
    assert fixed.exit_code == 0, fixed.output
    assert len((tmp_path / "out" / "records.jsonl").read_text().splitlines()) == 6


def test_scan_with_two_workers_carries_the_error_across_processes(tmp_path: Path) -> None:
    good = tmp_path / "in" / "good.jsonl"
    good.parent.mkdir()
    good.write_bytes(NEWS.read_bytes())
    as_content(NEWS, tmp_path / "in" / "records.jsonl")
    with pytest.raises(MissingTextFieldError) as info:
        despin.scan(tmp_path / "in", tmp_path / "out", workers=2, progress=False)
    assert info.value.suggestion == "content" and info.value.text_field == "text"
    assert info.value.shard.endswith("records.jsonl")
    assert_points_to_content(str(info.value))


def test_some_records_without_text_are_rejects_not_an_error(tmp_path: Path) -> None:
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(NEWS.read_bytes().splitlines(keepends=True)[0] + b'{"id": "x", "content": "teks"}\n')
    res = CliRunner().invoke(cli, ["scan", str(src), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert (stats["input"], stats["output"], stats["rejected"]) == (2, 1, 1)


def test_index_add_and_learn_exit_1_with_the_same_hint(tmp_path: Path) -> None:
    src = as_content(NEWS, tmp_path / "records.jsonl")
    runner = CliRunner()
    add = runner.invoke(cli, ["index", "add", "--index", str(tmp_path / "refs.db"), str(src)])
    assert add.exit_code == 1
    assert_points_to_content(add.output)
    learn = runner.invoke(cli, ["learn", "--unsupervised", str(src), "-o", str(tmp_path / "site.tsv")])
    assert learn.exit_code == 1
    assert_points_to_content(learn.output)
    assert not (tmp_path / "site.tsv").exists()
    ok = runner.invoke(cli, ["index", "add", "--index", str(tmp_path / "refs.db"), str(src), "--text-field", "content"])
    assert ok.exit_code == 0 and json.loads(ok.output)["added"] == 6


def test_the_shared_check_for_other_readers(tmp_path: Path) -> None:
    # Parquet rows, through the reader every batch command uses; and the census alone, as dedup may use it.
    table = pa.Table.from_pylist([{"id": "a", "body": "Harga naik tajam."}, {"id": "b", "body": None}])
    pq.write_table(table, tmp_path / "rows.parquet")
    from despin.pipeline import ParquetReader

    reader = ParquetReader(tmp_path / "rows.parquet")
    with pytest.raises(MissingTextFieldError, match="none of its 2 records .* pass --text-field body"):
        list(reader.run(None))
    assert reader.stats[Stat.REJECTED] == 2  # every record was rejected before the error
    relaxed = JsonlReader(as_content(NEWS, tmp_path / "c.jsonl"), check_text_field=False)
    assert list(relaxed.run(None)) == [] and relaxed.stats[Stat.REJECTED] == 6
    census = FieldCensus("text")
    census.add(["not", "an", "object"])
    census.check("lists.jsonl")  # no object records: nothing to say about fields
    census.add({"text": None, "html": "<p>x</p>"})
    with pytest.raises(MissingTextFieldError, match="text looks to be in 'html'"):
        census.check("x.jsonl")


# ------------------------------------------------------------------------------ records given to one-text commands


@pytest.mark.parametrize("command", ["detect", "restore"])
def test_detect_and_restore_refuse_jsonl_and_parquet_and_name_scan(tmp_path: Path, command: str) -> None:
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_bytes(NEWS.read_bytes())
    gz = tmp_path / "pages.jsonl.gz"
    gz.write_bytes(gzip.compress(NEWS.read_bytes()))
    parquet = tmp_path / "pages.parquet"
    pq.write_table(pa.Table.from_pylist([json.loads(x) for x in NEWS.read_text().splitlines()]), parquet)
    for path, kind in ((jsonl, "JSON Lines"), (gz, "gzip-compressed JSON Lines"), (parquet, "Parquet")):
        res = CliRunner().invoke(cli, [command, str(path)])
        assert res.exit_code == 1, res.output
        assert f"{path} is a {kind} file of records" in res.output
        assert f"despin scan {path} -o OUT" in res.output and "--text-field" in res.output
    stdin = CliRunner().invoke(cli, [command, "-"], input=NEWS.read_bytes())
    assert stdin.exit_code == 1 and "despin scan FILE -o OUT" in stdin.output


def test_spin_points_a_jsonl_file_to_spin_jsonl(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["spin", str(NEWS)])
    assert res.exit_code == 1 and f"despin spin {NEWS} --jsonl" in res.output


def test_prose_with_braces_is_still_one_text() -> None:
    res = CliRunner().invoke(cli, ["detect", "-"], input="{Catatan redaksi} Harga cabai naik di pasar Surabaya.\n")
    assert res.exit_code == 0, res.output
    assert "spun_score" in json.loads(res.output)


def test_a_file_over_the_size_limit_names_scan(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"kata " * (20 * 1024 * 1024 // 5 + 1))  # just over the CLI's 20 MiB
    res = CliRunner().invoke(cli, ["detect", str(big)])
    assert res.exit_code == 1
    assert "larger than the 20,971,520-byte limit" in res.output and f"despin scan {big} -o OUT" in res.output
    long = tmp_path / "long.txt"
    long.write_bytes(b"a" * 5_000_001)  # under the byte limit, over the 5,000,000-character limit
    res = CliRunner().invoke(cli, ["restore", str(long)])
    assert res.exit_code == 1 and "over the 5,000,000 limit" in res.output and "despin scan" in res.output
