"""A scan whose output directory is an fsspec URL (``s3://bucket/out``, ``memory://out``).

The scan runs exactly as it does locally, into a private staging directory, and the results are
published to the URL as each shard finishes:

1. At the start, everything the URL already holds except the output shards and the rejects (the
   job file, completion markers, per-task stats, a grouped scan's stages) is copied into the staging
   directory, so the usual checks apply: a rerun skips every shard whose marker is there, and a
   rerun with other options is refused.
2. When a shard's task finishes, its output shard and rejects are uploaded, then its stats, then its
   completion marker, each under a temporary name moved into place (see :mod:`despin.pipeline.fs`);
   the local copies of the output and rejects are deleted, so the staging directory stays small.
   A shard counts as done on the store only once its marker is there, and by then its outputs are.
3. At the end (and after a grouped scan's stages), everything else that changed is uploaded, the
   job's ``stats.json`` last. A rejects file left on the store by an earlier try of a shard that now
   has none is removed.

See docs/scaling.md, "Object stores", for what holds there and what does not.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from despin.executor.base import Reporter, TaskResult, marker_path, stats_path
from despin.pipeline.fs import join, put_file, url_fs

# What a rerun needs from the store: all but the output shards and the rejects.
SYNC_DOWN = ("job.json", "completions/", "stats/", "groups.json", "groups/", "tables/")


class RemoteOutput:
    """The staging directory of a scan into ``url``, and its publishing (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = url_fs(self.url)
        self.root = self.root.rstrip("/")
        self._tmp = tempfile.TemporaryDirectory(prefix="despin-scan-")
        self.local = Path(self._tmp.name)
        self._published: dict[str, tuple[int, int]] = {}  # relative path -> (size, mtime_ns) uploaded

    def __enter__(self) -> RemoteOutput:
        self.sync_down()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def sync_down(self) -> None:
        """Copy what a rerun needs from the store into the staging directory (step 1)."""
        if not self.fs.exists(self.root):
            return
        for found in self.fs.find(self.root):
            rel = found[len(self.root) :].lstrip("/") if found.startswith(self.root) else ""
            if not rel or ".tmp-" in rel or not any(rel == p or rel.startswith(p) for p in SYNC_DOWN):
                continue
            target = self.local / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(found, str(target))
            self._remember(rel)

    def _remember(self, rel: str) -> None:
        st = (self.local / rel).stat()
        self._published[rel] = (st.st_size, st.st_mtime_ns)

    def _changed(self, rel: str) -> bool:
        try:
            st = (self.local / rel).stat()
        except OSError:
            return False
        return self._published.get(rel) != (st.st_size, st.st_mtime_ns)

    def upload(self, rel: str) -> None:
        """Upload one staged file (relative path) to the store, under a temporary name first."""
        put_file(self.local / rel, join(self.url, rel))
        self._remember(rel)

    def remove(self, rel: str) -> None:
        """Remove a file from the store (a stale rejects file), if it is there."""
        path = f"{self.root}/{rel}"
        if self.fs.exists(path):
            self.fs.rm(path)
        self._published.pop(rel, None)

    def publish_task(self, task_id: str, outputs: list[str], rejects: str) -> None:
        """Step 2 for one finished task: its outputs, its rejects, its stats, then its marker."""
        for rel in outputs:
            if (self.local / rel).is_file():
                self.upload(rel)
                (self.local / rel).unlink()
        if (self.local / rejects).is_file():
            self.upload(rejects)
            (self.local / rejects).unlink()
        else:
            self.remove(rejects)
        for path in (stats_path(self.local, task_id), marker_path(self.local, task_id)):
            self.upload(path.relative_to(self.local).as_posix())

    def publish_all(self) -> None:
        """Step 3: every staged file that changed since it was last uploaded; markers, then the job files last."""
        files = []
        for dirpath, _, names in os.walk(self.local):
            for name in names:
                if ".tmp-" not in name:
                    files.append((Path(dirpath) / name).relative_to(self.local).as_posix())

        def order(rel: str) -> tuple[int, str]:
            top = rel.split("/")[0]
            rank = 3 if rel in ("job.json", "stats.json") else 2 if top == "completions" else 1 if top == "stats" else 0
            return rank, rel

        for rel in sorted(files, key=order):
            if self._changed(rel):
                self.upload(rel)


class PublishingReporter:
    """A :class:`~despin.executor.base.Reporter` that publishes each finished task, then reports it on."""

    def __init__(self, inner: Reporter, remote: RemoteOutput, outputs: Any) -> None:
        self.inner, self.remote, self.outputs = inner, remote, outputs

    def advance(self, task_id: str, docs: int, nbytes: int) -> None:
        self.inner.advance(task_id, docs, nbytes)

    def done(self, result: TaskResult) -> None:
        if not result.skipped:
            files, rejects = self.outputs(result.task_id)
            self.remote.publish_task(result.task_id, files, rejects)
        self.inner.done(result)
