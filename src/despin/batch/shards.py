"""What every job with one task per input shard shares: task ids, sizes and the shard's signature."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from despin.pipeline.base import Shard


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
        try:
            return Path(self._by_id[task_id].path).stat().st_size
        except OSError:
            return 0

    def shard_signature(self, task_id: str, fingerprint: str) -> dict[str, Any]:
        """What a completion marker must match: the shard's name, size and mtime, and the job's options."""
        shard = self._by_id[task_id]
        try:
            st = Path(shard.path).stat()
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, -1
        return {"shard": shard.name, "size": size, "mtime_ns": mtime, "options": fingerprint}
