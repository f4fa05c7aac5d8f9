"""``despin dedup`` end to end: a crawl of outlets, a content farm, a mirror and a quoting blog.

The corpus is held-out news (IndoSum's test split, which the LM never saw) on three outlet hosts;
a farm publishes spun copies of some of their pages (a spinner using half A of the model lexicon,
as an unseen table would) and spun pages whose sources are not in the crawl; a mirror republishes
four pages verbatim; a blog quotes two sentences of an outlet page inside its own text. Two shards
(JSONL and gzip JSONL), with a malformed line, a blank text and a record without a URL.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from job_helpers import despin_cmd, kill_when, output_bytes, read_jsonl, write_two_shards

import despin
from despin.batch.dedup import dedup
from despin.cli import cli
from despin.duplicates import DedupOptions
from despin.errors import ConfigError
from despin.model.bundle import DEFAULT_PATH
from despin.spinner import Spinner
from despin.training.corpora import default_data_dir
from despin.training.splits import split_of

DATA = default_data_dir() / "corpus" / "indosum_dev.jsonl.gz"
N_OUTLET, N_COPIED, N_UNSOURCED, N_MIRROR = 24, 10, 6, 4

pytestmark = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)


@lru_cache(maxsize=1)
def articles() -> tuple[tuple[str, str], ...]:
    """(id, text) of held-out news, in id order."""
    if not DATA.is_file():
        pytest.skip(f"no corpus at {DATA}")
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return tuple(sorted((r["id"], r["text"]) for r in rows if split_of("indosum_dev", r) == "test"))


def records() -> list[dict[str, Any]]:
    arts = articles()
    outlets = arts[:N_OUTLET]
    half_a, _ = despin.load_model().lexicon.split(seed=0)
    spinner = Spinner(half_a, rate=0.3, seed=4, mode="deterministic", capitalize=0.3, repeat=0.02, footer=True)
    recs: list[dict[str, Any]] = []
    for i, (doc_id, text) in enumerate(outlets):
        recs.append({"id": doc_id, "url": f"https://www.outlet{i % 3}.example/berita/{i}", "text": text})
    for i, (_, text) in enumerate(outlets[:N_COPIED]):
        recs.append({"id": f"farm-{i}", "url": f"http://farm.example/p/{i}", "text": spinner.spin(text, doc=i).text})
    for i, (_, text) in enumerate(arts[100 : 100 + N_UNSOURCED]):
        recs.append(
            {"id": f"farm-own-{i}", "url": f"http://farm.example/q/{i}", "text": spinner.spin(text, doc=50 + i).text}
        )
    for i, (_, text) in enumerate(outlets[N_COPIED : N_COPIED + N_MIRROR]):
        recs.append({"id": f"mirror-{i}", "url": f"https://mirror.example/{i}", "text": text})
    quoted = outlets[20][1].split(". ")
    blog = f"{arts[200][1]}\n\nSeperti diberitakan, {quoted[1]}. {quoted[2]}. Demikian kata mereka."
    recs.append({"id": "blog-0", "url": "https://blog.example/0", "text": blog})
    return recs


def make_corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records()]
    a, b = lines[0::2], lines[1::2]
    a.insert(4, b'{"id": "broken", "text": ')
    a.append(json.dumps({"id": "blank", "url": "https://x.example/1", "text": "  "}).encode())
    b.insert(3, json.dumps({"id": "no-url", "text": articles()[300][1]}, ensure_ascii=False).encode())
    return write_two_shards(root, a, b)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("dedup") / "in")


@pytest.fixture(scope="module")
def reference(corpus: Path) -> Iterator[tuple[Path, Any]]:
    out = corpus.parent / "ref"
    yield out, dedup(corpus, out, progress=False)


def _records(out: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for name in ("a.jsonl", "b.jsonl.gz") for r in read_jsonl(out / name)}


def test_copies_are_linked_to_their_sources(reference: tuple[Path, Any]) -> None:
    out, _ = reference
    recs = _records(out)
    outlets = articles()[:N_OUTLET]
    for i in range(N_COPIED):
        d = recs[f"farm-{i}"]["despin"]
        assert (d["copy_of"], d["relation"], d["is_spun"]) == (outlets[i][0], "spun", True)
        assert d["cluster"] == outlets[i][0] and d["coverage"] >= 0.6 and d["substitutions"]
        sub = d["substitutions"][0]
        text = recs[f"farm-{i}"]["text"]
        assert text[sub["spun_start"] : sub["spun_end"]] == sub["spun"]
        assert recs[outlets[i][0]]["despin"]["cluster"] == outlets[i][0]
        assert recs[outlets[i][0]]["despin"]["copy_of"] is None
    for i in range(N_MIRROR):
        d = recs[f"mirror-{i}"]["despin"]
        assert (d["copy_of"], d["relation"], d["is_spun"]) == (outlets[N_COPIED + i][0], "near_duplicate", False)
        assert d["substitutions"] == [] and d["coverage"] == 1.0
    # A page quoting two sentences is no copy; an outlet page nobody copied is unique.
    for rid in ("blog-0", outlets[20][0], "no-url"):
        d = recs[rid]["despin"]
        assert (d["cluster"], d["copy_of"], d["relation"], d["spun_score"], d["is_spun"]) == (
            None,
            None,
            None,
            None,
            False,
        )


def test_sites_farm_table_and_pages_without_source(reference: tuple[Path, Any]) -> None:
    out, _ = reference
    hosts = {h["host"]: h for h in read_jsonl(out / "hosts.jsonl")}
    assert sorted(hosts) == [
        "blog.example",
        "farm.example",
        "mirror.example",
        *[f"outlet{i}.example" for i in range(3)],
    ]
    farm = hosts["farm.example"]
    assert (farm["pages"], farm["copies"], farm["spun_copies"], farm["is_farm"]) == (
        N_COPIED + N_UNSOURCED,
        N_COPIED,
        N_COPIED,
        True,
    )
    assert farm["sources"] == ["outlet0.example", "outlet1.example", "outlet2.example"]
    rows = [line.split("\t") for line in (out / farm["table"]).read_text().splitlines() if not line.startswith("#")]
    assert len(rows) >= 20 and all(len(r) == 4 for r in rows)
    mirror = hosts["mirror.example"]
    assert (mirror["copies"], mirror["spun_copies"], mirror["is_farm"], mirror["table"]) == (N_MIRROR, 0, False, None)
    for i in range(3):
        h = hosts[f"outlet{i}.example"]
        assert (h["copies"], h["is_farm"], h["sources"]) == (0, False, [])
    assert not hosts["blog.example"]["is_farm"]
    recs = _records(out)
    own = [recs[f"farm-own-{i}"]["despin"] for i in range(N_UNSOURCED)]
    assert all(d["copy_of"] is None and d["spun_score"] is not None for d in own)
    assert sum(d["is_spun"] for d in own) >= N_UNSOURCED - 1  # scored with the farm's learned table


def test_counts_add_up_and_keep_sources_drops_the_copies(corpus: Path, reference: tuple[Path, Any]) -> None:
    out, stats = reference
    d = json.loads((out / "stats.json").read_text())
    n_good = N_OUTLET + N_COPIED + N_UNSOURCED + N_MIRROR + 2
    assert (d["input"], d["output"], d["filtered"], d["rejected"], d["balanced"]) == (n_good + 2, n_good, 0, 2, True)
    assert d["reject_reasons"] == {"blank_text": 1, "malformed_json": 1}
    assert (d["copies"], d["spun_copies"], d["near_duplicates"]) == (N_COPIED + N_MIRROR, N_COPIED, N_MIRROR)
    assert [json.loads(line)["reason"] for line in (out / "rejects" / "a.jsonl").read_text().splitlines()] == [
        "malformed_json",
        "blank_text",
    ]
    kept = corpus.parent / "kept"
    res = CliRunner().invoke(cli, ["dedup", str(corpus), "-o", str(kept), "--keep", "sources"])
    assert res.exit_code == 0, res.output
    k = json.loads((kept / "stats.json").read_text())
    assert (k["output"], k["filtered"], k["balanced"]) == (n_good - N_COPIED - N_MIRROR, N_COPIED + N_MIRROR, True)
    ids = set(_records(kept))
    assert not any(i.startswith(("farm-", "mirror-")) for i in ids - {f"farm-own-{j}" for j in range(N_UNSOURCED)})
    assert {a for a, _ in articles()[:N_OUTLET]} <= ids


def test_two_workers_and_a_rerun_write_the_same_bytes(corpus: Path, reference: tuple[Path, Any]) -> None:
    out = corpus.parent / "two"
    dedup(corpus, out, workers=2, progress=False)
    assert output_bytes(out) == output_bytes(reference[0])
    again = dedup(corpus, out, workers=2, progress=False)
    assert len(again.skipped) == 2 and output_bytes(out) == output_bytes(reference[0])
    with pytest.raises(ConfigError, match="other options"):
        dedup(corpus, out, options=DedupOptions(min_coverage=0.7), progress=False)


def _cmd(corpus: Path, out: Path, *extra: str) -> list[str]:
    return despin_cmd("dedup", corpus, "-o", out, *extra)


@pytest.mark.slow
def test_sigkill_in_every_stage_then_rerun_gives_identical_outputs(corpus: Path, reference: tuple[Path, Any]) -> None:
    out = corpus.parent / "killed"

    def done(stage: str) -> int:
        folder = out / "dedup" / stage if stage else out
        return len(list((folder / "completions").glob("*")))

    kills = 0
    for stage, at, extra in (
        ("sign", 1, []),
        ("buckets", 3, ["--workers", "2"]),
        ("verify", 1, []),
        ("link", 1, []),
        ("", 1, []),
    ):
        kills += kill_when(_cmd(corpus, out, *extra), partial(done, stage), at, timeout=120, poll=0.002)
    assert kills >= 3
    final = subprocess.run(_cmd(corpus, out), capture_output=True, timeout=300, text=True)
    assert final.returncode == 0, final.stderr
    assert output_bytes(out) == output_bytes(reference[0])
    assert not list(out.rglob("*.tmp-*"))


@pytest.mark.ray
def test_ray_writes_the_same_bytes_as_the_local_executor(
    ray_cluster: None, corpus: Path, reference: tuple[Path, Any]
) -> None:
    out = corpus.parent / "ray"
    stats = dedup(corpus, out, executor="ray", workers=2, progress=False)
    assert stats.executor == "ray"
    assert output_bytes(out) == output_bytes(reference[0])
    assert json.loads((out / "stats.json").read_text())["balanced"]


def test_parquet_in_parquet_out_and_usage_errors(tmp_path: Path) -> None:
    recs = records()[:N_OUTLET] + records()[N_OUTLET : N_OUTLET + 4]
    src = tmp_path / "in" / "part.parquet"
    src.parent.mkdir()
    pq.write_table(pa.Table.from_pylist(recs), src, compression="zstd")
    res = CliRunner().invoke(cli, ["dedup", str(src.parent), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    table = pq.read_table(tmp_path / "o" / "part.parquet")
    assert table.column_names == ["id", "url", "text", "despin"]
    assert pq.ParquetFile(tmp_path / "o" / "part.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    rows = {r["id"]: r["despin"] for r in table.to_pylist()}
    assert rows["farm-0"]["copy_of"] == recs[0]["id"] and rows["farm-0"]["relation"] == "spun"
    res = CliRunner().invoke(cli, ["dedup", str(src.parent), "-o", str(tmp_path / "p"), "--ray-address", "auto"])
    assert res.exit_code == 2 and "--executor ray" in res.output
    res = CliRunner().invoke(cli, ["dedup", str(src.parent), "-o", str(src.parent)])
    assert res.exit_code == 1 and "inside the output directory" in res.output
