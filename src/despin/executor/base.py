"""Jobs, tasks and completion markers, shared by the local and the Ray executor.

A :class:`Job` is a list of independent, idempotent tasks writing under ``job.out_dir``. Running
task ``T`` ends, in this order, with its outputs renamed into place, ``stats/T.json`` and the
marker ``completions/T`` (as in datatrove). The marker records the task's *signature* (for a
scan: the input shard's size and mtime and the job's options); a rerun skips a task whose marker
matches and redoes any other, so a killed job resumes where it stopped and never mixes runs.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from despin.errors import ConfigError
from despin.files import write_atomic
from despin.pipeline.base import Step, run_steps
from despin.pipeline.readers import ProgressFn
from despin.pipeline.stats import Stats
from despin.pipeline.writers import RejectWriter


class Job(Protocol):
    """What an executor runs: named, independent, idempotent tasks that write under ``out_dir``."""

    @property
    def out_dir(self) -> Path: ...

    def task_ids(self) -> list[str]: ...

    def task_size(self, task_id: str) -> int:
        """Input bytes of the task, for progress and ETA (0 when unknown)."""
        ...

    def task_signature(self, task_id: str) -> dict[str, Any]:
        """What the completion marker must match for the task to count as done."""
        ...

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        """Do the task from scratch, commit its outputs, and return its stats."""
        ...


class Reporter(Protocol):
    """Receives progress in the driver process (the scan's progress bar)."""

    def advance(self, task_id: str, docs: int, nbytes: int) -> None: ...

    def done(self, result: TaskResult) -> None: ...


@dataclass(frozen=True, slots=True)
class TaskResult:
    """The stats of one task, and whether a previous run had completed it already."""

    task_id: str
    stats: Stats
    skipped: bool


def marker_path(out_dir: Path, task_id: str) -> Path:
    return out_dir / "completions" / task_id


def stats_path(out_dir: Path, task_id: str) -> Path:
    return out_dir / "stats" / f"{task_id}.json"


def _encode(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1).encode() + b"\n"


def completed(job: Job, task_id: str) -> Stats | None:
    """The stats of ``task_id`` if a previous run completed it with the same signature, else None."""
    marker = marker_path(job.out_dir, task_id)
    try:
        if json.loads(marker.read_bytes()) != job.task_signature(task_id):
            return None
        return Stats.from_dict(json.loads(stats_path(job.out_dir, task_id).read_bytes()))
    except (OSError, ValueError):
        return None


def execute_task(job: Job, task_id: str, progress: ProgressFn | None = None) -> TaskResult:
    """Run one task unless it is complete: outputs, then ``stats/<id>.json``, then the marker."""
    done = completed(job, task_id)
    if done is not None:
        return TaskResult(task_id, done, skipped=True)
    marker_path(job.out_dir, task_id).unlink(missing_ok=True)
    t0, cpu0 = time.perf_counter(), time.process_time()
    stats = job.run_task(task_id, progress)
    stats.add_time("task", time.perf_counter() - t0)
    # CPU seconds of this process: the per-core cost of the work, even on a busy machine.
    stats.add_time("task_cpu", time.process_time() - cpu0)
    # ru_maxrss is in KiB on Linux: the peak resident memory of this worker process so far.
    stats.gauge("peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    write_atomic(stats_path(job.out_dir, task_id), _encode(stats.to_dict()))
    write_atomic(marker_path(job.out_dir, task_id), _encode(job.task_signature(task_id)))
    return TaskResult(task_id, stats, skipped=False)


class Executor(ABC):
    """Runs the pending tasks of a job; ``run`` returns one result per task, in task order."""

    name: str = "executor"

    @abstractmethod
    def run(self, job: Job, *, reporter: Reporter | None = None) -> list[TaskResult]:
        """Run every task of ``job`` not completed before, and report progress to ``reporter``."""

    @staticmethod
    def split(job: Job, reporter: Reporter | None) -> tuple[list[TaskResult], list[str]]:
        """Results of tasks a previous run completed (reported at once), and the ids still to run."""
        skipped, todo = [], []
        for task_id in job.task_ids():
            done = completed(job, task_id)
            if done is None:
                todo.append(task_id)
            else:
                result = TaskResult(task_id, done, skipped=True)
                skipped.append(result)
                if reporter is not None:
                    reporter.done(result)
        return skipped, todo

    @staticmethod
    def ordered(job: Job, results: Sequence[TaskResult]) -> list[TaskResult]:
        by_id = {r.task_id: r for r in results}
        return [by_id[t] for t in job.task_ids() if t in by_id]


class PipelineJob:
    """A datatrove-style job: ``tasks`` copies of one pipeline, task ``rank`` of ``tasks``.

    Readers pick ``shards[rank::tasks]``; markers are ``completions/00003`` and stats
    ``stats/00003.json`` under ``logging_dir``. Writers keep their own output directories.

    Args:
        pipeline: the steps, reader first; they must pickle (paths and references only).
        tasks: how many tasks split the input.
        logging_dir: where ``completions/`` and ``stats/`` go.

    Example:
        >>> import tempfile, pathlib
        >>> from despin.pipeline import JsonlReader
        >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.jsonl").write_text('{"text": "x"}\\n')
        >>> job = PipelineJob([JsonlReader(d / "a.jsonl")], tasks=2, logging_dir=d / "logs")
        >>> from despin.executor import LocalExecutor
        >>> [(r.task_id, r.stats.counts["input"]) for r in LocalExecutor().run(job)]
        [('00000', 1), ('00001', 0)]
    """

    def __init__(self, pipeline: Sequence[Step], *, tasks: int = 1, logging_dir: str | Path) -> None:
        if tasks < 1:
            raise ConfigError(f"tasks must be >= 1, got {tasks}")
        if not pipeline:
            raise ConfigError("a pipeline needs at least one step (a reader)")
        self.pipeline, self.tasks, self._out_dir = list(pipeline), tasks, Path(logging_dir)

    @property
    def out_dir(self) -> Path:
        return self._out_dir

    def task_ids(self) -> list[str]:
        return [f"{rank:05d}" for rank in range(self.tasks)]

    def task_size(self, task_id: str) -> int:
        return 0

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {"rank": int(task_id), "tasks": self.tasks, "steps": [type(s).__name__ for s in self.pipeline]}

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        steps = copy.deepcopy(self.pipeline)  # fresh stats and writer state for every task
        rejects: dict[int, RejectWriter] = {}
        for step in steps:
            if hasattr(step, "progress"):
                step.progress = progress
            sink = getattr(step, "rejects", None)
            if isinstance(sink, RejectWriter):
                rejects[id(sink)] = sink
        try:
            stats = run_steps(steps, rank=int(task_id), world_size=self.tasks)
        except BaseException:
            for sink in rejects.values():
                sink.abort()
            raise
        for sink in rejects.values():
            sink.close()
        return stats


def parent_watchdog(parent_pid: int) -> Callable[[], None]:
    """A check that ends this worker process at once if its parent died (a killed job's orphans)."""

    def check() -> None:
        if os.getppid() != parent_pid:
            os._exit(3)

    return check
