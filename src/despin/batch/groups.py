"""Grouped scans (``scan --group-by``): learn one spinner table per group (site), restore each page with its own.

A grouped scan runs three jobs, each of resumable tasks with completion markers and stats:

1. **keys**, one task per input shard: read the shard and append every good record's
   ``{"key", "line", "text"}`` to ``groups/<bucket>/<shard-id>.jsonl.gz``, where the bucket is
   ``sha256(key) mod group_tasks`` (records without a key are only counted). Markers and stats go
   to ``groups/completions/`` and ``groups/stats/``; ``groups/index/<shard-id>.json`` lists the
   buckets the shard wrote.
2. **tables**, one task per bucket: gather the bucket's pages from every shard (shard order, then
   line order, so every executor learns from the same list), learn each group's table with
   :func:`despin.learn_site` (a group under ``min_group_pages`` pages gets an empty table), and write
   ``tables/<safe key>.tsv`` (the ``despin restore --table`` format), ``tables/<safe key>.json`` (the
   evidence) and ``tables/buckets/<bucket>.json``. The driver then merges the buckets into
   ``groups.json``.
3. **scan**, one task per input shard: the ordinary scan, with :class:`GroupTableStep` detecting or
   restoring each record with its group's table; rejects are written here only, once.

Nothing a task writes depends on how many workers ran or which executor, so the outputs are
byte-identical between the local executor and Ray, and a killed job rerun gives the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from despin import api
from despin.batch.options import ScanOptions
from despin.batch.progress import ScanProgress
from despin.batch.shards import ShardTasks
from despin.errors import ConfigError
from despin.executor.base import Executor, marker_path
from despin.files import remove_stale, safe_name, write_atomic
from despin.pipeline.base import Shard
from despin.pipeline.readers import JsonlReader, ParquetReader, ProgressFn
from despin.pipeline.stats import Stat, Stats
from despin.pipeline.steps import GroupKey, ModelRef
from despin.pipeline.writers import ParquetWriter, _LineFile, _pyarrow
from despin.tables.table import SpinnerTable
from despin.textio import MAX_CHARS

# Output names a grouped scan adds beside the output shards.
GROUP_RESERVED = frozenset({"groups", "tables", "groups.json"})


def bucket_of(key: str, n: int) -> int:
    """The table-stage bucket of a group key (stable across processes, unlike ``hash``).

    Example:
        >>> bucket_of("kabar.example", 16) == bucket_of("kabar.example", 16) < 16
        True
    """
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


class GroupKeysJob(ShardTasks):
    """Stage 1: one task per input shard writes the shard's grouped pages into per-bucket files."""

    def __init__(self, shards: Sequence[Shard], out_dir: Path, options: ScanOptions) -> None:
        super().__init__(shards)
        self.options = options
        self.root = out_dir / "groups"
        self._fingerprint = options.fingerprint()

    @property
    def out_dir(self) -> Path:
        return self.root

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return self.shard_signature(task_id, self._fingerprint)

    def bucket_path(self, bucket: int, shard_id: str) -> Path:
        return self.root / f"{bucket:05d}" / f"{shard_id}.jsonl.gz"

    def index_path(self, shard_id: str) -> Path:
        return self.root / "index" / f"{shard_id}.json"

    def index(self, shard_id: str) -> dict[str, Any] | None:
        """What stage 1 wrote for a shard (buckets and record counts), or None if it has not."""
        try:
            data: dict[str, Any] = json.loads(self.index_path(shard_id).read_bytes())
        except (OSError, ValueError):
            return None
        return data

    def heal(self) -> None:
        """Forget a completed shard whose bucket files are gone (deleted by hand), so it is redone."""
        for shard in self.shards:
            index = self.index(shard.id)
            lost = index is None or any(not self.bucket_path(int(b), shard.id).is_file() for b in index["buckets"])
            if lost:
                marker_path(self.root, shard.id).unlink(missing_ok=True)

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        shard, o = self._by_id[task_id], self.options
        for b in range(o.group_tasks):  # a killed run's files for this shard
            path = self.bucket_path(b, shard.id)
            path.unlink(missing_ok=True)
            remove_stale(path)
        reader_cls = ParquetReader if shard.fmt == "parquet" else JsonlReader
        # No reject sink: the scan stage reads the shard again and writes its rejects, once.
        reader = reader_cls(shard, text_field=o.text_field, id_field=o.id_field, max_chars=o.max_chars)
        reader.progress = progress
        key_of = GroupKey(o.group_by or GroupKey.HOST, url_field=o.url_field)
        files: dict[int, _LineFile] = {}
        counts: dict[int, int] = {}
        keys: set[str] = set()
        ungrouped = 0
        try:
            for doc in reader.run(None):
                key = key_of.of(doc.record)
                if key is None:
                    ungrouped += 1
                    continue
                if len(doc.text) > MAX_CHARS:  # the API refuses it: stage 3 rejects it, so it is no page
                    continue
                b = bucket_of(key, o.group_tasks)
                if b not in files:
                    files[b] = _LineFile(self.bucket_path(b, shard.id), gz=True)
                files[b].write(orjson.dumps({"key": key, "line": doc.line, "text": doc.text}))
                counts[b] = counts.get(b, 0) + 1
                keys.add(key)
        except BaseException:
            for f in files.values():
                f.abort()
            raise
        for b in sorted(files):
            files[b].commit()
        index = {
            "buckets": {f"{b:05d}": counts[b] for b in sorted(counts)},
            "grouped": sum(counts.values()),
            "ungrouped": ungrouped,
            "keys": len(keys),
        }
        write_atomic(self.index_path(shard.id), json.dumps(index, indent=1).encode() + b"\n")
        return reader.stats


