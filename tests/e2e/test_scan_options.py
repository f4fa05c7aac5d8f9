"""``ScanOptions`` is the one signature of a scan (issue 17, item 7): the CLI's flags are made from its
fields, ``despin.scan`` takes it or keywords named like its fields, and both give the same bytes."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

import despin
from despin.batch.options import ScanOptions
from despin.cli import cli
from despin.errors import ConfigError

NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"


def test_every_documented_option_is_a_scan_flag() -> None:
    from despin.cli.scan import scan_command

    flags = {p.name for p in scan_command.params}
    documented = {f.name for f in fields(ScanOptions) if "help" in f.metadata}
    assert documented <= flags
    assert {"threshold", "top", "text_field", "group_by"} <= documented


def test_the_dataclass_and_keywords_are_one_scan(tmp_path: Path) -> None:
    src = tmp_path / "in" / "news.jsonl"
    src.parent.mkdir()
    src.write_bytes(NEWS.read_bytes())
    a = despin.scan(src, tmp_path / "a", ScanOptions(restore=True, threshold=0.2), progress=False)
    b = despin.scan(src, tmp_path / "b", restore=True, threshold=0.2, progress=False)
    c = CliRunner().invoke(cli, ["scan", str(src), "-o", str(tmp_path / "c"), "--restore", "--threshold", "0.2"])
    assert c.exit_code == 0, c.output
    assert a.to_dict()["input"] == b.to_dict()["input"] > 0
    outputs = [(tmp_path / d / "news.jsonl").read_bytes() for d in ("a", "b", "c")]
    assert outputs[0] == outputs[1] == outputs[2]
    jobs = [json.loads((tmp_path / d / "job.json").read_text()) for d in ("a", "b", "c")]
    assert jobs[0]["fingerprint"] == jobs[1]["fingerprint"] == jobs[2]["fingerprint"]
    assert jobs[0]["options"]["threshold"] == 0.2 and jobs[0]["options"]["restore"] is True
    assert any(json.loads(line)["despin"]["is_spun"] for line in outputs[0].splitlines())  # threshold 0.2 applied


def test_bad_options_fail_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown scan option"):
        despin.scan(NEWS, tmp_path / "x", restores=True)
    with pytest.raises(ConfigError, match="keep must be"):
        despin.scan(NEWS, tmp_path / "x", keep="all")
    with pytest.raises(ConfigError, match="top must be"):
        despin.scan(NEWS, tmp_path / "x", ScanOptions(), top=0)
    assert not (tmp_path / "x").exists()
