"""What every job with one task per input shard shares: task ids, sizes and the shard's signature."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from despin.pipeline.base import Shard
from despin.pipeline.fs import is_remote, size_of, version_of


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