class GroupTablesJob:
    """Stage 2: one task per bucket learns the tables of the bucket's groups from all shards' pages."""

    def __init__(self, keys: GroupKeysJob, out_dir: Path, options: ScanOptions, model: ModelRef) -> None:
        self.keys, self.options, self.model = keys, options, model
        self.root = out_dir / "tables"
        self._inputs = _digest([keys.task_signature(t) for t in keys.task_ids()])
        self._bytes = 0

    @property
    def out_dir(self) -> Path:
        return self.root

    def task_ids(self) -> list[str]:
        return [f"{b:05d}" for b in range(self.options.group_tasks)]

    def task_size(self, task_id: str) -> int:
        total = 0
        for shard in self.keys.shards:
            path = self.keys.bucket_path(int(task_id), shard.id)
            total += path.stat().st_size if path.is_file() else 0
        return total

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {"bucket": task_id, "options": self.keys.options.fingerprint(), "inputs": self._inputs}

    def summary_path(self, task_id: str) -> Path:
        return self.root / "buckets" / f"{task_id}.json"

    def pages(self, task_id: str) -> dict[str, list[str]]:
        """The bucket's groups and their pages, in shard order then line order."""
        out: dict[str, list[str]] = {}
        for shard in self.keys.shards:
            index = self.keys.index(shard.id)
            if index is None:
                raise ConfigError(f"the group stage of shard {shard.name} did not finish; rerun the scan")
            if task_id not in index["buckets"]:
                continue
            path = self.keys.bucket_path(int(task_id), shard.id)
            self._bytes += path.stat().st_size
            with gzip.open(path, "rb") as fh:
                for line in fh:
                    rec = orjson.loads(line)
                    out.setdefault(rec["key"], []).append(rec["text"])
        return out

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        stats, o = Stats(), self.options
        groups: list[dict[str, Any]] = []
        self._bytes = 0
        by_key = self.pages(task_id)
        stats.inc(Stat.BYTES_READ, self._bytes)
        for key, pages in sorted(by_key.items()):
            name = safe_name(key, fallback="group")
            table_rel, evidence_rel = f"tables/{name}.tsv", f"tables/{name}.json"
            words = sum(len(p.split()) for p in pages)
            if len(pages) < o.min_group_pages:
                status = "too_small"
                note = f" (too small to learn from: {len(pages)} pages, the minimum is {o.min_group_pages})"
                table = SpinnerTable(comment=f"despin scan --group-by: group {key}{note}")
                entry = {"pages": len(pages), "words": words, "entries": 0, "spun_score": None, "is_spun": False}
                evidence: dict[str, Any] = {"key": key, "status": status, **entry, "table": []}
            else:
                t0 = time.perf_counter()
                site = api.learn_site(pages, model=self.model.get())
                stats.add_time("learn", time.perf_counter() - t0)
                status = "learned"
                table = site.table.with_comment(f"despin scan --group-by: group {key}")
                d = site.to_dict()
                entry = {k: d[k] for k in ("pages", "words", "entries", "spun_score", "is_spun")}
                evidence = {"key": key, "status": status, **d}
            digest = table.save(self.root.parent / table_rel)
            write_atomic(
                self.root.parent / evidence_rel,
                json.dumps(evidence, ensure_ascii=False, indent=1).encode() + b"\n",
            )
            groups.append(
                {
                    "key": key,
                    "status": status,
                    "table": table_rel,
                    "sha256": digest,
                    "evidence": evidence_rel,
                    **entry,
                }
            )
        self._drop_stale(task_id, {g["table"] for g in groups} | {g["evidence"] for g in groups})
        blob = json.dumps(groups, ensure_ascii=False, indent=1).encode() + b"\n"
        write_atomic(self.summary_path(task_id), blob)
        return stats

    def _drop_stale(self, task_id: str, keep: set[str]) -> None:
        """Delete the tables an earlier run of this bucket wrote for groups that are gone now."""
        try:
            old = json.loads(self.summary_path(task_id).read_bytes())
        except (OSError, ValueError):
            return
        for g in old:
            for rel in (g.get("table"), g.get("evidence")):
                if isinstance(rel, str) and rel not in keep and rel.startswith("tables/"):
                    (self.root.parent / rel).unlink(missing_ok=True)

    def merge(self) -> list[dict[str, Any]]:
        """Every bucket's groups, sorted by key."""
        groups: list[dict[str, Any]] = []
        for task_id in self.task_ids():
            groups += json.loads(self.summary_path(task_id).read_bytes())
        return sorted(groups, key=lambda g: g["key"])


