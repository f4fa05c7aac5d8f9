"""``despin scan --index``: every document gets the sources ``despin.api.trace`` finds for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from despin import api
from despin.cli import cli
from despin.model.bundle import DEFAULT_PATH

NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"
pytestmark = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)


def test_scan_with_an_index_adds_the_trace_matches(tmp_path: Path) -> None:
    from despin.tracer import Index

    rows: list[dict[str, Any]] = [json.loads(x) for x in NEWS.read_text(encoding="utf-8").splitlines()]
    index_path = tmp_path / "sources.db"
    with Index.create(index_path) as ix:
        ix.add(sorted((r["id"], r["text"]) for r in rows if r["kind"] == "source"))
    spun = [r for r in rows if r["kind"] == "spun"]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "spun.jsonl").write_text("".join(json.dumps(r) + "\n" for r in spun), encoding="utf-8")

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "in"), "-o", str(out), "--index", str(index_path)])
    assert result.exit_code == 0, result.output

    records = [json.loads(x) for x in (out / "spun.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(spun) == 16
    with Index.open(index_path) as ix:
        for rec in records:
            assert rec["despin"]["sources"] == api.trace(rec["text"], index=ix).to_dict()["matches"]
    found = sum(
        bool(r["despin"]["sources"]) and r["despin"]["sources"][0]["source_id"] == r["source_id"] for r in records
    )
    assert found >= 14  # spun copies trace back to the article they were made from
    stats = json.loads((out / "stats.json").read_text())
    assert stats["total"]["counts"]["traced"] == 16
