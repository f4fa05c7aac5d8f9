"""``despin spin`` end to end: CliRunner and a real subprocess, checked through the Python API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from despin.api import load_table
from despin.cli import cli
from despin.spinner import spin, unspin
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