def learn_groups(
    shards: Sequence[Shard],
    out_dir: Path,
    options: ScanOptions,
    *,
    model: ModelRef,
    runner: Executor,
    progress: bool | None,
) -> tuple[str, dict[str, Any]]:
    """Run stages 1 and 2 and write ``groups.json``; return its digest and the job's group summary."""
    for s in shards:
        if s.name.split("/")[0] in GROUP_RESERVED:
            raise ConfigError(f"{s.path}: shard name {s.name!r} clashes with an output of scan --group-by")
    keys = GroupKeysJob(shards, out_dir, options)
    keys.heal()
    total = sum(keys.task_size(t) for t in keys.task_ids())
    with ScanProgress(total, len(shards), enabled=progress, label="group") as reporter:
        runner.run(keys, reporter=reporter)
    tables = GroupTablesJob(keys, out_dir, options, model)
    total = sum(tables.task_size(t) for t in tables.task_ids())
    with ScanProgress(total, len(tables.task_ids()), enabled=progress, label="learn", unit="buckets") as reporter:
        runner.run(tables, reporter=reporter)
    groups = tables.merge()
    indexes = [keys.index(s.id) or {} for s in shards]
    summary = {
        "group_by": options.group_by,
        "min_group_pages": options.min_group_pages,
        "n_groups": len(groups),
        "learned": sum(g["status"] == "learned" for g in groups),
        "too_small": sum(g["status"] == "too_small" for g in groups),
        "spun": sum(bool(g["is_spun"]) for g in groups),
        "with_entries": sum(g["entries"] > 0 for g in groups),
        "grouped_records": sum(i.get("grouped", 0) for i in indexes),
        "ungrouped_records": sum(i.get("ungrouped", 0) for i in indexes),
    }
    blob = json.dumps({**summary, "groups": groups}, ensure_ascii=False, indent=1).encode()
    blob += b"\n"
    write_atomic(out_dir / "groups.json", blob)
    return hashlib.sha256(blob).hexdigest(), summary


def group_type() -> Any:
    """The Arrow struct of ``despin.group`` (null for a record without a group key)."""
    pa = _pyarrow()
    return pa.struct(
        [("key", pa.string()), ("spun_score", pa.float64()), ("is_spun", pa.bool_()), ("entries", pa.int64())]
    )


class GroupParquetWriter(ParquetWriter):
    """:class:`ParquetWriter` whose ``despin`` struct also holds ``group`` (the JSONL output's fields)."""

    name = "group_parquet_writer"

    def despin_type(self) -> Any:
        struct = super().despin_type()
        fields = [struct.field(j) for j in range(struct.num_fields)]
        return _pyarrow().struct([*fields, _pyarrow().field("group", group_type())])
