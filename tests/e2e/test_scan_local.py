"""``despin scan`` end to end on the local executor, checked through the Python API.

The corpus is tests/data/scan/news.jsonl (8 hand-written news paragraphs and 2 spun copies of
each), split into a JSONL, a JSONL.gz and a Parquet shard, plus a shard of bad records.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from job_helpers import despin_cmd, kill_when, output_bytes

from despin import api
from despin.batch import scan
from despin.cli import cli
from despin.errors import MissingDependencyError
from despin.executor import LocalExecutor, PipelineJob
from despin.model.bundle import DEFAULT_PATH
from despin.pipeline import DetectStep, JsonlReader, JsonlWriter, RejectWriter

NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"
REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)

BAD = [
    b'{"id": "ok-1", "text": "Harga beras di pasar naik lagi pekan ini."}',
    b"{broken json",
    b"[1, 2, 3]",
    b'{"id": "no-text"}',
    b'{"id": "num", "text": 12}',
    b'{"id": "latin1", "text": "caf\xe9"}',
    b'{"id": "blank", "text": "  "}',
    b'{"id": "ok-2", "text": "Petani kopi berharap harga tetap stabil."}',
]


def news() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NEWS.read_text(encoding="utf-8").splitlines()]


def make_corpus(root: Path) -> Path:
    """in/news-a.jsonl, in/part/news-b.jsonl.gz, in/news-c.parquet (8 docs each) and in/bad.jsonl."""
    rows = news()
    root.mkdir(parents=True, exist_ok=True)
    (root / "part").mkdir(exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows]
    (root / "news-a.jsonl").write_bytes(b"".join(lines[0:8]))
    (root / "part" / "news-b.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[8:16]), mtime=0))
    pq.write_table(pa.Table.from_pylist(rows[16:24]), root / "news-c.parquet", compression="zstd")
    (root / "bad.jsonl").write_bytes(b"\n".join(BAD) + b"\n")
    return root


def read_output(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        return list(pq.read_table(path).to_pylist())
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in data.decode().splitlines()]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return make_corpus(tmp_path / "in")


def test_cli_scan_annotates_every_record_like_the_api(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "input 32 = output 26 + filtered 0 + rejected 6" in result.stderr

    model = api.load_model()
    by_id = {r["id"]: r for r in news()}
    for name in ["news-a.jsonl", "part/news-b.jsonl.gz", "news-c.parquet"]:
        records = read_output(out / name)
        assert len(records) == 8
        for rec in records:
            despin = rec.pop("despin")
            assert rec == by_id[rec["id"]]  # the input record, unchanged
            assert despin == api.detect(rec["text"], model=model).to_dict()
    assert [r["id"] for r in read_output(out / "bad.jsonl")] == ["ok-1", "ok-2"]

    rejects = [json.loads(x) for x in (out / "rejects" / "bad.jsonl").read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (2, "malformed_json"),
        (3, "not_object"),
        (4, "missing_text"),
        (5, "text_not_string"),
        (6, "invalid_utf8"),
        (7, "blank_text"),
    ]
    assert not (out / "rejects" / "news-a.jsonl").exists()

    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["output"], stats["filtered"], stats["rejected"]) == (32, 26, 0, 6)
    assert stats["input"] == stats["output"] + stats["filtered"] + stats["rejected"]
    assert stats["shards"]["bad"]["rejected"] == 6 and stats["shards"]["part/news-b"]["output"] == 8
    flagged = sum(api.detect(r["text"], model=model).is_spun for r in news()) + sum(
        api.detect(t, model=model).is_spun
        for t in ["Harga beras di pasar naik lagi pekan ini.", "Petani kopi berharap harga tetap stabil."]
    )
    assert stats["flagged"] == flagged and stats["share_flagged"] == round(flagged / 26, 4)
    assert stats["docs_per_second"] > 0
    for shard in ["news-a", "part/news-b", "news-c", "bad"]:
        assert (out / "completions" / shard).is_file() and (out / "stats" / f"{shard}.json").is_file()
    assert not list(out.rglob("*.tmp-*"))


def test_restore_adds_restored_and_edits_and_detects_once(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stats = scan(corpus / "news-a.jsonl", out, restore=True, progress=False)
    model = api.load_model()
    for rec in read_output(out / "news-a.jsonl"):
        res = api.restore(rec["text"], model=model)
        assert rec["despin"] == {
            **res.detection.to_dict(),
            "restored": res.text,
            "edits": [e.to_dict() for e in res.edits],
        }
    assert stats.total.timers.get("detect") is None and stats.total.timers["restore"] > 0
    assert stats.total.counts["scored"] == 8


def test_filter_and_min_score_count_what_they_drop(corpus: Path, tmp_path: Path) -> None:
    model = api.load_model()
    scores = {r["id"]: api.detect(r["text"], model=model).to_dict() for r in news()[:8]}
    cut = sorted(d["spun_score"] for d in scores.values())[4]  # filters compare the written, rounded score
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["scan", str(corpus / "news-a.jsonl"), "-o", str(out), "--filter", "spun", "--min-score", str(cut)],
    )
    assert result.exit_code == 0, result.output
    kept = [r["id"] for r in read_output(out / "news-a.jsonl")]
    assert kept == [i for i, d in scores.items() if d["is_spun"] and d["spun_score"] >= cut]
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["output"], stats["filtered"]) == (len(kept), 8 - len(kept))

    clean = tmp_path / "clean"
    scan(corpus / "news-a.jsonl", clean, keep="clean", progress=False)
    assert [r["id"] for r in read_output(clean / "news-a.jsonl")] == [i for i, d in scores.items() if not d["is_spun"]]


def test_rerun_skips_completed_shards_and_redoes_the_rest(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = scan(corpus, out, progress=False)
    reference = output_bytes(out)
    assert first.skipped == ()
    (out / "completions" / "news-c").unlink()
    (out / "news-c.parquet").write_bytes(b"half-written garbage")
    second = scan(corpus, out, progress=False)
    assert sorted(second.skipped) == ["bad", "news-a", "part/news-b"]
    assert second.docs_this_run == 8
    assert output_bytes(out) == reference
    assert second.to_dict()["input"] == first.to_dict()["input"] == 32

    # a changed input shard is redone even though its marker exists
    (corpus / "news-a.jsonl").write_bytes((corpus / "news-a.jsonl").read_bytes()[:-1] + b"\n")
    os.utime(corpus / "news-a.jsonl", ns=(1, 1))
    third = scan(corpus, out, progress=False)
    assert "news-a" not in third.skipped


def test_rerun_with_other_options_is_refused(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    scan(corpus / "bad.jsonl", out, progress=False)
    result = CliRunner().invoke(cli, ["scan", str(corpus / "bad.jsonl"), "-o", str(out), "--restore"])
    assert result.exit_code == 1
    assert "holds a scan made with other options (differs in: restore)" in result.output


def test_usage_errors(corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(tmp_path / "o"), "--ray-address", "auto"])
    assert result.exit_code == 2 and "--ray-address needs --executor ray" in result.output
    result = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(tmp_path / "o"), "--workers", "0"])
    assert result.exit_code == 2


def test_two_workers_write_the_same_bytes_as_one(corpus: Path, tmp_path: Path) -> None:
    one = scan(corpus, tmp_path / "one", workers=1, progress=False)
    two = scan(corpus, tmp_path / "two", workers=2, progress=False)
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")
    assert one.to_dict()["shards"].keys() == two.to_dict()["shards"].keys()
    # each worker process loaded the model once: its peak memory is recorded per shard
    assert all(s.gauges["peak_rss_mb"] > 50 for s in two.shards.values())


def _scan_cmd(corpus: Path, out: Path, *extra: str) -> list[str]:
    return despin_cmd("scan", corpus, "-o", out, "--restore", *extra)


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_gives_identical_outputs(tmp_path: Path) -> None:
    # Six small shards, so that kills land before, between and inside shards.
    corpus = tmp_path / "in"
    corpus.mkdir()
    lines = NEWS.read_bytes().splitlines(keepends=True)
    for i in range(6):
        data = b"".join(lines[i * 4 : i * 4 + 4])
        if i % 2:
            (corpus / f"s{i}.jsonl.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (corpus / f"s{i}.jsonl").write_bytes(data + BAD[1] + b"\n")
    t0 = time.monotonic()
    scan(corpus, tmp_path / "ref", restore=True, progress=False)  # the uninterrupted run
    # Kills wait a random part of one shard's time after a marker, so they land inside the job
    # however fast this machine scans (a fixed delay let fast machines finish first).
    per_shard = (time.monotonic() - t0) / 6
    reference = output_bytes(tmp_path / "ref")

    def markers() -> int:
        return len(list((out / "completions").glob("*")))

    rng = random.Random(5)
    out = tmp_path / "out"
    kills = 0
    for attempt in range(3):
        target = markers() + rng.randint(0, 2)  # let 0-2 more shards finish, then a random moment
        workers = ["--workers", "2"] if attempt == 1 else []
        delay = rng.uniform(0.0, 0.5 * per_shard)
        kills += kill_when(_scan_cmd(corpus, out, *workers), markers, target, timeout=60, poll=0.01, delay=delay)
    final = subprocess.run(_scan_cmd(corpus, out), capture_output=True, timeout=120, text=True)
    assert final.returncode == 0, final.stderr
    assert kills >= 2
    assert output_bytes(out) == reference
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["output"], stats["rejected"]) == (27, 24, 3)
    assert not list(out.rglob("*.tmp-*"))
    ids = [r["id"] for name in sorted(reference) if not name.startswith("rejects/") for r in read_output(out / name)]
    assert Counter(ids) == Counter(r["id"] for r in news())  # no duplicates, nothing lost


def test_pipeline_job_gives_the_same_documents_with_1_or_4_tasks(corpus: Path, tmp_path: Path) -> None:
    shards = [corpus / "news-a.jsonl", corpus / "part" / "news-b.jsonl.gz", corpus / "bad.jsonl"]
    seen = {}
    for tasks in (1, 4):
        out = tmp_path / f"t{tasks}"
        rejects = RejectWriter(out / "rejects")
        job = PipelineJob(
            [JsonlReader(shards, rejects=rejects), DetectStep(rejects=rejects), JsonlWriter(out / "data")],
            tasks=tasks,
            logging_dir=out / "logs",
        )
        results = LocalExecutor().run(job)
        assert [r.task_id for r in results] == [f"{i:05d}" for i in range(tasks)]
        seen[tasks] = Counter(
            json.dumps(r, sort_keys=True) for p in sorted((out / "data").rglob("*.jsonl*")) for r in read_output(p)
        )
        assert sum(r.stats.counts["rejected"] for r in results) == 6
    assert seen[1] == seen[4] and sum(seen[1].values()) == 18
    assert (tmp_path / "t4" / "logs" / "completions" / "00003").is_file()
    assert json.loads((tmp_path / "t4" / "logs" / "stats" / "00003.json").read_text())["counts"]["input"] == 0


def test_missing_ray_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch, corpus: Path, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees when ray is not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'despin\[ray\]'"):
        scan(corpus, tmp_path / "out", executor="ray", progress=False)
    result = CliRunner().invoke(cli, ["scan", str(corpus), "-o", str(tmp_path / "o"), "--executor", "ray"])
    assert result.exit_code == 1 and "pip install 'despin[ray]'" in result.output


def test_empty_shards_get_empty_outputs(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "empty.jsonl").write_bytes(b"")
    (corpus / "zero-bytes.jsonl.gz").write_bytes(b"")
    (corpus / "empty-member.jsonl.gz").write_bytes(gzip.compress(b""))
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), corpus / "none.parquet"
    )
    stats = scan(corpus, tmp_path / "out", progress=False)
    out = tmp_path / "out"
    assert stats.to_dict()["input"] == 0 and stats.to_dict()["rejected"] == 0
    assert (out / "empty.jsonl").read_bytes() == b""
    assert gzip.decompress((out / "zero-bytes.jsonl.gz").read_bytes()) == b""
    assert gzip.decompress((out / "empty-member.jsonl.gz").read_bytes()) == b""
    assert pq.read_table(out / "none.parquet").schema.names == ["id", "text", "despin"]
    assert not (out / "rejects").exists()
