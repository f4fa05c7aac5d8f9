"""What every job with one task per input shard shares: task ids, sizes and the shard's signature, and for
the jobs that run a pipeline over each shard (scan, dedup's write stage), the task itself."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from despin.pipeline.base import Shard, Step, run_steps
from despin.pipeline.fs import is_remote, size_of, version_of
from despin.pipeline.readers import JsonlReader, ParquetReader, ProgressFn
from despin.pipeline.stats import Stats
from despin.pipeline.writers import JsonlWriter, ParquetWriter, RejectWriter

if TYPE_CHECKING:
    from despin.batch.options import ScanOptions
    from despin.duplicates.options import DedupOptions


class ShardTasks:
    """One task per input shard; the task id is the shard id.

    Args:
        shards: the input shards, in task order.
    """

    def __init__(self, shards: Sequence[Shard]) -> None:
        self.shards = list(shards)
        self._by_id = {s.id: s for s in self.shards}

    def task_ids(self) -> list[str]:
        return [s.id for s in self.shards]

    def task_size(self, task_id: str) -> int:
        """The shard's size in bytes (0 when it cannot be read), for progress and ETA."""
        return size_of(self._by_id[task_id].path)

    def shard_signature(self, task_id: str, fingerprint: str) -> dict[str, Any]:
        """What a completion marker must match: the shard's name, size and version, and the job's options.

        The version of a local file is its mtime (``mtime_ns``); of an fsspec URL, what the store keeps
        for it (``version``: an ETag, a checksum or a modification time).
        """
        shard = self._by_id[task_id]
        key = "version" if is_remote(shard.path) else "mtime_ns"
        try:
            size, version = version_of(shard.path)
        except (OSError, ValueError, KeyError):
            size, version = -1, -1
        return {"shard": shard.name, "size": size, key: version, "options": fingerprint}


class ShardPipelineJob(ShardTasks):
    """A job whose task runs a pipeline over one shard: a reader, the job's steps, a writer; rejects beside.

    Subclasses give :attr:`out_dir` and :meth:`steps` (whose first step reads the shard and last one
    writes it); :meth:`run_task` runs them, makes sure an output exists even for a shard with no
    record left, and checks that every record read was written, filtered or rejected.
    """

    @property
    def out_dir(self) -> Path:
        raise NotImplementedError

    def steps(self, shard: Shard, rejects: RejectWriter) -> list[Step]:
        raise NotImplementedError

    @staticmethod
    def reader(shard: Shard, options: ScanOptions | DedupOptions, rejects: RejectWriter) -> Step:
        """The reader of ``shard`` (JSONL or Parquet), with the job's fields and limits."""
        reader_cls = ParquetReader if shard.fmt == "parquet" else JsonlReader
        return reader_cls(
            shard,
            text_field=options.text_field,
            id_field=options.id_field,
            max_chars=options.max_chars,
            rejects=rejects,
        )

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        shard = self._by_id[task_id]
        rejects = RejectWriter(self.out_dir / "rejects")
        rejects.clear(shard)
        steps = self.steps(shard, rejects)
        steps[0].progress = progress  # type: ignore[attr-defined]
        try:
            stats = run_steps(steps)
            writer = steps[-1]
            assert isinstance(writer, JsonlWriter | ParquetWriter)
            writer.ensure(shard)
        except BaseException:
            rejects.abort()
            raise
        rejects.close()
        if not stats.balanced:  # pragma: no cover - a bug in a step, never bad data
            raise AssertionError(f"shard {shard.name}: counts do not balance: {stats.to_dict()['counts']}")
        return stats
