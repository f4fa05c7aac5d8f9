"""A live progress bar on stderr: shards, documents, docs/s and an ETA from input bytes."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

from despin.executor.base import TaskResult
from despin.pipeline.stats import Stat


class ScanProgress:
    """Drive a rich progress bar from executor reports; does nothing when ``enabled`` is false.

    The bar advances by input bytes (compressed bytes for .gz), which are known before reading,
    so the ETA is meaningful; documents and docs/s are shown beside it.

    Args:
        total_bytes: the input size of every task, completed ones included.
        n_tasks: the number of tasks (shards).
        enabled: draw the bar; None draws it only when stderr is a terminal.
        label: the bar's name (a grouped scan draws one bar per stage).
        unit: what the tasks are, for the task counter.
    """

    def __init__(
        self,
        total_bytes: int,
        n_tasks: int,
        *,
        enabled: bool | None = None,
        label: str = "scan",
        unit: str = "shards",
    ) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label, self.unit = label, unit
        self.total_bytes, self.n_tasks = max(total_bytes, 1), n_tasks
        self.docs = self.tasks_done = self.tasks_skipped = 0
        self._bytes_by_task: dict[str, int] = {}
        self._t0 = time.perf_counter()
        self._progress: Any = None
        self._bar: Any = None

    def __enter__(self) -> ScanProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn(self.label),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[shards]}"),
                TextColumn("{task.fields[docs]} docs"),
                TextColumn("{task.fields[rate]} docs/s"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._bar = self._progress.add_task(self.label, total=self.total_bytes, **self._fields())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _fields(self) -> dict[str, str]:
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        return {
            "shards": f"{self.tasks_done}/{self.n_tasks} {self.unit}",
            "docs": f"{self.docs:,}",
            "rate": f"{self.docs / elapsed:,.1f}",
        }

    def advance(self, task_id: str, docs: int, nbytes: int) -> None:
        self.docs += docs
        self._bytes_by_task[task_id] = self._bytes_by_task.get(task_id, 0) + nbytes
        if self._progress is not None:
            self._progress.update(self._bar, advance=nbytes, **self._fields())

    def done(self, result: TaskResult) -> None:
        self.tasks_done += 1
        full = result.stats[Stat.BYTES_READ]
        if result.skipped:  # done by an earlier run: shrink the total, so the ETA counts only new work
            self.tasks_skipped += 1
            self.total_bytes = max(self.total_bytes - full, 1)
            if self._progress is not None:
                self._progress.update(self._bar, total=self.total_bytes, **self._fields())
            return
        # Top up to the task's full byte count (the last progress tick may not have been sent).
        extra = max(0, full - self._bytes_by_task.get(result.task_id, 0))
        self._bytes_by_task[result.task_id] = full
        if self._progress is not None:
            self._progress.update(self._bar, advance=extra, **self._fields())
