"""``despin learn --unsupervised`` end to end: pages in, a table ``despin restore --table`` reads, one JSON line out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
from test_tables_decipher import farm  # noqa: E402

from despin.api import load_table  # noqa: E402
from despin.cli import cli  # noqa: E402


def test_learn_unsupervised_writes_a_table_and_a_report(tmp_path: Path) -> None:
    pages = tmp_path / "site.jsonl"
    lines = [json.dumps({"url": f"https://farm.example/{i}", "body": t}) for i, t in enumerate(farm())]
    pages.write_text("\n".join([*lines, "{broken"]) + "\n", encoding="utf-8")
    out, report = tmp_path / "site.tsv", tmp_path / "site.html"
    args = ["learn", "--unsupervised", str(pages), "--text-field", "body", "-o", str(out), "--report", str(report)]
    res = CliRunner().invoke(cli, [*args, "--skip-bad"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["pages"] == 60 and summary["rejected"] == 1 and summary["is_spun"] is True
    assert summary["entries"] >= 3 and summary["output"] == str(out)
    assert set(summary) >= {"pages", "words", "entries", "spun_score", "is_spun", "output", "seconds"}
    assert load_table(out).originals("bagi") == {"untuk": 1.0}
    assert isinstance(summary["pages_flagged"], int) and 0 <= summary["pages_flagged"] <= 60
    assert "[bagi -&gt; untuk]" in report.read_text(encoding="utf-8")
    assert f"The page detector flags {summary['pages_flagged']} of the pages." in report.read_text(encoding="utf-8")
    # without --skip-bad the broken record makes the command fail, after writing the table
    assert CliRunner().invoke(cli, args).exit_code == 1


def test_pair_mode_still_needs_pairs(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"spun": "Kediaman itu agung.", "source": "Rumah itu besar."}) + "\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["learn", str(pairs), "-o", str(tmp_path / "t.tsv")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["entries"] == 2
