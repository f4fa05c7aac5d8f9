"""``despin spin`` end to end: CliRunner and a real subprocess, checked through the Python API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from despin.api import load_table
from despin.cli import cli
from despin.spinner import Spinner, spin, unspin
from despin.types import Spin, SpinEdit

TABLE = Path(__file__).parents[1] / "data" / "spin_table.tsv"
TEXT = "Pemerintah mengatakan rumah itu besar. Masyarakat bisa melakukan pertemuan ketika hujan.\n"


def from_dict(d: dict[str, object]) -> Spin:
    edits = d["edits"]
    assert isinstance(edits, list) and isinstance(d["text"], str)
    return Spin(d["text"], tuple(SpinEdit(**e) for e in edits))


def test_cli_json_matches_the_api_and_undoes_exactly(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text(TEXT, encoding="utf-8")
    args = ["spin", str(src), "--rate", "0.5", "--seed", "3", "--table", str(TABLE), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    got = from_dict(json.loads(result.output))
    assert got == spin(TEXT, lexicon=load_table(TABLE), rate=0.5, seed=3)
    assert unspin(got) == TEXT
    assert [e.kind for e in got.edits].count("footer") == 1


def test_cli_plain_output_is_the_spun_text_from_stdin() -> None:
    args = [
        "spin",
        "-",
        "--rate",
        "1",
        "--seed",
        "0",
        "--table",
        str(TABLE),
        "--mode",
        "deterministic",
        "--no-footer",
        "--repeat",
        "0",
        "--capitalize",
        "0",
    ]
    result = CliRunner().invoke(cli, args, input=TEXT)
    assert result.exit_code == 0, result.output
    expected = spin(
        TEXT,
        lexicon=load_table(TABLE),
        rate=1.0,
        seed=0,
        mode="deterministic",
        footer=False,
        repeat=0.0,
        capitalize=0.0,
    )
    assert result.output == expected.text
    assert "rumah" not in result.output and "hujan" in result.output


def test_cli_errors_are_clear() -> None:
    runner = CliRunner()
    empty = runner.invoke(cli, ["spin", "-", "--table", str(TABLE)], input="  \n")
    assert empty.exit_code == 1 and "text is empty" in empty.output
    missing = runner.invoke(cli, ["spin", "-", "--table", "/nonexistent/table.tsv"], input=TEXT)
    assert missing.exit_code == 1 and "cannot read table" in missing.output
    bad_rate = runner.invoke(cli, ["spin", "-", "--rate", "2", "--table", str(TABLE)], input=TEXT)
    assert bad_rate.exit_code == 2 and "--rate" in bad_rate.output


def test_subprocess_despin_spin(tmp_path: Path) -> None:
    exe = shutil.which("despin", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "despin"]
    args = [
        *cmd,
        "spin",
        "-",
        "--rate",
        "0.4",
        "--seed",
        "11",
        "--table",
        str(TABLE),
        "--json",
        "--outlet",
        "Tempo.co",
    ]
    proc = subprocess.run(args, input=TEXT.encode(), capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    got = from_dict(json.loads(proc.stdout))
    assert got.edits[-1].observed.endswith("Tempo.co")
    assert unspin(got) == TEXT
    assert got == spin(TEXT, lexicon=load_table(TABLE), rate=0.4, seed=11, outlet="Tempo.co")


# --------------------------------------------------------------------------- batches: despin spin --jsonl

RECORDS = [
    b'{"id": 1, "text": "Pemerintah mengatakan rumah itu besar.", "url": "https://a.example/1"}',
    b'{"id": 2, "body": "no text field here"}',
    b"{not json",
    b'{"id": 3, "text": "Masyarakat bisa melakukan pertemuan ketika hujan.", "tags": ["a", {"b": null}]}',
    b'{"id": 4, "text": "   "}',
    b'{"id": 5, "text": "Rumah itu besar dan masyarakat senang."}',
]


def test_spin_jsonl_spins_every_good_record_like_the_api_and_lists_the_bad_ones(tmp_path: Path) -> None:
    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"\n".join(RECORDS) + b"\n")
    args = ["spin", str(src), "--jsonl", "--seed", "4", "--rate", "0.6", "--table", str(TABLE)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1  # bad records, no --skip-bad
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in out] == [1, 3, 5]
    assert out[1]["tags"] == ["a", {"b": None}]  # the record is kept as read
    lexicon = load_table(TABLE)
    for record, line in zip(out, (1, 4, 6), strict=True):
        want = Spinner(lexicon, rate=0.6, seed=4).spin(record["text"], doc=line)  # doc = the record's line
        assert from_dict(record["spun"]) == want
        assert unspin(want) == record["text"]
    assert f"{src}:2: text field 'text' is missing" in result.stderr
    assert f"{src}:3: malformed JSON" in result.stderr
    assert f"{src}:5: text is empty" in result.stderr
    assert "spun 3 records, rejected 3" in result.stderr
    again = CliRunner().invoke(cli, [*args, "--skip-bad"])
    assert again.exit_code == 0 and again.stdout == result.stdout  # seeded: a rerun is identical


def test_spin_jsonl_reads_stdin_and_names_it_in_rejects() -> None:
    data = b"\n".join([RECORDS[0], RECORDS[2]]) + b"\n"
    result = CliRunner().invoke(cli, ["spin", "-", "--jsonl", "--table", str(TABLE), "--skip-bad"], input=data)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 and "<stdin>:2: malformed JSON" in result.stderr


def test_spin_jsonl_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(cli, ["spin", "-", "--jsonl", "--json"], input=b"{}\n")
    assert both.exit_code == 2 and "exclusive" in both.output
    missing = runner.invoke(cli, ["spin", str(tmp_path / "nope.jsonl"), "--jsonl"])
    assert missing.exit_code == 2 and "no such file" in missing.output


# --------------------------------------------------------------------------- SpinOptions: one signature


def test_every_spin_option_is_a_flag_and_the_api_takes_the_dataclass_or_keywords() -> None:
    from dataclasses import fields

    from despin import api
    from despin.api import SpinOptions
    from despin.cli.spin import spin_command

    flags = {p.name for p in spin_command.params}
    assert {f.name for f in fields(SpinOptions)} <= flags
    opts = SpinOptions(rate=0.7, seed=5, mode="deterministic", footer=False, wrong_sense=0.1)
    lexicon = load_table(TABLE)
    assert api.spin(TEXT, opts, table=lexicon) == api.spin(
        TEXT, table=lexicon, rate=0.7, seed=5, mode="deterministic", footer=False, wrong_sense=0.1
    )
    assert api.spin(TEXT, opts, table=lexicon, seed=6) != api.spin(TEXT, opts, table=lexicon)  # keywords override
    with pytest.raises(TypeError, match="unknown spin option"):
        api.spin(TEXT, table=lexicon, rates=0.3)
    result = CliRunner().invoke(
        cli,
        ["spin", "-", "--table", str(TABLE), "--rate", "0.7", "--seed", "5", "--mode", "deterministic"]
        + ["--no-footer", "--wrong-sense", "0.1", "--json"],
        input=TEXT,
    )
    assert result.exit_code == 0, result.output
    assert from_dict(json.loads(result.output)) == api.spin(TEXT, opts, table=lexicon)
