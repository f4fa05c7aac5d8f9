"""fsspec paths (issue 17, item 6): ``scan``, ``index add`` and ``learn`` read and write URLs such as
``s3://`` or ``gs://``. Tested against two real fsspec filesystems that need no network: ``memory://``
(an object store in this process: whole-object writes, moves are copies) and ``file://``. The outputs are
the very bytes of a local run, reruns resume from the markers on the store, and rejects are published."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import despin
from despin.cli import cli
from despin.errors import ConfigError, InputError, MissingDependencyError
from despin.pipeline import find_shards
from despin.pipeline.fs import is_remote, url_fs

NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"
MEM = fsspec.filesystem("memory")


@pytest.fixture
def root() -> str:
    """A fresh directory of the in-process memory filesystem."""
    name = f"/t-{uuid.uuid4().hex[:8]}"
    yield name
    if MEM.exists(name):
        MEM.rm(name, recursive=True)


def shards_bytes() -> dict[str, bytes]:
    lines = NEWS.read_bytes().splitlines(keepends=True)
    return {
        "news/a.jsonl": b"".join(lines[:10]) + b'{"id": "bad", "text": \n',
        "news/b.jsonl.gz": gzip.compress(b"".join(lines[10:20]), mtime=0),
        "c.jsonl": b"".join(lines[20:]),
        ".hidden.jsonl": b"{}\n",  # hidden files are not shards, here as locally
    }


def put(base: Path | str, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        if isinstance(base, Path):
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_bytes(data)
        else:
            MEM.pipe(f"{base}/{name}", data)


def tree(base: Path | str) -> dict[str, bytes]:
    """Every output file but the per-run ones (stats, markers, job file), by relative name."""
    skip = ("stats/", "completions/", "stats.json", "job.json")
    if isinstance(base, Path):
        files = {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}
    else:
        files = {f[len(base) + 1 :]: MEM.cat(f) for f in MEM.find(base)}
    return {k: v for k, v in files.items() if not k.startswith(skip)}


def test_scan_from_and_to_memory_gives_the_local_bytes_and_resumes(tmp_path: Path, root: str) -> None:
    put(tmp_path / "in", shards_bytes())
    put(f"{root}/in", shards_bytes())
    local = despin.scan(tmp_path / "in", tmp_path / "out", restore=True, progress=False)
    remote = despin.scan(f"memory://{root}/in", f"memory://{root}/out", restore=True, progress=False)
    assert remote.to_dict()["input"] == local.to_dict()["input"] == 25
    assert remote.to_dict()["rejected"] == 1 and remote.out_dir == f"memory://{root}/out"
    assert tree(f"{root}/out") == tree(tmp_path / "out")  # outputs and rejects, byte for byte
    assert "rejects/news/a.jsonl" in tree(f"{root}/out")
    assert not [f for f in MEM.find(root) if ".tmp-" in f]  # every object was moved into place
    marker = json.loads(MEM.cat(f"{root}/out/completions/c"))
    assert "version" in marker and marker["size"] == len(shards_bytes()["c.jsonl"])
    # A rerun skips every shard whose marker is on the store...
    again = despin.scan(f"memory://{root}/in", f"memory://{root}/out", restore=True, progress=False)
    assert sorted(again.skipped) == ["c", "news/a", "news/b"]
    # ... and redoes a shard whose marker is gone (as if the run had died before publishing it).
    MEM.rm(f"{root}/out/completions/news/b")
    MEM.rm(f"{root}/out/news/b.jsonl.gz")
    redo = despin.scan(f"memory://{root}/in", f"memory://{root}/out", restore=True, progress=False)
    assert sorted(redo.skipped) == ["c", "news/a"]
    assert tree(f"{root}/out") == tree(tmp_path / "out")
    # The job file on the store guards the options, as a local one does.
    with pytest.raises(ConfigError, match="made with other options"):
        despin.scan(f"memory://{root}/in", f"memory://{root}/out", progress=False)


def test_a_fixed_shard_loses_its_old_rejects_on_the_store(root: str) -> None:
    good = NEWS.read_bytes().splitlines(keepends=True)[0]
    MEM.pipe(f"{root}/in/a.jsonl", good + b"{broken\n")
    despin.scan(f"memory://{root}/in", f"memory://{root}/out", progress=False)
    assert MEM.exists(f"{root}/out/rejects/a.jsonl")
    MEM.pipe(f"{root}/in/a.jsonl", good)  # fixed: a new version, so the shard is redone
    stats = despin.scan(f"memory://{root}/in", f"memory://{root}/out", progress=False)
    assert stats.skipped == () and stats.to_dict()["rejected"] == 0
    assert not MEM.exists(f"{root}/out/rejects/a.jsonl")


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    put(tmp_path / "in", shards_bytes())
    local = despin.scan(tmp_path / "in", tmp_path / "out", progress=False)
    url = despin.scan((tmp_path / "in").as_uri(), (tmp_path / "out2").as_uri(), progress=False)
    assert url.to_dict()["output"] == local.to_dict()["output"]
    assert tree(tmp_path / "out2") == tree(tmp_path / "out")
    assert not is_remote((tmp_path / "x").as_uri())


def test_parquet_shards_on_the_store(tmp_path: Path, root: str) -> None:
    rows = [json.loads(line) for line in NEWS.read_text(encoding="utf-8").splitlines()[:6]]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p.parquet")
    MEM.pipe(f"{root}/in/p.parquet", (tmp_path / "p.parquet").read_bytes())
    local = despin.scan(tmp_path / "p.parquet", tmp_path / "out", progress=False)
    remote = despin.scan(f"memory://{root}/in/p.parquet", f"memory://{root}/out", progress=False)
    assert remote.to_dict()["output"] == local.to_dict()["output"] == 6
    assert MEM.cat(f"{root}/out/p.parquet") == (tmp_path / "out" / "p.parquet").read_bytes()


def test_listing_a_directory_url_names_shards_by_relative_path(root: str) -> None:
    put(f"{root}/in", shards_bytes())
    shards = find_shards([f"memory://{root}/in"])
    assert [s.name for s in shards] == ["c.jsonl", "news/a.jsonl", "news/b.jsonl.gz"]
    assert all(s.path.startswith("memory://") for s in shards)
    with pytest.raises(InputError, match="no such file or directory"):
        find_shards([f"memory://{root}/nothing"])


def test_the_cli_reads_and_writes_urls(tmp_path: Path, root: str) -> None:
    put(f"{root}/in", shards_bytes())
    runner = CliRunner()
    res = runner.invoke(cli, ["scan", f"memory://{root}/in", "-o", f"memory://{root}/out", "--filter", "spun"])
    assert res.exit_code == 0, res.output
    assert f"into memory://{root}/out" in res.output and f"memory://{root}/out/rejects" in res.output
    # index add: records from the store into a local SQLite index.
    MEM.pipe(f"{root}/refs.jsonl", NEWS.read_bytes())
    add = runner.invoke(cli, ["index", "add", "--index", str(tmp_path / "refs.db"), f"memory://{root}/refs.jsonl"])
    assert add.exit_code == 0 and json.loads(add.output)["added"] == 24
    # learn: pairs from the store, the table to the store; an output that is its input is refused.
    pair = {"spun": "Kediaman itu agung.", "source": "Rumah itu besar."}
    MEM.pipe(f"{root}/pairs.jsonl", (json.dumps(pair) + "\n").encode())
    learn = runner.invoke(cli, ["learn", f"memory://{root}/pairs.jsonl", "-o", f"memory://{root}/t/table.tsv"])
    assert learn.exit_code == 0, learn.output
    assert MEM.cat(f"{root}/t/table.tsv").decode().splitlines()[2:] == [
        "agung\tbesar\t1\t1.0000",
        "kediaman\trumah\t1\t1.0000",
    ]
    same = runner.invoke(cli, ["learn", f"memory://{root}/pairs.jsonl", "-o", f"memory://{root}/pairs.jsonl"])
    assert same.exit_code == 1 and "is also an input" in same.output
    site = runner.invoke(
        cli,
        ["learn", "--unsupervised", f"memory://{root}/refs.jsonl", "-o", f"memory://{root}/s.tsv"]
        + ["--report", f"memory://{root}/s.md"],
    )
    assert site.exit_code == 0, site.output
    assert {f"{root}/s.tsv", f"{root}/s.md", f"{root}/s.svg"} <= set(MEM.find(root))
    assert "Legend" in MEM.cat(f"{root}/s.svg").decode()


def test_missing_inputs_and_backends_are_clear(tmp_path: Path) -> None:
    runner = CliRunner()
    local = runner.invoke(cli, ["scan", str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    assert local.exit_code == 2 and "does not exist" in local.output  # a usage error, as before
    remote = runner.invoke(cli, ["scan", "memory://nothing-here/x", "-o", str(tmp_path / "out")])
    assert remote.exit_code == 1 and "no such file or directory" in remote.output
    with pytest.raises(MissingDependencyError, match=r"pip install (gcsfs|s3fs)"):
        url_fs("gs://bucket/x" if not _has("gcsfs") else "s3://bucket/x")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
